package saslserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
)

// SCRAM mechanism names, for Scram.Name.
const (
	ScramSHA256Name = "SCRAM-SHA-256"
	ScramSHA512Name = "SCRAM-SHA-512"
)

// DefaultIterations is the iteration count a Scram server uses when none is
// set: RFC 7677's minimum, and what Kafka's tools and kfake use.
const DefaultIterations = 4096

// ScramFault makes a Scram server misbehave in one way, to test the client's
// checks.
type ScramFault int

const (
	// ScramHonest is a correct server.
	ScramHonest ScramFault = iota
	// ScramWrongSignature sends a server-final-message whose signature has
	// one bit flipped, as an impostor that does not know the password would.
	ScramWrongSignature
	// ScramErrorAttribute sends "e=invalid-proof" as the server-final-message
	// of a successful SaslAuthenticate response: RFC 5802's way to refuse,
	// which Apache Kafka never uses (it fails the request instead).
	ScramErrorAttribute
	// ScramForeignNonce sends a server nonce that does not start with the
	// client's.
	ScramForeignNonce
	// ScramUnextendedNonce sends the client's nonce back unchanged.
	ScramUnextendedNonce
	// ScramBadSalt sends a salt that is not base64.
	ScramBadSalt
	// ScramEmptySalt sends an empty salt.
	ScramEmptySalt
)

// Scram is a SCRAM-SHA-256 or SCRAM-SHA-512 server (RFC 5802, RFC 7677)
// that knows one user. It checks the client's messages strictly: the gs2
// header "n,," (no channel binding), the escaped user name, the channel
// binding "c=biws", the combined nonce, and the client proof.
type Scram struct {
	Name       string // ScramSHA256Name or ScramSHA512Name
	User, Pass string
	Salt       []byte // nil: 16 bytes from crypto/rand for each exchange
	Iterations int    // 0: DefaultIterations; lower values test the client's minimum
	// Nonce is the part the server appends to the client nonce: printable
	// ASCII without ','. "": 18 bytes from crypto/rand in base64.
	Nonce string
	Fault ScramFault
}

// ScramSHA256 is an honest SCRAM-SHA-256 server for user and pass.
func ScramSHA256(user, pass string) Scram {
	return Scram{Name: ScramSHA256Name, User: user, Pass: pass}
}

// ScramSHA512 is an honest SCRAM-SHA-512 server for user and pass.
func ScramSHA512(user, pass string) Scram {
	return Scram{Name: ScramSHA512Name, User: user, Pass: pass}
}

// Mechanism is s.Name.
func (s Scram) Mechanism() string { return s.Name }

// Start begins one exchange. It panics when Name is not a SCRAM mechanism
// this package knows.
func (s Scram) Start() Exchange {
	var h func() hash.Hash
	switch s.Name {
	case ScramSHA256Name:
		h = sha256.New
	case ScramSHA512Name:
		h = sha512.New
	default:
		panic("saslserver: Scram.Name " + strconv.Quote(s.Name) + " is not a SCRAM mechanism")
	}
	return &scramExchange{s: s, hash: h}
}

type scramExchange struct {
	s    Scram
	hash func() hash.Hash
	step int // 0: before client-first, 1: before client-final, 2: finished

	clientFirstBare, serverFirst, nonce string
	storedKey, serverKey                []byte
}

func (e *scramExchange) Step(msg []byte) ([]byte, bool, error) {
	step := e.step
	e.step = 2
	switch step {
	case 0:
		first, err := e.serverFirstMessage(msg)
		if err != nil {
			return nil, false, err
		}
		e.step = 1
		return first, false, nil
	case 1:
		final, err := e.serverFinalMessage(msg)
		if err != nil {
			return nil, false, err
		}
		return final, true, nil
	default:
		return nil, false, finished(e.s.Name)
	}
}

// invalid is the failure for anything wrong with the client's messages or
// credentials; like Kafka, it does not say which.
func (e *scramExchange) invalid() error { return invalidCredentials(e.s.Name) }

