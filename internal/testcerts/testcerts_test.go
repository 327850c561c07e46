package testcerts

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"testing"
	"time"
)

// verify checks c against Pool the way a crypto/tls client does for name.
func verify(c *Cert, name string, usage x509.ExtKeyUsage) error {
	_, err := c.X509().Verify(x509.VerifyOptions{
		DNSName:   name,
		Roots:     Pool(),
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func TestServerIsValidForEveryLoopbackName(t *testing.T) {
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := verify(Server(), name, x509.ExtKeyUsageServerAuth); err != nil {
			t.Errorf("Server for %q: %v", name, err)
		}
	}
	if err := verify(Server(), "example.com", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("Server verified for example.com")
	}
}

func TestBadCertificatesFailWithTheirX509Error(t *testing.T) {
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		var expired x509.CertificateInvalidError
		if err := verify(Expired(), name, x509.ExtKeyUsageServerAuth); !errors.As(err, &expired) || expired.Reason != x509.Expired {
			t.Errorf("Expired for %q: %v, want x509.CertificateInvalidError{Reason: Expired}", name, err)
		}
		var host x509.HostnameError
		if err := verify(WrongHost(), name, x509.ExtKeyUsageServerAuth); !errors.As(err, &host) {
			t.Errorf("WrongHost for %q: %v, want x509.HostnameError", name, err)
		}
		var unknown x509.UnknownAuthorityError
		if err := verify(UnknownCA(), name, x509.ExtKeyUsageServerAuth); !errors.As(err, &unknown) {
			t.Errorf("UnknownCA for %q: %v, want x509.UnknownAuthorityError", name, err)
		}
	}
	// Each bad certificate is wrong in one way only.
	if err := verify(WrongHost(), WrongHostName, x509.ExtKeyUsageServerAuth); err != nil {
		t.Errorf("WrongHost for its own name: %v", err)
	}
	if Expired().X509().NotAfter.After(time.Now()) {
		t.Errorf("Expired is valid until %v", Expired().X509().NotAfter)
	}
	if UnknownCA().X509().CheckSignatureFrom(CA().X509()) == nil {
		t.Error("UnknownCA is signed by CA")
	}
}

func TestClientIsForClientAuth(t *testing.T) {
	if err := verify(Client(), "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Fatalf("Client: %v", err)
	}
	if err := verify(Client(), "", x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("Client verified as a server certificate")
	}
}

func TestKeysAreP256AndMatchTheirCertificates(t *testing.T) {
	for _, c := range []*Cert{CA(), Server(), Expired(), WrongHost(), UnknownCA(), Client()} {
		pub, ok := c.X509().PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: public key %T, want ECDSA P-256", c.Name(), c.X509().PublicKey)
		}
		if _, err := tls.X509KeyPair(c.CertPEM(), c.KeyPEM()); err != nil {
			t.Errorf("%s: PEM pair: %v", c.Name(), err)
		}
	}
}

// Generation runs once: every call returns the same certificates.
func TestGeneratedOnce(t *testing.T) {
	if Server() != Server() || !bytes.Equal(CA().X509().Raw, CA().X509().Raw) {
		t.Fatal("two calls returned different certificates")
	}
}

func TestConfigsAreFreshCopies(t *testing.T) {
	a, b := ClientConfig(), ClientConfig()
	a.ServerName = "changed"
	if b.ServerName != "" || a.RootCAs == b.RootCAs {
		t.Fatal("ClientConfig returned shared state")
	}
	m := MutualServerConfig()
	if m.ClientAuth != tls.RequireAndVerifyClientCert || m.ClientCAs == nil || len(m.Certificates) != 1 {
		t.Fatalf("MutualServerConfig: %+v", m)
	}
	if c := MutualClientConfig(); len(c.Certificates) != 1 || c.RootCAs == nil {
		t.Fatalf("MutualClientConfig: %+v", c)
	}
}

func TestWriteFiles(t *testing.T) {
	f, err := WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	check := func(path string, want []byte, mode os.FileMode) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", path, got, want)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), mode)
		}
		if block, rest := pem.Decode(got); block == nil || len(bytes.TrimSpace(rest)) != 0 {
			t.Errorf("%s is not exactly one PEM block", path)
		}
	}
	check(f.CA, CA().CertPEM(), 0o644)
	check(f.ServerCert, Server().CertPEM(), 0o644)
	check(f.ServerKey, Server().KeyPEM(), 0o600)
	check(f.ClientCert, Client().CertPEM(), 0o644)
	check(f.ClientKey, Client().KeyPEM(), 0o600)
}

func TestPEMAccessorsCopy(t *testing.T) {
	p := Server().CertPEM()
	p[0] = 'X'
	if Server().CertPEM()[0] == 'X' {
		t.Fatal("CertPEM returned the shared slice")
	}
}
