package sasl

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"sync"
	"testing"

	"github.com/kafkaio/kafkaio/internal/saslserver"
	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
)

// scramVector is one of the RFCs' example exchanges: user "user", password
// "pencil".
type scramVector struct {
	name        string
	hash        func() hash.Hash
	clientNonce string
	clientFirst string
	serverFirst string
	clientFinal string
	serverFinal string
}

var (
	// RFC 7677 section 3.
	rfc7677 = scramVector{
		name:        "SCRAM-SHA-256",
		hash:        sha256.New,
		clientNonce: "rOprNGfwEbeRWgbNEkqO",
		clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
		serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	}
	// RFC 5802 section 5, SCRAM-SHA-1: the same algorithm with SHA-1.
	rfc5802 = scramVector{
		name:        "SCRAM-SHA-1",
		hash:        sha1.New,
		clientNonce: "fyko+d2lbbFgONRv9qkxdawL",
		clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
		serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	}
)

func (v scramVector) mechanism() Mechanism {
	return withNonce(newScram(v.name, v.hash, "user", "pencil"), v.clientNonce)
}

func TestScramRFCVectors(t *testing.T) {
	for _, v := range []scramVector{rfc7677, rfc5802} {
		t.Run(v.name, func(t *testing.T) {
			sess, first := mustStart(t, v.mechanism())
			sameBytes(t, "client-first-message", first, []byte(v.clientFirst))
			done, final, err := sess.Next(context.Background(), []byte(v.serverFirst))
			if err != nil || done {
				t.Fatalf("Next(server-first) = %v, %v", done, err)
			}
			sameBytes(t, "client-final-message", final, []byte(v.clientFinal))
			done, resp, err := sess.Next(context.Background(), []byte(v.serverFinal))
			if err != nil || !done || resp != nil {
				t.Fatalf("Next(server-final) = %v, %q, %v; want done", done, resp, err)
			}
		})
	}
}

// hi must be PBKDF2 with one block of output: compare with crypto/pbkdf2.
func TestHiMatchesPBKDF2(t *testing.T) {
	for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New} {
		for _, iter := range []int{1, 2, 1023, 1024, 1025, 4096} {
			salt := []byte("NaCl and pepper!")
			got, err := hi(context.Background(), h, []byte("pencil"), salt, iter)
			if err != nil {
				t.Fatal(err)
			}
			want, err := pbkdf2.Key(h, "pencil", salt, iter, h().Size())
			if err != nil {
				t.Fatal(err)
			}
			if !hmac.Equal(got, want) {
				t.Fatalf("%d-byte hash, %d iterations: hi = %x, pbkdf2 = %x", h().Size(), iter, got, want)
			}
		}
	}
}

// franz-go's SCRAM client, an independent implementation, must produce the
// same client-final-message from the same nonce and server-first-message;
// the server-side computation in saslserver must accept both.
func TestScramMatchesFranzGo(t *testing.T) {
	raw := []byte("0123456789abcdefghij") // franz-go base64-encodes its nonce
	nonce := base64.RawStdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		ours   Mechanism
		server saslserver.Scram
	}{
		{ScramSHA512("alice=,bob", "pä55 wörd"), saslserver.ScramSHA512("alice=,bob", "pä55 wörd")},
		{ScramSHA256("alice=,bob", "pä55 wörd"), saslserver.ScramSHA256("alice=,bob", "pä55 wörd")},
	} {
		name := tc.ours.Name()
		t.Run(name, func(t *testing.T) {
			auth := franzscram.Auth{User: "alice=,bob", Pass: "pä55 wörd", Nonce: raw}
			fm := auth.AsSha256Mechanism()
			if name == "SCRAM-SHA-512" {
				fm = auth.AsSha512Mechanism()
			}
			fsess, ffirst, err := fm.Authenticate(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			sess, first := mustStart(t, withNonce(tc.ours, nonce))
			sameBytes(t, "client-first-message vs franz-go", first, ffirst)

			srv := tc.server
			srv.Salt = []byte("a salt of 16 b..")
			srv.Iterations = 8192
			ex := srv.Start()
			serverFirst, _, err := ex.Step(first)
			if err != nil {
				t.Fatal(err)
			}
			_, final, err := sess.Next(context.Background(), serverFirst)
			if err != nil {
				t.Fatal(err)
			}
			_, ffinal, err := fsess.Challenge(serverFirst)
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "client-final-message vs franz-go", final, ffinal)
			serverFinal, done, err := ex.Step(final)
			if err != nil || !done {
				t.Fatalf("server: %v, done %v", err, done)
			}
			if done, _, err := sess.Next(context.Background(), serverFinal); err != nil || !done {
				t.Fatalf("Next(server-final) = %v, %v", done, err)
			}
			if done, _, err := fsess.Challenge(serverFinal); err != nil || !done {
				t.Fatalf("franz-go on server-final: %v, %v", done, err)
			}
		})
	}
}

