package sasl

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"
)

const namePlain = "PLAIN"

// Plain returns the PLAIN mechanism (RFC 4616) for user and pass. Its one
// message is "\x00user\x00pass": the authorization id is left empty, so the
// broker authorizes the user it authenticates. Start fails with
// ErrInvalidCredentials when user or pass is empty, is not valid UTF-8 or
// holds a NUL byte, since RFC 4616 allows none of these.
//
// PLAIN sends the password as it is: use it over TLS.
func Plain(user, pass string) Mechanism {
	return plain{user: user, pass: pass}
}

type plain struct{ user, pass string }

func (plain) Name() string { return namePlain }

func (m plain) Start(context.Context) (Session, []byte, error) {
	if err := checkText(namePlain, "user name", m.user); err != nil {
		return nil, nil, err
	}
	if err := checkText(namePlain, "password", m.pass); err != nil {
		return nil, nil, err
	}
	msg := make([]byte, 0, 2+len(m.user)+len(m.pass))
	msg = append(msg, 0)
	msg = append(msg, m.user...)
	msg = append(msg, 0)
	msg = append(msg, m.pass...)
	return &plainSession{}, msg, nil
}

// checkText rejects a user name or password that is empty, not UTF-8 or
// holds a NUL byte. The error says where the fault is, never what the text is.
func checkText(mech, what, s string) error {
	switch {
	case s == "":
		return invalid(mech, "empty "+what)
	case !utf8.ValidString(s):
		return invalid(mech, what+" is not valid UTF-8")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return invalid(mech, what+" holds a NUL byte at offset "+strconv.Itoa(i))
	}
	return nil
}

// plainSession waits for the server's one (empty) answer.
type plainSession struct{ done bool }

func (s *plainSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if s.done {
		return false, nil, badServer(namePlain, "server message after the exchange was complete")
	}
	s.done = true
	if len(challenge) != 0 {
		return false, nil, badServer(namePlain, "server answered with a challenge of "+
			strconv.Itoa(len(challenge))+" bytes; PLAIN has none")
	}
	return true, nil, nil
}
