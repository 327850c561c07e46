package testpeer

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
)

// These tests use crypto/tls as the client, with testcerts' CA: they check
// the peer's TLS steps and the test certificates together.

// startTLS is StartTLS with the leak check registered first.
func startTLS(t *testing.T, network string, cfg *tls.Config, steps ...Step) *Peer {
	t.Helper()
	t.Cleanup(leakcheck.Verify(t))
	return StartTLS(t, network, cfg, steps...)
}

// dialTLS connects a crypto/tls client trusting testcerts' CA, with
// serverName as the name it checks ("" for the peer's address), and runs the
// handshake. The test's cleanup closes the connection.
func dialTLS(t *testing.T, p *Peer, serverName string) (*tls.Conn, error) {
	t.Helper()
	cfg := testcerts.ClientConfig()
	cfg.ServerName = serverName
	if cfg.ServerName == "" {
		cfg.ServerName = p.Host()
	}
	raw := dial(t, p)
	raw.SetDeadline(time.Now().Add(patience))
	c := tls.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	return c, c.Handshake()
}

func mustDialTLS(t *testing.T, p *Peer) *tls.Conn {
	t.Helper()
	c, err := dialTLS(t, p, "")
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", p.Addr(), err)
	}
	return c
}

func TestTLSEchoOverBothNetworks(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := StartTLS(t, network, testcerts.Server().ServerConfig(), Echo())
		c := mustDialTLS(t, p)
		if st := c.ConnectionState(); st.Version != tls.VersionTLS13 || len(st.PeerCertificates) != 1 ||
			st.PeerCertificates[0].Subject.CommonName != "kafkaio-test-server" {
			t.Fatalf("connection state: version %x, peer certificates %d", st.Version, len(st.PeerCertificates))
		}
		msg := Pattern(100_000) // several TLS records
		write(t, c, msg)
		if got := readN(t, c, len(msg)); !bytes.Equal(got, msg) {
			t.Fatal("echo over TLS differs from what was sent")
		}
		if err := c.CloseWrite(); err != nil { // close_notify: Echo sees EOF and ends
			t.Fatal(err)
		}
		waitDone(t, p)
		requireNoErr(t, p)
		if got := p.Received(); !bytes.Equal(got, msg) {
			t.Fatalf("Received() holds %d bytes, want the %d plaintext bytes sent", len(got), len(msg))
		}
	})
}

// Steps written against the session's Read and Write (frames here) run
// inside TLS unchanged.
func TestTLSFramesAndLocalhostName(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig(), Read(9), WriteFrame([]byte("answer")), Close())
	c, err := dialTLS(t, p, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	write(t, c, []byte("request!!"))
	got, err := readToEOF(t, c)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading the answer: %v", err)
	}
	if want := "\x00\x00\x00\x06answer"; string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
	waitDone(t, p)
	requireNoErr(t, p)
	if string(p.Received()) != "request!!" {
		t.Fatalf("Received() = %q", p.Received())
	}
}

// A crypto/tls client rejects each bad certificate with crypto/x509's error
// for it, inside a *tls.CertificateVerificationError; the peer lists the
// client's alert as the client going away, not as an error.
func TestTLSCertificateFailures(t *testing.T) {
	cases := []struct {
		cert  *testcerts.Cert
		check func(error) bool
		want  string
	}{
		{testcerts.UnknownCA(), func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}, "x509.UnknownAuthorityError"},
		{testcerts.WrongHost(), func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}, "x509.HostnameError"},
		{testcerts.Expired(), func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}, "x509.CertificateInvalidError{Reason: Expired}"},
	}
	for _, tc := range cases {
		for _, name := range []string{"", "localhost"} {
			t.Run(tc.cert.Name()+"/"+name, func(t *testing.T) {
				p := startTLS(t, "tcp4", tc.cert.ServerConfig(), Write([]byte("never")))
				_, err := dialTLS(t, p, name)
				var verr *tls.CertificateVerificationError
				if !errors.As(err, &verr) || !tc.check(err) {
					t.Fatalf("handshake: %v (%T), want %s in a *tls.CertificateVerificationError", err, err, tc.want)
				}
				waitDone(t, p)
				requireNoErr(t, p)
				if ev := p.Events(); len(ev) != 1 || !strings.Contains(ev[0], "step 1 TLSHandshake(): client went away: client aborted the TLS handshake: remote error: tls: bad certificate") {
					t.Fatalf("Events() = %q, want the client's alert", ev)
				}
			})
		}
	}
}

// A plaintext Kafka request to a TLS peer fails the handshake: the peer
// says why in Err and hangs up without writing anything.
func TestPlaintextClientOnTLSPeer(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig(), Write([]byte("never")))
	c := dial(t, p)
	write(t, c, []byte{0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0})
	got, err := readToEOF(t, c)
	if len(got) != 0 {
		t.Fatalf("the plaintext client read %q", got)
	}
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the plaintext client's read ended with %v, want EOF or a reset", err)
	}
	waitDone(t, p)
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "first record does not look like a TLS handshake") {
		t.Fatalf("Err() = %v, want the handshake failure", err)
	}
}