func TestScramAgainstServer(t *testing.T) {
	users := []string{"user", "a=b", "a,b", "=,=", "ünï"}
	for _, user := range users {
		for _, m := range []struct {
			client Mechanism
			server saslserver.Scram
		}{
			{ScramSHA256(user, "secret-pw"), saslserver.ScramSHA256(user, "secret-pw")},
			{ScramSHA512(user, "secret-pw"), saslserver.ScramSHA512(user, "secret-pw")},
		} {
			sent, err := exchange(context.Background(), m.client, m.server)
			if err != nil {
				t.Fatalf("%s, user %q: %v", m.client.Name(), user, err)
			}
			if len(sent) != 2 {
				t.Fatalf("%s sent %d messages, want 2", m.client.Name(), len(sent))
			}
		}
	}
	// A wrong password is refused by the server, not the client.
	_, err := exchange(context.Background(), ScramSHA256("user", "wrong-pw"), saslserver.ScramSHA256("user", "secret-pw"))
	if !errors.Is(err, saslserver.ErrFailed) {
		t.Fatalf("wrong password: err = %v, want the server's failure", err)
	}
}

func TestScramUsernameEscaping(t *testing.T) {
	for user, want := range map[string]string{
		"plain": "n=plain,", "a=b": "n=a=3Db,", "a,b": "n=a=2Cb,", "=,": "n==3D=2C,", "=2C": "n==3D2C,",
	} {
		_, first := mustStart(t, withNonce(ScramSHA256(user, "pw"), "nonce"))
		if got := strings.TrimPrefix(string(first), "n,,"); !strings.HasPrefix(got, want) {
			t.Errorf("user %q: client-first-message-bare %q, want it to start %q", user, got, want)
		}
	}
}

func TestScramClientNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		_, first := mustStart(t, ScramSHA512("user", "pw"))
		nonce, ok := strings.CutPrefix(string(first), "n,,n=user,r=")
		if !ok {
			t.Fatalf("client-first-message %q", first)
		}
		if len(nonce) != 32 {
			t.Fatalf("nonce %q has %d characters, want 32", nonce, len(nonce))
		}
		for _, c := range []byte(nonce) {
			if c < 0x21 || c > 0x7e || c == ',' {
				t.Fatalf("nonce %q holds %q", nonce, c)
			}
		}
		if seen[nonce] {
			t.Fatalf("nonce %q came twice", nonce)
		}
		seen[nonce] = true
	}
}

func TestScramInvalidCredentials(t *testing.T) {
	for _, tc := range []struct{ user, pass, want string }{
		{"", "pw", "empty user name"},
		{"user", "", "empty password"},
		{"us\x00er", "pw", "user name holds a NUL byte at offset 2"},
		{"user", "p\x00w", "password holds a NUL byte at offset 1"},
		{"us\xffer", "pw", "user name is not valid UTF-8"},
		{"user", "p\xffw", "password is not valid UTF-8"},
	} {
		for _, m := range []Mechanism{ScramSHA256(tc.user, tc.pass), ScramSHA512(tc.user, tc.pass)} {
			s, msg, err := m.Start(context.Background())
			if s != nil || msg != nil {
				t.Fatalf("%s Start(%q, %q) returned a session or message with its error", m.Name(), tc.user, tc.pass)
			}
			requireKind(t, err, m.Name(), ErrInvalidCredentials, tc.want)
		}
	}
}

// scramAfterFirst is an RFC 7677 session that has sent its first message.
func scramAfterFirst(t *testing.T) Session {
	t.Helper()
	sess, _ := mustStart(t, rfc7677.mechanism())
	return sess
}

