package sasl

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
)

const (
	nameScramSHA256 = "SCRAM-SHA-256"
	nameScramSHA512 = "SCRAM-SHA-512"
)

const (
	// MinScramIterations is the lowest iteration count a SCRAM client
	// accepts: RFC 7677 requires at least 4096.
	MinScramIterations = 4096
	// MaxScramIterations is the highest iteration count a SCRAM client
	// accepts, 64 times the 16384 a Kafka broker allows in a credential, so
	// that a hostile server cannot make the client hash for minutes.
	MaxScramIterations = 1 << 20
)

// gs2Header is the GS2 header every SCRAM client message starts with: no
// channel binding ("n"), no authorization id (empty). "biws" is its base64.
const (
	gs2Header        = "n,,"
	gs2HeaderEncoded = "biws"
)

// nonceBytes random bytes make a client nonce of 32 printable characters.
const nonceBytes = 24

// ScramSHA256 returns the SCRAM-SHA-256 mechanism (RFC 7677) for user and
// pass. Start fails with ErrInvalidCredentials when user or pass is empty,
// not valid UTF-8 or holds a NUL byte.
func ScramSHA256(user, pass string) Mechanism {
	return newScram(nameScramSHA256, sha256.New, user, pass)
}

// ScramSHA512 returns the SCRAM-SHA-512 mechanism for user and pass, the
// same exchange as ScramSHA256 with SHA-512.
func ScramSHA512(user, pass string) Mechanism {
	return newScram(nameScramSHA512, sha512.New, user, pass)
}

func newScram(name string, h func() hash.Hash, user, pass string) *scram {
	return &scram{name: name, hash: h, user: user, pass: pass, nonce: randomNonce}
}

type scram struct {
	name       string
	hash       func() hash.Hash
	user, pass string
	// nonce makes the client nonce: randomNonce, or a fixed one in tests.
	nonce func() (string, error)
}

