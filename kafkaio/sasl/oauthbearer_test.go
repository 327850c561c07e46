package sasl

import (
	"context"
	"errors"
	"testing"

	"github.com/kafkaio/kafkaio/internal/saslserver"
)

func staticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

func TestOAuthBearerMessage(t *testing.T) {
	const tok = "eyJhbGciOi.JIUzI1-NiJ9_~+/=="
	m := OAuthBearer(staticToken(tok))
	if m.Name() != "OAUTHBEARER" {
		t.Fatalf("Name = %q", m.Name())
	}
	sess, msg := mustStart(t, m)
	sameBytes(t, "initial response", msg, []byte("n,,\x01auth=Bearer "+tok+"\x01\x01"))
	done, resp, err := sess.Next(context.Background(), []byte{})
	if err != nil || !done || resp != nil {
		t.Fatalf("Next(empty) = %v, %q, %v; want done", done, resp, err)
	}
	_, _, err = sess.Next(context.Background(), nil)
	requireKind(t, err, "OAUTHBEARER", ErrServerMessage, "after the exchange was complete")
}

// A non-empty answer is the server's error: the client answers 0x01 and is
// not done; anything after that is a rejection that quotes the server.
func TestOAuthBearerServerError(t *testing.T) {
	sess, _ := mustStart(t, OAuthBearer(staticToken("abc")))
	done, resp, err := sess.Next(context.Background(), []byte(saslserver.InvalidTokenChallenge))
	if err != nil || done {
		t.Fatalf("Next(error) = %v, %v", done, err)
	}
	sameBytes(t, "answer to the error", resp, []byte{0x01})
	done, resp, err = sess.Next(context.Background(), nil)
	if done || resp != nil {
		t.Fatalf("Next after the error = %v, %q", done, resp)
	}
	requireKind(t, err, "OAUTHBEARER", ErrRejected, `server rejected the token with "{\"status\":\"invalid_token\"}"`)
}

func TestOAuthBearerTokenChecks(t *testing.T) {
	for _, good := range []string{"a", "abc==", "A-Z.a_z~0+9/", "x="} {
		if _, _, err := OAuthBearer(staticToken(good)).Start(context.Background()); err != nil {
			t.Errorf("token %q: %v", good, err)
		}
	}
	for tok, want := range map[string]string{
		"":            "empty token",
		"=":           "does not start with a token character",
		"=abc":        "does not start with a token character",
		"abc=d":       "byte 4 of 5 is not allowed there",
		"abc def":     "byte 3 of 7",
		"abc\n":       "byte 3 of 4",
		"ab\x01c":     "byte 2 of 4",
		"tökén":       "byte 1 of 7",
		"Bearer\tabc": "byte 6 of 10",
	} {
		s, msg, err := OAuthBearer(staticToken(tok)).Start(context.Background())
		if s != nil || msg != nil {
			t.Fatalf("token %q: Start returned a session or message with its error", tok)
		}
		requireKind(t, err, "OAUTHBEARER", ErrInvalidCredentials, want)
	}
	_, _, err := OAuthBearer(nil).Start(context.Background())
	requireKind(t, err, "OAUTHBEARER", ErrInvalidCredentials, "no token callback")
}

type ctxKey struct{}

func TestOAuthBearerCallback(t *testing.T) {
	cause := errors.New("identity provider unreachable")
	calls := 0
	m := OAuthBearer(func(ctx context.Context) (string, error) {
		calls++
		if ctx.Value(ctxKey{}) != "start" {
			t.Errorf("callback did not get Start's context")
		}
		if calls == 2 {
			return "", cause
		}
		return "tok", nil
	})
	ctx := context.WithValue(context.Background(), ctxKey{}, "start")
	if _, _, err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, err := m.Start(ctx)
	if !errors.Is(err, cause) || err.Error() != "sasl OAUTHBEARER: token callback failed: identity provider unreachable" {
		t.Fatalf("err = %v", err)
	}
	if calls != 2 {
		t.Fatalf("callback ran %d times for 2 Starts", calls)
	}
}

func TestOAuthBearerAgainstServer(t *testing.T) {
	srv := saslserver.OAuthBearer{Token: "good.token"}
	sent, err := exchange(context.Background(), OAuthBearer(staticToken("good.token")), srv)
	if err != nil || len(sent) != 1 {
		t.Fatalf("sent %d messages, err %v", len(sent), err)
	}
	sent, err = exchange(context.Background(), OAuthBearer(staticToken("bad.token")), srv)
	if !errors.Is(err, saslserver.ErrFailed) || err.Error() != saslserver.InvalidTokenChallenge {
		t.Fatalf("wrong token: err = %v", err)
	}
	if len(sent) != 2 || string(sent[1]) != "\x01" {
		t.Fatalf("wrong token: sent %q, want the initial response and 0x01", sent)
	}
}
