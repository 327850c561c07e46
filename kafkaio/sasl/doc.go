// Package sasl is the client side of the SASL mechanisms Kafka brokers
// offer: PLAIN (RFC 4616), SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC
// 7677) and OAUTHBEARER (RFC 7628). It computes the messages; it does no I/O.
// kafkaio's New carries them in SaslAuthenticate requests.
//
// # The exchange
//
// A Mechanism makes one Session per authentication. The caller runs it like
// this:
//
//  1. Start returns the Session and the first client message. The caller
//     sends that message as the auth_bytes of the first SaslAuthenticate
//     request.
//  2. The caller passes the auth_bytes of each SaslAuthenticate response to
//     Session.Next. A response with an error code ends the exchange: the
//     broker has refused, and Next is not called.
//  3. When Next returns done=true the exchange is complete from the client's
//     side, and its response is nil: nothing more is sent. Otherwise the
//     caller sends response in the next SaslAuthenticate request and goes
//     back to step 2.
//
// An error from Start or Next ends the exchange; the Session must not be
// used again. A Mechanism is safe to use for many connections at once: it
// holds only its configuration, and each Start makes a new Session. A Session
// is used by one goroutine.
//
// # Errors and secrets
//
// Every error this package makes is an *Error naming the mechanism and what
// was wrong. Its Err says which kind of failure it is: ErrInvalidCredentials
// (the configured user name, password or token cannot be sent; nothing was
// computed from them), ErrServerMessage (the server's message is malformed,
// comes out of order, or fails a check: a SCRAM nonce, salt, iteration count
// or server signature), ErrRejected (the server said in its SASL message that
// authentication failed), or the cause itself: the context's error when the
// context ended during a computation, the token callback's error.
//
// No error text holds a password, a salted password, a SCRAM client key or
// proof, or a token, and no message is returned that is not meant to be
// sent: a failed Next returns a nil response.
//
// # Mechanisms
//
// PLAIN sends "\x00user\x00pass" in one message (an empty authorization id,
// so the broker authorizes the user it authenticates) and expects an empty
// answer. User names and passwords must be valid UTF-8 without NUL bytes.
//
// SCRAM sends the gs2 header "n,," (no channel binding, no authorization
// id), the user name with "=" and "," escaped as "=3D" and "=2C", and a
// client nonce of 32 characters made from 24 bytes of crypto/rand. It then
// checks the server's first message: the server nonce must start with the
// client nonce and be longer, the salt must be non-empty base64, and the
// iteration count must be at least 4096 (RFC 7677's minimum) and at most
// MaxScramIterations. The salted password is computed with the context
// checked along the way, so a deadline interrupts it. The server's final
// message must carry the expected server signature, compared in constant
// time; an "e=" attribute is ErrRejected with the server's error value.
// Passwords are used as their UTF-8 bytes without SASLprep (RFC 4013), as
// Kafka's Java client and franz-go do: Kafka stores SCRAM credentials made
// from the password's UTF-8 bytes, so a SASLprep'd password would fail to
// match wherever preparation changes it.
//
// OAUTHBEARER sends RFC 7628's initial client response,
// "n,,\x01auth=Bearer <token>\x01\x01", with a token obtained from the
// callback at every Start (so a token can be refreshed for each connection
// and each re-authentication). The token must be an RFC 6750 b64token. An
// empty server answer means success. A non-empty one is the server's JSON
// error: as RFC 7628 section 3.2.3 requires, Next answers it with the single
// byte 0x01 and returns done=false, after which the broker fails the
// SaslAuthenticate request with its error message.
package sasl