var scramUnescaper = strings.NewReplacer("=2C", ",", "=3D", "=")

// serverFirstMessage checks client-first-message = "n,," "n=" saslname
// ",r=" nonce ["," extensions] and makes the server-first-message.
func (e *scramExchange) serverFirstMessage(msg []byte) ([]byte, error) {
	bare, ok := bytes.CutPrefix(msg, []byte("n,,"))
	if !ok {
		return nil, e.invalid()
	}
	attrs := strings.Split(string(bare), ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, e.invalid()
	}
	escaped := attrs[0][2:]
	// Every '=' must start =2C or =3D; a ',' cannot appear after the split.
	if strings.Count(escaped, "=") != strings.Count(escaped, "=2C")+strings.Count(escaped, "=3D") {
		return nil, e.invalid()
	}
	user := scramUnescaper.Replace(escaped)
	clientNonce := attrs[1][2:]
	if clientNonce == "" || !printable(clientNonce) || bytes.IndexByte(msg, 0) >= 0 {
		return nil, e.invalid()
	}
	if user != e.s.User {
		return nil, e.invalid()
	}

	salt := e.s.Salt
	if salt == nil {
		salt = randomBytes(16)
	}
	iterations := e.s.Iterations
	if iterations == 0 {
		iterations = DefaultIterations
	}
	size := e.hash().Size()
	salted, err := pbkdf2.Key(e.hash, e.s.Pass, salt, iterations, size)
	if err != nil {
		return nil, e.invalid()
	}
	clientKey := mac(e.hash, salted, "Client Key")
	h := e.hash()
	h.Write(clientKey)
	e.storedKey = h.Sum(nil)
	e.serverKey = mac(e.hash, salted, "Server Key")

	serverPart := e.s.Nonce
	if serverPart == "" {
		serverPart = base64.StdEncoding.EncodeToString(randomBytes(18))
	}
	e.nonce = clientNonce + serverPart
	e.clientFirstBare = string(bare)

	sentNonce, sentSalt := e.nonce, base64.StdEncoding.EncodeToString(salt)
	switch e.s.Fault {
	case ScramForeignNonce:
		sentNonce = "x" + e.nonce
	case ScramUnextendedNonce:
		sentNonce = clientNonce
	case ScramBadSalt:
		sentSalt = "not*base64!"
	case ScramEmptySalt:
		sentSalt = ""
	}
	e.serverFirst = "r=" + sentNonce + ",s=" + sentSalt + ",i=" + strconv.Itoa(iterations)
	return []byte(e.serverFirst), nil
}

// serverFinalMessage checks client-final-message = "c=biws,r=" nonce
// ["," extensions] ",p=" proof and makes the server-final-message.
func (e *scramExchange) serverFinalMessage(msg []byte) ([]byte, error) {
	withoutProof, proof64, ok := bytes.Cut(msg, []byte(",p="))
	if !ok || bytes.Contains(proof64, []byte(",")) {
		return nil, e.invalid()
	}
	attrs := strings.Split(string(withoutProof), ",")
	if len(attrs) < 2 || attrs[0] != "c=biws" || attrs[1] != "r="+e.nonce {
		return nil, e.invalid()
	}
	proof, err := base64.StdEncoding.Strict().DecodeString(string(proof64))
	if err != nil || len(proof) != len(e.storedKey) {
		return nil, e.invalid()
	}
	authMessage := e.clientFirstBare + "," + e.serverFirst + "," + string(withoutProof)
	clientSignature := mac(e.hash, e.storedKey, authMessage)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSignature[i]
	}
	h := e.hash()
	h.Write(clientKey)
	if !hmac.Equal(h.Sum(nil), e.storedKey) {
		return nil, e.invalid()
	}
	signature := mac(e.hash, e.serverKey, authMessage)
	switch e.s.Fault {
	case ScramWrongSignature:
		signature[0] ^= 1
	case ScramErrorAttribute:
		return []byte("e=invalid-proof"), nil
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(signature)), nil
}

func mac(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