// CloseNotify ends the client's TLS stream cleanly while the peer can still
// read from it.
func TestTLSCloseNotify(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig(), Write([]byte("bye")), CloseNotify(), Read(5), Close())
	c := mustDialTLS(t, p)
	if got := readN(t, c, 3); string(got) != "bye" {
		t.Fatalf("read %q", got)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read after close_notify: %d, %v; want 0, io.EOF", n, err)
	}
	write(t, c, []byte("after"))
	waitDone(t, p)
	requireNoErr(t, p)
	if string(p.Received()) != "after" {
		t.Fatalf("Received() = %q, want %q", p.Received(), "after")
	}
}

// Reset still acts on the TCP socket: the TLS client reads a reset.
func TestTLSResetIsTCP(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig(), Read(1), Reset())
	c := mustDialTLS(t, p)
	write(t, c, []byte("x"))
	waitDone(t, p)
	c.SetReadDeadline(time.Now().Add(patience))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after Reset: %v, want ECONNRESET", err)
	}
	requireNoErr(t, p)
}

// FIN sends no close_notify: crypto/tls reports the bare TCP EOF as io.EOF
// too, which is why a client cannot tell the two apart by the error alone.
func TestTLSFINIsTCP(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig(), FIN(), Read(2))
	c := mustDialTLS(t, p)
	c.SetReadDeadline(time.Now().Add(patience))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after FIN: %v, want io.EOF", err)
	}
	write(t, c, []byte("ok"))
	waitDone(t, p)
	requireNoErr(t, p)
}

func TestMutualTLS(t *testing.T) {
	t.Run("with client certificate", func(t *testing.T) {
		var seen []string
		cfg := testcerts.MutualServerConfig()
		cfg.VerifyConnection = func(st tls.ConnectionState) error {
			for _, c := range st.PeerCertificates {
				seen = append(seen, c.Subject.CommonName)
			}
			return nil
		}
		p := startTLS(t, "tcp4", cfg, Write([]byte("hi")), Close())
		ccfg := testcerts.MutualClientConfig()
		ccfg.ServerName = p.Host()
		raw := dial(t, p)
		c := tls.Client(raw, ccfg)
		t.Cleanup(func() { c.Close() })
		if got := readN(t, c, 2); string(got) != "hi" {
			t.Fatalf("read %q", got)
		}
		waitDone(t, p)
		requireNoErr(t, p)
		if len(seen) != 1 || seen[0] != "kafkaio-test-client" {
			t.Fatalf("the peer saw client certificates %q", seen)
		}
	})
	t.Run("without", func(t *testing.T) {
		p := startTLS(t, "tcp4", testcerts.MutualServerConfig(), Write([]byte("never")))
		c, err := dialTLS(t, p, "")
		if err == nil { // TLS 1.3: the client learns of the refusal on its first read
			_, err = c.Read(make([]byte, 1))
		}
		if err == nil || !strings.Contains(err.Error(), "remote error: tls: certificate required") {
			t.Fatalf("client without a certificate: %v, want the server's alert", err)
		}
		waitDone(t, p)
		if err := p.Err(); err == nil || !strings.Contains(err.Error(), "client didn't provide a certificate") {
			t.Fatalf("Err() = %v, want the server's reason", err)
		}
	})
}

// Closing the peer ends a handshake the client never starts.
func TestTLSHandshakeEndsOnClose(t *testing.T) {
	p := startTLS(t, "tcp4", testcerts.Server().ServerConfig())
	dial(t, p) // connects but sends no ClientHello
	waitAccepted(t, p, 1)
	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(patience):
		t.Fatal("Close did not interrupt a pending handshake")
	}
	requireNoErr(t, p)
}

func TestTLSStepMisuse(t *testing.T) {
	cfg := testcerts.Server().ServerConfig()
	t.Run("twice", func(t *testing.T) {
		p := startTLS(t, "tcp4", cfg, TLSHandshake(cfg))
		mustDialTLS(t, p)
		waitDone(t, p)
		if err := p.Err(); err == nil || !strings.Contains(err.Error(), "step 2 TLSHandshake(): a second TLSHandshake") {
			t.Fatalf("Err() = %v", err)
		}
	})
	t.Run("close notify without TLS", func(t *testing.T) {
		p := start(t, "tcp4", CloseNotify())
		dial(t, p)
		waitDone(t, p)
		if err := p.Err(); err == nil || !strings.Contains(err.Error(), "CloseNotify before TLSHandshake") {
			t.Fatalf("Err() = %v", err)
		}
	})
	defer func() {
		if recover() == nil {
			t.Fatal("TLSHandshake(nil) did not panic")
		}
	}()
	TLSHandshake(nil)
}
