package sasl

import (
	"bytes"
	"context"
	"errors"
	"strconv"
)

// Mechanism is one SASL mechanism with its configuration. Its methods are
// safe for concurrent use.
type Mechanism interface {
	// Name is the mechanism's name as SaslHandshake carries it: "PLAIN",
	// "SCRAM-SHA-256", "SCRAM-SHA-512" or "OAUTHBEARER".
	Name() string
	// Start begins one authentication: it returns the Session that goes on
	// with it and the first client message, to be sent in the first
	// SaslAuthenticate request.
	Start(ctx context.Context) (Session, []byte, error)
}

// Session is one authentication in progress. It is used by one goroutine.
type Session interface {
	// Next takes the auth_bytes of a SaslAuthenticate response. It returns
	// done=true with a nil response when the exchange is complete from the
	// client's side, and otherwise the response to send in the next
	// SaslAuthenticate request. After an error the Session is finished.
	Next(ctx context.Context, challenge []byte) (done bool, response []byte, err error)
}

// The kinds of failure an *Error reports in its Err field.
var (
	// ErrInvalidCredentials: the configured user name, password or token
	// cannot be sent (empty, not UTF-8, holding a NUL byte, not a b64token).
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrServerMessage: the server's message is malformed, came out of
	// order, or failed a check the client makes (SCRAM's nonce, salt,
	// iteration count and server signature).
	ErrServerMessage = errors.New("server message failed a check")
	// ErrRejected: the server said inside the SASL exchange that
	// authentication failed (SCRAM's "e=" attribute).
	ErrRejected = errors.New("server rejected the authentication")
)

// Error is the error type of every failure in this package. Its text never
// holds a secret.
type Error struct {
	Mechanism string // "PLAIN", "SCRAM-SHA-256", ...
	Reason    string // what was wrong, in words
	// Err is ErrInvalidCredentials, ErrServerMessage or ErrRejected, or the
	// cause: the context's error, the token callback's error.
	Err error
}

// Error is "sasl <mechanism>: <reason>", followed by ": <cause>" when Err
// is a cause rather than one of the three kinds.
func (e *Error) Error() string {
	s := "sasl " + e.Mechanism + ": " + e.Reason
	if e.Err != nil && !isKind(e.Err) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

func isKind(err error) bool {
	return err == ErrInvalidCredentials || err == ErrServerMessage || err == ErrRejected
}

func invalid(mech, reason string) error {
	return &Error{Mechanism: mech, Reason: reason, Err: ErrInvalidCredentials}
}

func badServer(mech, reason string) error {
	return &Error{Mechanism: mech, Reason: reason, Err: ErrServerMessage}
}

// maxQuoted bounds how much of a server's text an error quotes.
const maxQuoted = 64

// quote renders server-sent text for an error message: quoted, with
// non-printable bytes escaped, cut at maxQuoted bytes with the full length
// said. Only ever called on bytes the server sent, never on anything the
// client computed; a server could still echo what the client sent it, so
// every occurrence of each of sent (the secrets the client sent) is
// replaced by "<redacted>" first.
func quote(b []byte, sent ...string) string {
	for _, secret := range sent {
		if secret != "" {
			b = bytes.ReplaceAll(b, []byte(secret), []byte("<redacted>"))
		}
	}
	if len(b) <= maxQuoted {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:maxQuoted])) + "... (" + strconv.Itoa(len(b)) + " bytes)"
}