// Every check on the server-first-message fails the exchange with
// ErrServerMessage (or ErrRejected for e=) and no response.
func TestScramServerFirstChecks(t *testing.T) {
	const n = "rOprNGfwEbeRWgbNEkqO"
	const salt = "W22ZaJ0SNY7soEsUEjb6gQ=="
	cases := []struct {
		name, msg string
		kind      error
		want      string
	}{
		{"empty", "", ErrServerMessage, "empty server-first-message"},
		{"short nonce", "r=" + n + ",s=" + salt + ",i=4096", ErrServerMessage, "does not extend the client nonce"},
		{"foreign nonce", "r=X" + n + "abc,s=" + salt + ",i=4096", ErrServerMessage, "does not start with the client nonce"},
		{"truncated nonce", "r=" + n[:10] + ",s=" + salt + ",i=4096", ErrServerMessage, "does not start with the client nonce"},
		{"nonce with a space", "r=" + n + "a b,s=" + salt + ",i=4096", ErrServerMessage, "non-printable byte at offset 21"},
		{"nonce with DEL", "r=" + n + "a\x7f,s=" + salt + ",i=4096", ErrServerMessage, "non-printable"},
		{"low iterations", "r=" + n + "xyz,s=" + salt + ",i=4095", ErrServerMessage, "iteration count 4095 is outside [4096, 1048576]"},
		{"one iteration", "r=" + n + "xyz,s=" + salt + ",i=1", ErrServerMessage, "iteration count 1 is outside"},
		{"huge iterations", "r=" + n + "xyz,s=" + salt + ",i=1048577", ErrServerMessage, "iteration count 1048577 is outside"},
		{"overflowing iterations", "r=" + n + "xyz,s=" + salt + ",i=99999999999999999999999", ErrServerMessage, "is outside"},
		{"zero iterations", "r=" + n + "xyz,s=" + salt + ",i=0", ErrServerMessage, `iteration count "0" is not a number`},
		{"leading zero", "r=" + n + "xyz,s=" + salt + ",i=04096", ErrServerMessage, "is not a number"},
		{"signed iterations", "r=" + n + "xyz,s=" + salt + ",i=+4096", ErrServerMessage, "is not a number"},
		{"negative iterations", "r=" + n + "xyz,s=" + salt + ",i=-4096", ErrServerMessage, "is not a number"},
		{"word iterations", "r=" + n + "xyz,s=" + salt + ",i=many", ErrServerMessage, "is not a number"},
		{"bad salt", "r=" + n + "xyz,s=***,i=4096", ErrServerMessage, "salt is not base64"},
		{"unpadded salt", "r=" + n + "xyz,s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096", ErrServerMessage, "salt is not base64"},
		{"empty salt", "r=" + n + "xyz,s=,i=4096", ErrServerMessage, "empty salt"},
		{"wrong order", "s=" + salt + ",r=" + n + "xyz,i=4096", ErrServerMessage, "is not r=...,s=...,i=..."},
		{"missing iterations", "r=" + n + "xyz,s=" + salt, ErrServerMessage, "is not r=...,s=...,i=..."},
		{"mandatory extension", "m=ext,r=" + n + "xyz,s=" + salt + ",i=4096", ErrServerMessage, "requires an extension (m=)"},
		{"server error", "e=unknown-user", ErrRejected, `server error "unknown-user"`},
		{"malformed attribute", "r=" + n + "xyz,s=" + salt + ",i=4096,junk", ErrServerMessage, `malformed attribute "junk"`},
		{"empty attribute", "r=" + n + "xyz,,s=" + salt + ",i=4096", ErrServerMessage, `malformed attribute ""`},
		{"NUL byte", "r=" + n + "xyz,s=" + salt + ",i=4096\x00", ErrServerMessage, "holds a NUL byte"},
		{"client-final instead", "c=biws,r=" + n + "xyz,p=AAAA", ErrServerMessage, "is not r=...,s=...,i=..."},
		{"server-final instead", rfc7677.serverFinal, ErrServerMessage, "is not r=...,s=...,i=..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := scramAfterFirst(t)
			done, resp, err := sess.Next(context.Background(), []byte(tc.msg))
			if done || resp != nil {
				t.Fatalf("Next = %v, %q with error %v", done, resp, err)
			}
			requireKind(t, err, "SCRAM-SHA-256", tc.kind, tc.want)
			// The session is finished: another message is out of order.
			_, _, err = sess.Next(context.Background(), []byte(rfc7677.serverFirst))
			requireKind(t, err, "SCRAM-SHA-256", ErrServerMessage, "after the exchange was complete")
		})
	}
	// Extensions after the iteration count are allowed.
	sess := scramAfterFirst(t)
	if _, _, err := sess.Next(context.Background(), []byte(rfc7677.serverFirst+",x=ext")); err != nil {
		t.Fatalf("server-first with an extension: %v", err)
	}
}

