package sasl

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/internal/saslserver"
)

// withNonce returns a copy of a SCRAM mechanism that uses a fixed client
// nonce, for the RFC test vectors and byte-for-byte comparisons.
func withNonce(m Mechanism, nonce string) Mechanism {
	s := *m.(*scram)
	s.nonce = func() (string, error) { return nonce, nil }
	return &s
}

// exchange runs m against srv as kafkaio runs it over SaslAuthenticate:
// the client's message goes to the server, the server's challenge to Next,
// until the client is done or either side fails. It returns every message
// the client sent and the first error; a server failure is returned as
// such (it wraps saslserver.ErrFailed).
func exchange(ctx context.Context, m Mechanism, srv saslserver.Server) (sent [][]byte, err error) {
	sess, msg, err := m.Start(ctx)
	if err != nil {
		return nil, err
	}
	ex := srv.Start()
	for range 10 {
		sent = append(sent, msg)
		challenge, _, err := ex.Step(msg)
		if err != nil {
			return sent, err
		}
		done, resp, err := sess.Next(ctx, challenge)
		if err != nil {
			if resp != nil {
				return sent, errors.New("Next returned a response with its error")
			}
			return sent, err
		}
		if done {
			if resp != nil {
				return sent, errors.New("Next returned a response with done")
			}
			return sent, nil
		}
		msg = resp
	}
	return sent, errors.New("exchange did not end in 10 rounds")
}

// encodings are the forms a secret could take in a text: itself, hex in
// both cases, and base64 in its variants.
func encodings(secret []byte) map[string]string {
	return map[string]string{
		"raw":          string(secret),
		"hex":          hex.EncodeToString(secret),
		"HEX":          strings.ToUpper(hex.EncodeToString(secret)),
		"spaced hex":   spacedHex(secret),
		"base64":       base64.StdEncoding.EncodeToString(secret),
		"raw base64":   base64.RawStdEncoding.EncodeToString(secret),
		"url base64":   base64.RawURLEncoding.EncodeToString(secret),
		"quoted bytes": strings.Trim(quoteGo(secret), `"`),
	}
}

func spacedHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	return strings.Join(parts, " ")
}

func quoteGo(b []byte) string { return strconv.Quote(string(b)) }

// requireNoSecret fails the test if text holds any secret in any encoding.
// Secrets shorter than 4 bytes would match by chance and are not allowed.
func requireNoSecret(t *testing.T, what, text string, secrets map[string][]byte) {
	t.Helper()
	for name, secret := range secrets {
		if len(secret) < 4 {
			t.Fatalf("secret %s is too short to search for", name)
		}
		for enc, s := range encodings(secret) {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the %s (%s): %q", what, name, enc, text)
			}
		}
	}
}

// requireKind checks that err is an *Error of the given kind for mech, and
// that its text names the mechanism and contains want.
func requireKind(t *testing.T, err error, mech string, kind error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
	if e.Mechanism != mech || !strings.HasPrefix(err.Error(), "sasl "+mech+": ") {
		t.Fatalf("err = %q does not name %s", err, mech)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to say %q", err, want)
	}
}

func mustStart(t *testing.T, m Mechanism) (Session, []byte) {
	t.Helper()
	s, msg, err := m.Start(context.Background())
	if err != nil {
		t.Fatalf("%s Start: %v", m.Name(), err)
	}
	return s, msg
}

func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}