// randomNonce is nonceBytes of crypto/rand in unpadded URL-safe base64:
// printable characters, never a ','.
func randomNonce() (string, error) {
	b := make([]byte, nonceBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// usernameEscaper escapes a user name for the n= attribute (RFC 5802
// section 5.1): "=" becomes "=3D" and "," becomes "=2C", in one pass.
var usernameEscaper = strings.NewReplacer("=", "=3D", ",", "=2C")

func (m *scram) Name() string { return m.name }

func (m *scram) Start(context.Context) (Session, []byte, error) {
	if err := checkText(m.name, "user name", m.user); err != nil {
		return nil, nil, err
	}
	if err := checkText(m.name, "password", m.pass); err != nil {
		return nil, nil, err
	}
	nonce, err := m.nonce()
	if err != nil {
		return nil, nil, &Error{Mechanism: m.name, Reason: "making the client nonce", Err: err}
	}
	bare := "n=" + usernameEscaper.Replace(m.user) + ",r=" + nonce
	s := &scramSession{m: m, clientNonce: nonce, clientFirstBare: bare}
	return s, []byte(gs2Header + bare), nil
}

// scramSession is one SCRAM exchange. Between the two server messages it
// keeps the server signature it expects and the proof it sent (only to
// redact it from server text); the salted password and the keys live only
// inside clientFinal, which clears them.
type scramSession struct {
	m               *scram
	step            int // 0: before server-first, 1: before server-final, 2: done
	clientNonce     string
	clientFirstBare string
	serverSignature []byte
	sentProof       string // the base64 proof, only to redact it from server text
}

func (s *scramSession) Next(ctx context.Context, challenge []byte) (bool, []byte, error) {
	step := s.step
	s.step = 2 // any error finishes the session; success sets the next step
	switch step {
	case 0:
		resp, err := s.clientFinal(ctx, challenge)
		if err != nil {
			return false, nil, err
		}
		s.step = 1
		return false, resp, nil
	case 1:
		if err := s.verifyServerFinal(challenge); err != nil {
			return false, nil, err
		}
		return true, nil, nil
	default:
		return false, nil, s.bad("server message after the exchange was complete")
	}
}

// quote quotes server text for an error, with the proof this session sent
// redacted in case the server echoes it.
func (s *scramSession) quote(b []byte) string { return quote(b, s.sentProof) }

func (s *scramSession) bad(reason string) error { return badServer(s.m.name, reason) }

// serverFirst holds the parsed server-first-message.
type serverFirst struct {
	nonce      string
	salt       []byte
	iterations int
}

// parseServerFirst parses and checks a server-first-message (RFC 5802
// section 7):
//
//	[reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
func (s *scramSession) parseServerFirst(msg []byte) (serverFirst, error) {
	var sf serverFirst
	if len(msg) == 0 {
		return sf, s.bad("empty server-first-message")
	}
	if err := s.checkAttrs(msg, "server-first-message"); err != nil {
		return sf, err
	}
	attrs := strings.Split(string(msg), ",")
	switch attrs[0][0] {
	case 'e':
		return sf, s.rejected(attrs[0][2:])
	case 'm':
		return sf, s.bad("server-first-message requires an extension (m=) this client does not support")
	}
	if len(attrs) < 3 || attrs[0][0] != 'r' || attrs[1][0] != 's' || attrs[2][0] != 'i' {
		return sf, s.bad("server-first-message is not r=...,s=...,i=...: " + s.quote(msg))
	}
	sf.nonce = attrs[0][2:]
	if err := s.checkNonce(sf.nonce); err != nil {
		return sf, err
	}
	salt, err := base64.StdEncoding.Strict().DecodeString(attrs[1][2:])
	switch {
	case err != nil:
		return sf, s.bad("salt is not base64: " + s.quote([]byte(attrs[1][2:])))
	case len(salt) == 0:
		return sf, s.bad("empty salt")
	}
	sf.salt = salt
	count := attrs[2][2:]
	if !isPositNumber(count) {
		return sf, s.bad("iteration count " + s.quote([]byte(count)) + " is not a number")
	}
	sf.iterations, err = strconv.Atoi(count)
	if err != nil || sf.iterations < MinScramIterations || sf.iterations > MaxScramIterations {
		return sf, s.bad("iteration count " + count + " is outside [" +
			strconv.Itoa(MinScramIterations) + ", " + strconv.Itoa(MaxScramIterations) + "]")
	}
	return sf, nil
}

// checkAttrs checks that msg is a comma-separated list of attributes, each a
// letter, "=" and a value, in printable ASCII or UTF-8 without NUL.
func (s *scramSession) checkAttrs(msg []byte, what string) error {
	if bytes.IndexByte(msg, 0) >= 0 {
		return s.bad(what + " holds a NUL byte")
	}
	for a := range bytes.SplitSeq(msg, []byte(",")) {
		if len(a) < 2 || a[1] != '=' || !isAlpha(a[0]) {
			return s.bad(what + " has a malformed attribute " + s.quote(a))
		}
	}
	return nil
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// checkNonce checks the server nonce: printable, no ',' (the split already
// removed those), starting with the client nonce and longer than it.
func (s *scramSession) checkNonce(nonce string) error {
	for i := 0; i < len(nonce); i++ {
		if nonce[i] < 0x21 || nonce[i] > 0x7e {
			return s.bad("server nonce holds a non-printable byte at offset " + strconv.Itoa(i))
		}
	}
	if !strings.HasPrefix(nonce, s.clientNonce) {
		return s.bad("server nonce does not start with the client nonce")
	}
	if len(nonce) == len(s.clientNonce) {
		return s.bad("server nonce does not extend the client nonce")
	}
	return nil
}

// isPositNumber reports whether v is RFC 5802's posit-number: decimal
// digits without sign or leading zero.
func isPositNumber(v string) bool {
	if v == "" || v[0] == '0' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func (s *scramSession) rejected(value string) error {
	return &Error{Mechanism: s.m.name, Reason: "server error " + s.quote([]byte(value)), Err: ErrRejected}
}

// clientFinal checks the server-first-message and computes the
// client-final-message (RFC 5802 section 3):
//
//	SaltedPassword  := Hi(password, salt, i)
//	ClientKey       := HMAC(SaltedPassword, "Client Key")
//	StoredKey       := H(ClientKey)
//	AuthMessage     := client-first-message-bare "," server-first-message ","
//	                   client-final-message-without-proof
//	ClientSignature := HMAC(StoredKey, AuthMessage)
//	ClientProof     := ClientKey XOR ClientSignature
//	ServerKey       := HMAC(SaltedPassword, "Server Key")
//	ServerSignature := HMAC(ServerKey, AuthMessage)
func (s *scramSession) clientFinal(ctx context.Context, msg []byte) ([]byte, error) {
	sf, err := s.parseServerFirst(msg)
	if err != nil {
		return nil, err
	}
	pass := []byte(s.m.pass)
	defer clear(pass)
	salted, err := hi(ctx, s.m.hash, pass, sf.salt, sf.iterations)
	if err != nil {
		return nil, &Error{Mechanism: s.m.name, Reason: "computing the salted password", Err: err}
	}
	defer clear(salted)
	clientKey := hmacSum(s.m.hash, salted, []byte("Client Key"))
	defer clear(clientKey)
	h := s.m.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	defer clear(storedKey)

	withoutProof := "c=" + gs2HeaderEncoded + ",r=" + sf.nonce
	authMessage := make([]byte, 0, len(s.clientFirstBare)+len(msg)+len(withoutProof)+2)
	authMessage = append(authMessage, s.clientFirstBare...)
	authMessage = append(authMessage, ',')
	authMessage = append(authMessage, msg...)
	authMessage = append(authMessage, ',')
	authMessage = append(authMessage, withoutProof...)

	proof := hmacSum(s.m.hash, storedKey, authMessage) // ClientSignature, XORed into the proof below
	defer clear(proof)
	subtle.XORBytes(proof, proof, clientKey)
	serverKey := hmacSum(s.m.hash, salted, []byte("Server Key"))
	defer clear(serverKey)
	s.serverSignature = hmacSum(s.m.hash, serverKey, authMessage)

	s.sentProof = base64.StdEncoding.EncodeToString(proof)
	return []byte(withoutProof + ",p=" + s.sentProof), nil
}

// verifyServerFinal checks the server-final-message (RFC 5802 section 7):
//
//	(server-error / verifier) ["," extensions]
func (s *scramSession) verifyServerFinal(msg []byte) error {
	if len(msg) == 0 {
		return s.bad("empty server-final-message")
	}
	if err := s.checkAttrs(msg, "server-final-message"); err != nil {
		return err
	}
	first, _, _ := bytes.Cut(msg, []byte(","))
	switch first[0] {
	case 'e':
		return s.rejected(string(first[2:]))
	case 'v':
	default:
		return s.bad("server-final-message starts with " + s.quote(first[:2]) + ", not v= or e=")
	}
	got, err := base64.StdEncoding.Strict().DecodeString(string(first[2:]))
	if err != nil {
		return s.bad("server signature is not base64")
	}
	if !hmac.Equal(got, s.serverSignature) {
		return s.bad("server signature does not match: the server does not know the password")
	}
	return nil
}

// scramIterationCheck is how often (in iterations) hi looks at its context.
const scramIterationCheck = 1024

// hi is RFC 5802's Hi(str, salt, i), PBKDF2 with HMAC as the PRF and one
// block of output, checking ctx every scramIterationCheck iterations so that
// a deadline interrupts a long computation.
func hi(ctx context.Context, h func() hash.Hash, str, salt []byte, iterations int) ([]byte, error) {
	mac := hmac.New(h, str)
	mac.Write(salt)
	mac.Write([]byte{0, 0, 0, 1}) // INT(1)
	u := mac.Sum(nil)
	defer clear(u)
	out := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		if i%scramIterationCheck == 0 {
			if err := ctx.Err(); err != nil {
				clear(out)
				return nil, err
			}
		}
		mac.Reset()
		mac.Write(u)
		u = mac.Sum(u[:0])
		subtle.XORBytes(out, out, u)
	}
	return out, nil
}

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	mac := hmac.New(h, key)
	mac.Write(msg)
	return mac.Sum(nil)
}