func TestScramServerFinalChecks(t *testing.T) {
	sig := strings.TrimPrefix(rfc7677.serverFinal, "v=")
	raw, _ := base64.StdEncoding.DecodeString(sig)
	raw[len(raw)-1] ^= 0x80
	flipped := "v=" + base64.StdEncoding.EncodeToString(raw)
	cases := []struct {
		name, msg string
		kind      error
		want      string
	}{
		{"bad signature", flipped, ErrServerMessage, "server signature does not match"},
		{"short signature", rfc7677.serverFinal[:len(rfc7677.serverFinal)-4], ErrServerMessage, "server signature"},
		{"signature not base64", "v=***", ErrServerMessage, "server signature is not base64"},
		{"empty signature", "v=", ErrServerMessage, "server signature does not match"},
		{"server error", "e=invalid-proof", ErrRejected, `server error "invalid-proof"`},
		{"server error with extension", "e=other-error,x=1", ErrRejected, `server error "other-error"`},
		{"empty", "", ErrServerMessage, "empty server-final-message"},
		{"other attribute", "x=1," + rfc7677.serverFinal, ErrServerMessage, `starts with "x="`},
		{"server-first again", rfc7677.serverFirst, ErrServerMessage, `starts with "r="`},
		{"malformed", "v", ErrServerMessage, `malformed attribute "v"`},
		{"NUL byte", rfc7677.serverFinal + "\x00", ErrServerMessage, "holds a NUL byte"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := scramAfterFirst(t)
			if _, _, err := sess.Next(context.Background(), []byte(rfc7677.serverFirst)); err != nil {
				t.Fatal(err)
			}
			done, resp, err := sess.Next(context.Background(), []byte(tc.msg))
			if done || resp != nil {
				t.Fatalf("Next = %v, %q with error %v", done, resp, err)
			}
			requireKind(t, err, "SCRAM-SHA-256", tc.kind, tc.want)
		})
	}
	// An extension after the verifier is allowed.
	sess := scramAfterFirst(t)
	sess.Next(context.Background(), []byte(rfc7677.serverFirst))
	if done, _, err := sess.Next(context.Background(), []byte(rfc7677.serverFinal+",x=ext")); err != nil || !done {
		t.Fatalf("server-final with an extension: %v, %v", done, err)
	}
	// After done, another server message is out of order.
	_, _, err := sess.Next(context.Background(), []byte(rfc7677.serverFinal))
	requireKind(t, err, "SCRAM-SHA-256", ErrServerMessage, "after the exchange was complete")
}

// Each misbehaviour of the scripted SCRAM server fails the client's checks.
func TestScramFaultyServers(t *testing.T) {
	faults := map[saslserver.ScramFault]struct {
		kind error
		want string
	}{
		saslserver.ScramWrongSignature:  {ErrServerMessage, "server signature does not match"},
		saslserver.ScramErrorAttribute:  {ErrRejected, `server error "invalid-proof"`},
		saslserver.ScramForeignNonce:    {ErrServerMessage, "does not start with the client nonce"},
		saslserver.ScramUnextendedNonce: {ErrServerMessage, "does not extend the client nonce"},
		saslserver.ScramBadSalt:         {ErrServerMessage, "salt is not base64"},
		saslserver.ScramEmptySalt:       {ErrServerMessage, "empty salt"},
	}
	for fault, tc := range faults {
		for _, name := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
			srv := saslserver.Scram{Name: name, User: "u", Pass: "password", Fault: fault}
			m := ScramSHA256("u", "password")
			if name == "SCRAM-SHA-512" {
				m = ScramSHA512("u", "password")
			}
			_, err := exchange(context.Background(), m, srv)
			requireKind(t, err, name, tc.kind, tc.want)
		}
	}
	srv := saslserver.ScramSHA512("u", "password")
	srv.Iterations = 4095
	_, err := exchange(context.Background(), ScramSHA512("u", "password"), srv)
	requireKind(t, err, "SCRAM-SHA-512", ErrServerMessage, "iteration count 4095 is outside")
}

// The salted password computation watches the context.
func TestScramContext(t *testing.T) {
	const n = "rOprNGfwEbeRWgbNEkqO"
	first := "r=" + n + "xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1048576"

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, resp, err := scramAfterFirst(t).Next(ctx, []byte(first))
	if !errors.Is(err, context.Canceled) || resp != nil {
		t.Fatalf("cancelled: err = %v, resp %q", err, resp)
	}
	requireKind(t, err, "SCRAM-SHA-256", context.Canceled, "computing the salted password: context canceled")

	// A deadline in the middle of a million iterations interrupts them.
	ctx, cancel = context.WithTimeout(context.Background(), 5_000_000) // 5 ms
	defer cancel()
	_, _, err = scramAfterFirst(t).Next(ctx, []byte(first))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err = %v", err)
	}
}

// One Mechanism serves many exchanges at once; run with -race.
func TestScramConcurrent(t *testing.T) {
	for _, tc := range []struct {
		m   Mechanism
		srv saslserver.Server
	}{
		{ScramSHA256("user", "pw-123"), saslserver.ScramSHA256("user", "pw-123")},
		{ScramSHA512("user", "pw-123"), saslserver.ScramSHA512("user", "pw-123")},
		{Plain("user", "pw-123"), saslserver.Plain{User: "user", Pass: "pw-123"}},
		{OAuthBearer(func(context.Context) (string, error) { return "tok.en", nil }), saslserver.OAuthBearer{Token: "tok.en"}},
	} {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				if _, err := exchange(context.Background(), tc.m, tc.srv); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("%s: %v", tc.m.Name(), err)
		}
	}
}
