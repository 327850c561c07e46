package saslserver

import (
	"bytes"
	"crypto/subtle"
	"strconv"
)

// Plain is a PLAIN server (RFC 4616) that knows one user. Like Apache Kafka's
// PlainSaslServer it takes "authzid\x00user\x00pass" with an authzid that is
// empty or the user, and answers success with an empty challenge.
type Plain struct {
	User, Pass string
}

// Mechanism is "PLAIN".
func (Plain) Mechanism() string { return "PLAIN" }

// Start begins one exchange.
func (p Plain) Start() Exchange { return &plainExchange{p: p} }

type plainExchange struct {
	p    Plain
	done bool
}

func (e *plainExchange) Step(msg []byte) ([]byte, bool, error) {
	if e.done {
		return nil, false, finished("PLAIN")
	}
	e.done = true
	parts := bytes.SplitN(msg, []byte{0}, 4)
	if len(parts) != 3 {
		return nil, false, failure("Invalid SASL/PLAIN response: expected 3 tokens, got " + strconv.Itoa(len(parts)))
	}
	authzid, user, pass := parts[0], parts[1], parts[2]
	switch {
	case len(user) == 0:
		return nil, false, failure("Authentication failed: username not specified")
	case len(pass) == 0:
		return nil, false, failure("Authentication failed: password not specified")
	case !equal(user, e.p.User) || !equal(pass, e.p.Pass):
		return nil, false, failure("Authentication failed: Invalid username or password")
	case len(authzid) != 0 && !bytes.Equal(authzid, user):
		return nil, false, failure("Authentication failed: Client requested an authorization id that is different from username")
	}
	return nil, true, nil
}

func equal(b []byte, s string) bool { return subtle.ConstantTimeCompare(b, []byte(s)) == 1 }
