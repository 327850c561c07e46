package sasl

import (
	"context"
	"errors"
	"testing"

	"github.com/kafkaio/kafkaio/internal/saslserver"
)

func TestPlainMessage(t *testing.T) {
	m := Plain("alice", "s3cr=t,ü")
	if m.Name() != "PLAIN" {
		t.Fatalf("Name = %q", m.Name())
	}
	sess, msg := mustStart(t, m)
	sameBytes(t, "PLAIN message", msg, []byte("\x00alice\x00s3cr=t,ü"))
	done, resp, err := sess.Next(context.Background(), nil)
	if err != nil || !done || resp != nil {
		t.Fatalf("Next(empty) = %v, %q, %v; want done", done, resp, err)
	}
	_, _, err = sess.Next(context.Background(), nil)
	requireKind(t, err, "PLAIN", ErrServerMessage, "after the exchange was complete")
}

func TestPlainInvalidCredentials(t *testing.T) {
	for _, tc := range []struct{ user, pass, want string }{
		{"", "pw", "empty user name"},
		{"user", "", "empty password"},
		{"\x00user", "pw", "user name holds a NUL byte at offset 0"},
		{"user", "pw\x00", "password holds a NUL byte at offset 2"},
		{"\xc3", "pw", "user name is not valid UTF-8"},
		{"user", "\xc3(", "password is not valid UTF-8"},
	} {
		s, msg, err := Plain(tc.user, tc.pass).Start(context.Background())
		if s != nil || msg != nil {
			t.Fatalf("Start(%q, %q) returned a session or message with its error", tc.user, tc.pass)
		}
		requireKind(t, err, "PLAIN", ErrInvalidCredentials, tc.want)
	}
}

// PLAIN has no challenge: a server that sends one fails the exchange.
func TestPlainRejectsChallenge(t *testing.T) {
	sess, _ := mustStart(t, Plain("user", "pw"))
	done, resp, err := sess.Next(context.Background(), []byte("surprise"))
	if done || resp != nil {
		t.Fatalf("Next = %v, %q", done, resp)
	}
	requireKind(t, err, "PLAIN", ErrServerMessage, "challenge of 8 bytes")
}

func TestPlainAgainstServer(t *testing.T) {
	srv := saslserver.Plain{User: "user", Pass: "pw"}
	if _, err := exchange(context.Background(), Plain("user", "pw"), srv); err != nil {
		t.Fatal(err)
	}
	_, err := exchange(context.Background(), Plain("user", "wrong"), srv)
	if !errors.Is(err, saslserver.ErrFailed) || err.Error() != "Authentication failed: Invalid username or password" {
		t.Fatalf("wrong password: %v", err)
	}
}
