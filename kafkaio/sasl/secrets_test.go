package sasl

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/internal/saslserver"
)

const (
	secretPass  = "Correct-Horse-Battery-Staple"
	secretToken = "eyJzZWNyZXQiOiJ0b2tlbiJ9.c2lnbmF0dXJl"
)

// scramSecrets computes, independently of the client, what a SCRAM exchange
// with this salt and iteration count must keep secret, and adds the proof
// the client sent in its client-final-message.
func scramSecrets(t *testing.T, h func() hash.Hash, salt []byte, iter int, clientFinal []byte) map[string][]byte {
	t.Helper()
	salted, err := pbkdf2.Key(h, secretPass, salt, iter, h().Size())
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(h, salted)
	mac.Write([]byte("Client Key"))
	clientKey := mac.Sum(nil)
	d := h()
	d.Write(clientKey)
	secrets := map[string][]byte{
		"password":        []byte(secretPass),
		"salted password": salted,
		"client key":      clientKey,
		"stored key":      d.Sum(nil),
	}
	if _, p, ok := bytes.Cut(clientFinal, []byte(",p=")); ok {
		proof, err := base64.StdEncoding.DecodeString(string(p))
		if err != nil {
			t.Fatal(err)
		}
		secrets["client proof"] = proof
	}
	return secrets
}

// Every way a SCRAM exchange can fail, with the server knowing the real
// password, and the texts it leaves: the errors, and every message sent.
// Only the client-final-message may carry the proof, and nothing carries
// the password, the salted password or the keys.
func TestScramNoSecrets(t *testing.T) {
	salt := []byte("sixteen byte salt")
	for _, mech := range []struct {
		name   string
		h      func() hash.Hash
		client func(user, pass string) Mechanism
	}{
		{"SCRAM-SHA-256", sha256.New, ScramSHA256},
		{"SCRAM-SHA-512", sha512.New, ScramSHA512},
	} {
		faults := []saslserver.ScramFault{
			saslserver.ScramHonest, saslserver.ScramWrongSignature, saslserver.ScramErrorAttribute,
			saslserver.ScramForeignNonce, saslserver.ScramUnextendedNonce, saslserver.ScramBadSalt,
			saslserver.ScramEmptySalt,
		}
		for _, fault := range faults {
			srv := saslserver.Scram{Name: mech.name, User: "user", Pass: secretPass, Salt: salt, Iterations: 4096, Fault: fault}
			sent, err := exchange(context.Background(), mech.client("user", secretPass), srv)
			if (err == nil) != (fault == saslserver.ScramHonest) {
				t.Fatalf("%s fault %d: err = %v", mech.name, fault, err)
			}
			var final []byte
			if len(sent) > 1 {
				final = sent[1]
			}
			secrets := scramSecrets(t, mech.h, salt, 4096, final)
			if err != nil {
				requireNoSecret(t, "error", err.Error(), secrets)
			}
			requireNoSecret(t, "client-first-message", string(sent[0]), secrets)
			if final != nil {
				delete(secrets, "client proof") // the one secret this message must carry
				requireNoSecret(t, "client-final-message", string(final), secrets)
			}
		}
		// A wrong password: the server refuses; the client's texts are clean.
		srv := saslserver.Scram{Name: mech.name, User: "user", Pass: "other", Salt: salt}
		_, err := exchange(context.Background(), mech.client("user", secretPass), srv)
		requireNoSecret(t, "error", err.Error(), scramSecrets(t, mech.h, salt, 4096, nil))
	}
}

// A server that echoes the proof in its error does not get it into the
// client's error text.
func TestScramEchoedProofRedacted(t *testing.T) {
	sess, _ := mustStart(t, withNonce(ScramSHA256("user", secretPass), rfc7677.clientNonce))
	first := strings.Replace(rfc7677.serverFirst, "W22ZaJ0SNY7soEsUEjb6gQ==", base64.StdEncoding.EncodeToString([]byte("sixteen byte salt")), 1)
	_, final, err := sess.Next(context.Background(), []byte(first))
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := bytes.Cut(final, []byte(",p="))
	for _, echo := range []string{"e=" + string(p), "v=AAAA,x=" + string(p), "q=" + string(p)} {
		sess, _ := mustStart(t, withNonce(ScramSHA256("user", secretPass), rfc7677.clientNonce))
		sess.Next(context.Background(), []byte(first))
		_, _, err := sess.Next(context.Background(), []byte(echo))
		if err == nil {
			t.Fatalf("%q accepted", echo)
		}
		requireNoSecret(t, "error", err.Error(), scramSecrets(t, sha256.New, []byte("sixteen byte salt"), 4096, final))
	}
}

func TestPlainNoSecrets(t *testing.T) {
	secrets := map[string][]byte{"password": []byte(secretPass)}
	var texts []string
	for _, pass := range []string{secretPass + "\x00", "\xff" + secretPass, secretPass} {
		_, _, err := Plain("user\x00", pass).Start(context.Background())
		texts = append(texts, err.Error())
		_, _, err = Plain("user", pass).Start(context.Background())
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	sess, msg := mustStart(t, Plain("user", secretPass))
	if !bytes.HasSuffix(msg, []byte(secretPass)) {
		t.Fatalf("PLAIN message %q does not end with the password", msg)
	}
	_, _, err := sess.Next(context.Background(), []byte("x"))
	texts = append(texts, err.Error())
	_, err = exchange(context.Background(), Plain("user", secretPass), saslserver.Plain{User: "user", Pass: "other"})
	texts = append(texts, err.Error())
	for _, text := range texts {
		requireNoSecret(t, "error", text, secrets)
	}
}

func TestOAuthBearerNoSecrets(t *testing.T) {
	secrets := map[string][]byte{"token": []byte(secretToken)}
	var texts []string
	for _, tok := range []string{secretToken + " ", "=" + secretToken, secretToken + "\n", secretToken + "=x"} {
		_, _, err := OAuthBearer(staticToken(tok)).Start(context.Background())
		if err == nil {
			t.Fatalf("token %q accepted", tok)
		}
		texts = append(texts, err.Error())
	}
	// The server's error after a wrong token, and a hostile server that
	// echoes the token in its error.
	for _, challenge := range []string{saslserver.InvalidTokenChallenge, `{"status":"` + secretToken + `"}`} {
		sess, _ := mustStart(t, OAuthBearer(staticToken(secretToken)))
		if _, resp, err := sess.Next(context.Background(), []byte(challenge)); err != nil || string(resp) != "\x01" {
			t.Fatalf("Next(error) = %q, %v", resp, err)
		}
		_, _, err := sess.Next(context.Background(), nil)
		texts = append(texts, err.Error())
	}
	for _, text := range texts {
		requireNoSecret(t, "error", text, secrets)
	}
}

func TestErrorText(t *testing.T) {
	err := &Error{Mechanism: "PLAIN", Reason: "empty password", Err: ErrInvalidCredentials}
	if err.Error() != "sasl PLAIN: empty password" {
		t.Fatalf("Error() = %q", err.Error())
	}
	err = &Error{Mechanism: "SCRAM-SHA-256", Reason: "computing the salted password", Err: context.Canceled}
	if err.Error() != "sasl SCRAM-SHA-256: computing the salted password: context canceled" {
		t.Fatalf("Error() = %q", err.Error())
	}
	long := bytes.Repeat([]byte("y"), 100)
	if got := quote(long); got != `"`+strings.Repeat("y", 64)+`"... (100 bytes)` {
		t.Fatalf("quote(100 bytes) = %s", got)
	}
}
