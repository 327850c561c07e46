package saslserver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The servers are checked against franz-go's SASL clients, an independent
// implementation, so the sasl package's tests do not only check our client
// against our server.
func run(t *testing.T, m sasl.Mechanism, srv Server) error {
	t.Helper()
	sess, msg, err := m.Authenticate(context.Background(), "127.0.0.1:9092")
	if err != nil {
		t.Fatal(err)
	}
	ex := srv.Start()
	for range 5 {
		challenge, serverDone, err := ex.Step(msg)
		if err != nil {
			return err
		}
		done, resp, err := sess.Challenge(challenge)
		if err != nil {
			t.Fatalf("franz-go client: %v", err)
		}
		if done != serverDone {
			t.Fatalf("client done %v, server done %v", done, serverDone)
		}
		if done {
			return nil
		}
		msg = resp
	}
	t.Fatal("no end after 5 rounds")
	return nil
}

func TestServersAcceptFranzGo(t *testing.T) {
	for _, user := range []string{"alice", "a=b,c"} {
		if err := run(t, plain.Auth{User: user, Pass: "pw"}.AsMechanism(), Plain{User: user, Pass: "pw"}); err != nil {
			t.Errorf("PLAIN %q: %v", user, err)
		}
		a := scram.Auth{User: user, Pass: "pä55"}
		if err := run(t, a.AsSha256Mechanism(), ScramSHA256(user, "pä55")); err != nil {
			t.Errorf("SCRAM-SHA-256 %q: %v", user, err)
		}
		if err := run(t, a.AsSha512Mechanism(), ScramSHA512(user, "pä55")); err != nil {
			t.Errorf("SCRAM-SHA-512 %q: %v", user, err)
		}
	}
	if err := run(t, oauth.Auth{Token: "tok.en"}.AsMechanism(), OAuthBearer{Token: "tok.en"}); err != nil {
		t.Errorf("OAUTHBEARER: %v", err)
	}
	// Fixed salt and nonce, a higher count: still accepted.
	srv := Scram{Name: ScramSHA256Name, User: "u", Pass: "p", Salt: []byte("salt"), Iterations: 10000, Nonce: "server-part"}
	if err := run(t, scram.Auth{User: "u", Pass: "p"}.AsSha256Mechanism(), srv); err != nil {
		t.Errorf("fixed salt: %v", err)
	}
}

