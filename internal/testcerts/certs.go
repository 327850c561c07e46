package testcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// The names the loopback server certificates are issued for: the two
// loopback addresses and the name that resolves to them.
var (
	loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	loopbackDNS = []string{"localhost"}
)

// WrongHostName is the only name the WrongHost certificate is valid for. The
// .invalid top-level domain (RFC 2606) never resolves, so nothing real can
// answer to it.
const WrongHostName = "wrong-host.invalid"

// Cert is one generated certificate with its private key. A Cert is shared
// by the whole process: do not modify what its methods return, except the
// copies they say they make.
type Cert struct {
	name string
	x509 *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
	pem  []byte // the certificate, PEM "CERTIFICATE"
	kpem []byte // the key, PEM "PRIVATE KEY" (PKCS #8)
}

// Name says which certificate this is: "CA", "server", "expired",
// "wrong-host", "unknown-CA" or "client".
func (c *Cert) Name() string { return c.name }

// X509 is the parsed certificate.
func (c *Cert) X509() *x509.Certificate { return c.x509 }

// TLSCertificate is the certificate and its key in the form tls.Config's
// Certificates takes. The chain holds the certificate alone: peers are
// expected to trust the CA itself (Pool).
func (c *Cert) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.der}, PrivateKey: c.key, Leaf: c.x509}
}

// CertPEM returns a copy of the certificate as a PEM "CERTIFICATE" block.
func (c *Cert) CertPEM() []byte { return append([]byte(nil), c.pem...) }

// KeyPEM returns a copy of the private key as a PEM "PRIVATE KEY" block
// (PKCS #8, unencrypted).
func (c *Cert) KeyPEM() []byte { return append([]byte(nil), c.kpem...) }

// set is everything the package generates, made once per process.
type set struct {
	ca, otherCA                                 *Cert
	server, expired, wrongHost, unknownCA, clnt *Cert
}

var generated = sync.OnceValue(func() *set {
	s, err := generate(time.Now())
	if err != nil {
		panic(fmt.Sprintf("testcerts: generating certificates: %v", err))
	}
	return s
})

// CA is the certificate authority that signed Server, Expired, WrongHost and
// Client, and the one Pool holds.
func CA() *Cert { return generated().ca }

// Server is valid now for 127.0.0.1, ::1 and localhost, signed by CA.
func Server() *Cert { return generated().server }

// Expired is like Server but its validity ended an hour ago.
func Expired() *Cert { return generated().expired }

// WrongHost is signed by CA and valid now, but only for WrongHostName: no
// loopback address or localhost matches it.
func WrongHost() *Cert { return generated().wrongHost }

// UnknownCA is valid now for the loopback names but signed by a CA that no
// pool of this package trusts.
func UnknownCA() *Cert { return generated().unknownCA }

// Client is a client certificate (extended key usage client auth) signed by
// CA, for mutual TLS. Its subject's common name is "kafkaio-test-client".
func Client() *Cert { return generated().clnt }

// validity of the certificates that are meant to be valid: started an hour
// ago, so a clock a little behind still accepts them, and long enough for
// any test process.
const (
	backdate = time.Hour
	lifetime = 30 * 24 * time.Hour
)

func generate(now time.Time) (*set, error) {
	var s set
	var err error
	valid := func(t *x509.Certificate) {
		t.NotBefore, t.NotAfter = now.Add(-backdate), now.Add(lifetime)
	}
	loopback := func(t *x509.Certificate) {
		t.IPAddresses, t.DNSNames = loopbackIPs, loopbackDNS
	}
	if s.ca, err = makeCA("CA", "kafkaio test CA", now); err != nil {
		return nil, err
	}
	if s.otherCA, err = makeCA("other CA", "kafkaio unknown test CA", now); err != nil {
		return nil, err
	}
	leaves := []struct {
		dst    **Cert
		name   string
		cn     string
		issuer *Cert
		usage  x509.ExtKeyUsage
		edit   []func(*x509.Certificate)
	}{
		{&s.server, "server", "kafkaio-test-server", s.ca, x509.ExtKeyUsageServerAuth,
			[]func(*x509.Certificate){valid, loopback}},
		{&s.expired, "expired", "kafkaio-test-expired", s.ca, x509.ExtKeyUsageServerAuth,
			[]func(*x509.Certificate){loopback, func(t *x509.Certificate) {
				t.NotBefore, t.NotAfter = now.Add(-2*time.Hour), now.Add(-time.Hour)
			}}},
		{&s.wrongHost, "wrong-host", "kafkaio-test-wrong-host", s.ca, x509.ExtKeyUsageServerAuth,
			[]func(*x509.Certificate){valid, func(t *x509.Certificate) { t.DNSNames = []string{WrongHostName} }}},
		{&s.unknownCA, "unknown-CA", "kafkaio-test-unknown-ca", s.otherCA, x509.ExtKeyUsageServerAuth,
			[]func(*x509.Certificate){valid, loopback}},
		{&s.clnt, "client", "kafkaio-test-client", s.ca, x509.ExtKeyUsageClientAuth,
			[]func(*x509.Certificate){valid}},
	}
	for _, l := range leaves {
		t, err := template(l.cn)
		if err != nil {
			return nil, err
		}
		t.KeyUsage = x509.KeyUsageDigitalSignature
		t.ExtKeyUsage = []x509.ExtKeyUsage{l.usage}
		for _, e := range l.edit {
			e(t)
		}
		if *l.dst, err = issue(l.name, t, l.issuer); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

// template starts a certificate with a random serial number and a subject.
func template(cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"kafkaio tests"}},
	}, nil
}

func makeCA(name, cn string, now time.Time) (*Cert, error) {
	t, err := template(cn)
	if err != nil {
		return nil, err
	}
	t.NotBefore, t.NotAfter = now.Add(-backdate), now.Add(lifetime)
	t.IsCA, t.BasicConstraintsValid = true, true
	t.MaxPathLenZero = true // it signs leaves only
	t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	return issue(name, t, nil)
}

// issue makes a key for t and signs t with issuer's key, or with its own key
// when issuer is nil (a self-signed CA).
func issue(name string, t *x509.Certificate, issuer *Cert) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	parent, signer := t, crypto.Signer(key)
	if issuer != nil {
		parent, signer = issuer.x509, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("%s certificate: %w", name, err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%s certificate: %w", name, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", name, err)
	}
	return &Cert{
		name: name,
		x509: parsed,
		key:  key,
		der:  der,
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		kpem: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}, nil
}
