package saslserver

import "errors"

// Server is the broker side of one SASL mechanism.
type Server interface {
	// Mechanism is the name SaslHandshake carries, e.g. "SCRAM-SHA-256".
	Mechanism() string
	// Start begins one exchange: one authentication or re-authentication.
	Start() Exchange
}

// Exchange is one authentication in progress on the broker side.
type Exchange interface {
	// Step takes the client's next message (the auth_bytes of its
	// SaslAuthenticate request) and returns the server's answer: the
	// challenge for the auth_bytes of the response, and done when the
	// exchange has succeeded with it. An error means authentication failed;
	// its text is the broker's error_message, and it wraps ErrFailed. After
	// done or an error, the Exchange is finished.
	Step(msg []byte) (challenge []byte, done bool, err error)
}

// ErrFailed is wrapped by every error an Exchange returns.
var ErrFailed = errors.New("authentication failed")

// failure is an authentication failure with the broker's message.
type failure string

func (f failure) Error() string { return string(f) }
func (f failure) Unwrap() error { return ErrFailed }

// invalidCredentials is what Apache Kafka's SaslServerAuthenticator answers
// when a mechanism throws a plain SaslException: it names the mechanism and
// nothing else.
func invalidCredentials(mech string) error {
	return failure("Authentication failed during authentication due to invalid credentials with SASL mechanism " + mech)
}

// finished is the error for a message after the exchange ended.
func finished(mech string) error {
	return failure("Unexpected " + mech + " message after the exchange was complete")
}