func TestServersRefuse(t *testing.T) {
	cases := []struct {
		name string
		m    sasl.Mechanism
		srv  Server
		want string
	}{
		{"PLAIN password", plain.Auth{User: "alice", Pass: "bad"}.AsMechanism(), Plain{User: "alice", Pass: "pw"},
			"Authentication failed: Invalid username or password"},
		{"PLAIN user", plain.Auth{User: "bob", Pass: "pw"}.AsMechanism(), Plain{User: "alice", Pass: "pw"},
			"Authentication failed: Invalid username or password"},
		{"PLAIN authzid", plain.Auth{Zid: "root", User: "alice", Pass: "pw"}.AsMechanism(), Plain{User: "alice", Pass: "pw"},
			"authorization id that is different from username"},
		{"SCRAM password", scram.Auth{User: "alice", Pass: "bad"}.AsSha256Mechanism(), ScramSHA256("alice", "pw"),
			"due to invalid credentials with SASL mechanism SCRAM-SHA-256"},
		{"SCRAM user", scram.Auth{User: "bob", Pass: "pw"}.AsSha512Mechanism(), ScramSHA512("alice", "pw"),
			"due to invalid credentials with SASL mechanism SCRAM-SHA-512"},
		{"SCRAM hash", scram.Auth{User: "alice", Pass: "pw"}.AsSha512Mechanism(), ScramSHA256("alice", "pw"),
			"due to invalid credentials with SASL mechanism SCRAM-SHA-256"},
		{"SCRAM authzid", scram.Auth{Zid: "root", User: "alice", Pass: "pw"}.AsSha256Mechanism(), ScramSHA256("alice", "pw"),
			"due to invalid credentials"},
		{"OAUTHBEARER extension", oauth.Auth{Token: "t", Extensions: map[string]string{"k": "v"}}.AsMechanism(), OAuthBearer{Token: "t"},
			"Invalid OAUTHBEARER client first message"},
	}
	for _, tc := range cases {
		err := run(t, tc.m, tc.srv)
		if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The strict checks on messages franz-go would never send.
func TestServersRejectMalformed(t *testing.T) {
	first := func(srv Server, msg string) error {
		_, _, err := srv.Start().Step([]byte(msg))
		return err
	}
	s := ScramSHA256("alice", "pw")
	for _, msg := range []string{
		"", "y,,n=alice,r=abc", "n,a=alice,n=alice,r=abc", "n,,r=abc,n=alice", "n,,n=alice", "n,,n=alice,r=",
		"n,,n=ali=ce,r=abc", "n,,n=alice,r=a b", "n,,n=alice,r=abc\x00",
	} {
		if err := first(s, msg); !errors.Is(err, ErrFailed) {
			t.Errorf("SCRAM client-first %q: err = %v", msg, err)
		}
	}
	p := Plain{User: "alice", Pass: "pw"}
	for msg, want := range map[string]string{
		"alice\x00pw":          "expected 3 tokens, got 2",
		"\x00alice\x00pw\x00x": "expected 3 tokens, got 4",
		"\x00\x00pw":           "username not specified",
		"\x00alice\x00":        "password not specified",
	} {
		if err := first(p, msg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("PLAIN %q: err = %v, want %q", msg, err, want)
		}
	}
	o := OAuthBearer{Token: "tok"}
	for _, msg := range []string{
		"", "n,,\x01auth=Bearer tok\x01", "n,a=x,\x01auth=Bearer tok\x01\x01", "n,,\x01auth=Bearer \x01\x01",
		"n,,\x01auth=bearer tok\x01\x01", "n,,\x01auth=Bearer tok\x01k=v\x01\x01",
	} {
		if err := first(o, msg); !errors.Is(err, ErrFailed) {
			t.Errorf("OAUTHBEARER %q: err = %v", msg, err)
		}
	}
	// After the JSON error only 0x01 is acceptable, and it fails with the JSON.
	ex := o.Start()
	if c, done, err := ex.Step([]byte("n,,\x01auth=Bearer other\x01\x01")); err != nil || done || string(c) != InvalidTokenChallenge {
		t.Fatalf("wrong token: %q, %v, %v", c, done, err)
	}
	if _, _, err := ex.Step([]byte{0x01}); err == nil || err.Error() != InvalidTokenChallenge {
		t.Fatalf("after 0x01: %v", err)
	}
	ex = o.Start()
	ex.Step([]byte("n,,\x01auth=Bearer other\x01\x01"))
	if _, _, err := ex.Step([]byte("again")); err == nil || !strings.Contains(err.Error(), "not the single byte 0x01") {
		t.Fatalf("after the error, not 0x01: %v", err)
	}
}

// Server error texts never carry what the client sent: a test that looks for
// secrets in a client's errors must not find the server's echo.
func TestServerErrorsEchoNothing(t *testing.T) {
	const pass = "Very-Secret-Password"
	texts := []error{
		run(t, plain.Auth{User: "alice", Pass: pass}.AsMechanism(), Plain{User: "alice", Pass: "x"}),
		run(t, scram.Auth{User: "alice", Pass: pass}.AsSha256Mechanism(), ScramSHA256("alice", "x")),
	}
	// franz-go's OAUTHBEARER client does not answer the JSON error with
	// 0x01 (it fails on any challenge), so step this one by hand.
	ex := OAuthBearer{Token: "x"}.Start()
	c, _, _ := ex.Step([]byte("n,,\x01auth=Bearer " + pass + "\x01\x01"))
	_, _, err := ex.Step([]byte{0x01})
	if strings.Contains(string(c), pass) {
		t.Errorf("OAUTHBEARER challenge %q", c)
	}
	texts = append(texts, err)
	for _, err := range texts {
		if err == nil || strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), "alice") {
			t.Errorf("server error %v", err)
		}
	}
}

func TestFinishedExchanges(t *testing.T) {
	for _, srv := range []Server{Plain{User: "u", Pass: "p"}, ScramSHA256("u", "p"), OAuthBearer{Token: "t"}} {
		ex := srv.Start()
		for range 3 {
			ex.Step([]byte("junk"))
		}
		if _, _, err := ex.Step(nil); err == nil || !strings.Contains(err.Error(), "after the exchange was complete") {
			t.Errorf("%s: err = %v", srv.Mechanism(), err)
		}
	}
}
