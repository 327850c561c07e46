package kafkaio_test

// TLS: New's handshake against the embedded broker and the scripted peer,
// its failures (each with its code, phase, cause, elapsed bound and no
// leak), the mismatches of a TLS client on a plaintext listener and of a
// plaintext client on a TLS one, and every promise of the calls held over
// TLS as over plaintext.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// ---------------------------------------------------------------- success

// TestTLSEmbeddedBroker connects to kfake over TLS by each name the
// certificate is valid for, with ServerName left to New, and makes a real
// request on the connection.
func TestTLSEmbeddedBroker(t *testing.T) {
	for _, tc := range []struct {
		name      string
		host      string // "" means the cluster's own address
		ipv6      bool
		negotiate bool
	}{
		{name: "IPv4 literal"},
		{name: "IPv4 literal, NegotiateVersions", negotiate: true},
		{name: "localhost", host: "localhost"},
		{name: "IPv6 literal", ipv6: true},
		{name: "bracketed IPv6 literal", host: "[::1]", ipv6: true},
		{name: "IPv6 literal with a zone", host: "::1%lo", ipv6: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			opts := []embedded.Option{secServerTLS()}
			if tc.ipv6 {
				opts = append(opts, embedded.IPv6())
			}
			cluster, err := embedded.Start(1, opts...)
			if err != nil {
				if tc.ipv6 {
					faultSkipNoIPv6(t, err)
				}
				t.Fatal(err)
			}
			t.Cleanup(cluster.Close)
			host, port := splitHostPort(t, cluster.Addrs()[0])
			if tc.host != "" {
				host = tc.host
			}
			conf := testcerts.ClientConfig()
			version := kafkaio.IPv4
			if tc.ipv6 {
				version = kafkaio.IPv6
			}
			c := secNew(t, kafkaio.Config{Host: host, Port: port, TLS: conf, IPVersion: version, NegotiateVersions: tc.negotiate})
			if conf.ServerName != "" {
				t.Errorf("New changed the caller's tls.Config: ServerName = %q", conf.ServerName)
			}
			secCheckTLS(t, c, true)
			secMetadata(t, c, 11)
			secMetadata(t, c, 12)
			if got := c.SessionExpiry(); !got.IsZero() {
				t.Errorf("SessionExpiry() = %v without SASL, want the zero time", got)
			}
			_, maxV, ok := c.APIVersion(kafkawire.KeyMetadata)
			if ok != tc.negotiate || (ok && maxV < 1) {
				t.Errorf("APIVersion(Metadata) = max %d, %v; want known only with NegotiateVersions", maxV, ok)
			}
			if !c.IsAlive() {
				t.Error("IsAlive() = false on a working TLS IO")
			}
		})
	}
}

// faultSkipNoIPv6 skips a test that needs IPv6 loopback when the machine
// has none (and fails it under CI, which has it).
func faultSkipNoIPv6(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("IPv6 loopback unavailable under CI: %v", err)
	}
	if probe, perr := net.Listen("tcp6", "[::1]:0"); perr != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", perr)
	} else {
		probe.Close()
	}
}

// splitHostPort splits "host:port" for Config.
func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	if _, err := fmt.Sscan(p, &port); err != nil {
		t.Fatal(err)
	}
	return host, port
}

// TestTLSMutualEmbeddedBroker connects with a client certificate to a
// broker that requires one.
func TestTLSMutualEmbeddedBroker(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	_, host, port := secCluster(t, embedded.TLS(testcerts.MutualServerConfig()))
	c := secNew(t, kafkaio.Config{Host: host, Port: port, TLS: testcerts.MutualClientConfig()})
	secCheckTLS(t, c, true)
	secMetadata(t, c, 1)
}

// TestTLSPlaintextIOHasNoConnectionState is the false of ConnectionState.
func TestTLSPlaintextIOHasNoConnectionState(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	_, host, port := secCluster(t)
	c := secNew(t, kafkaio.Config{Host: host, Port: port})
	secCheckTLS(t, c, false)
	secMetadata(t, c, 1)
}

// TestTLSKeyLog checks that the session secrets go to the configured
// KeyLogWriter, or with none to SSLKEYLOGFILE (with a level-1 warning
// naming it), and nowhere when neither is set.
func TestTLSKeyLog(t *testing.T) {
	const secretLine = "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
	handshake := func(t *testing.T, conf *tls.Config, logger logrus.FieldLogger) {
		t.Helper()
		p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), testpeer.EchoFrames())
		c := connect(t, p, kafkaio.Config{TLS: conf, Timeout: faultPatience, Logger: logger})
		c.Close()
	}
	t.Run("KeyLogWriter wins over SSLKEYLOGFILE", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		path := filepath.Join(t.TempDir(), "keys.log")
		t.Setenv(kafkaio.EnvKeyLogFile, path)
		var w bytes.Buffer
		conf := testcerts.ClientConfig()
		conf.KeyLogWriter = &w
		handshake(t, conf, nil)
		if !strings.Contains(w.String(), secretLine) {
			t.Errorf("the KeyLogWriter got %q, want NSS key log lines", w.String())
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("SSLKEYLOGFILE was written although KeyLogWriter is set: %v", err)
		}
	})
	t.Run("SSLKEYLOGFILE", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		secDebugLevel(t, 1)
		out, logger := secLogger()
		path := filepath.Join(t.TempDir(), "keys.log")
		t.Setenv(kafkaio.EnvKeyLogFile, path)
		handshake(t, testcerts.ClientConfig(), logger)
		handshake(t, testcerts.ClientConfig(), logger) // appends
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), secretLine); n != 2 {
			t.Errorf("SSLKEYLOGFILE holds %d handshakes' secrets, want 2:\n%s", n, data)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("SSLKEYLOGFILE mode = %v (%v), want 0600", st.Mode().Perm(), err)
		}
		if !strings.Contains(out.String(), "warning: appending TLS session keys to SSLKEYLOGFILE "+path) {
			t.Errorf("no level-1 warning about the key log:\n%s", out)
		}
	})
	t.Run("neither", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		t.Setenv(kafkaio.EnvKeyLogFile, "")
		handshake(t, testcerts.ClientConfig(), nil) // nothing to check but that it works
	})
}

// TestTLSHandshakeIsLoggedAtLevel1 checks the handshake's level-1 line:
// version, cipher suite, the broker certificate's subject and expiry, and
// how long it took.
func TestTLSHandshakeIsLoggedAtLevel1(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	secDebugLevel(t, 1)
	out, logger := secLogger()
	p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), testpeer.EchoFrames())
	connect(t, p, kafkaio.Config{TLS: testcerts.ClientConfig(), Timeout: faultPatience, Logger: logger})
	leaf := testcerts.Server().X509()
	var line string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if strings.Contains(l, "tls handshake") {
			line = l
		}
	}
	for _, want := range []string{
		"TLS 1.3", "TLS_", leaf.Subject.String(), leaf.NotAfter.UTC().Format(time.RFC3339), "elapsed=",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("the handshake line %q lacks %q; whole log:\n%s", line, want, out)
		}
	}
}

// secDebugLevel sets the IO module's debug level for the test.
func secDebugLevel(t *testing.T, level int) {
	t.Helper()
	old := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(level)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(old) })
}

// secLogger returns a logger that writes kafkadebug's layout into a buffer.
func secLogger() (*syncBuffer, *logrus.Logger) {
	out := &syncBuffer{}
	logger := logrus.New()
	logger.Out = out
	logger.Formatter = kafkadebug.Formatter{}
	return out, logger
}

// ---------------------------------------------------------------- New's failures

// secConnectRow is a row of New's TLS table: target makes what New
// connects to and returns the Config.
type secConnectRow struct {
	name        string
	target      func(t *testing.T) kafkaio.Config
	cancelAfter time.Duration
	want        faultWant
}

// secRunConnectRows runs New against each row's target, with the checks of
// the fault matrix and a leak check each.
func secRunConnectRows(t *testing.T, rows []secConnectRow) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			cfg := row.target(t)
			ctx := context.Background()
			if row.cancelAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				defer time.AfterFunc(row.cancelAfter, cancel).Stop()
			}
			began := time.Now()
			c, err := kafkaio.NewContext(ctx, cfg)
			took := time.Since(began)
			faultLogErr(t, err)
			if c != nil {
				t.Cleanup(func() { c.Close() })
			}
			faultCheckErr(t, err, took, row.want)
			faultCheckState(t, c, row.want.state, nil)
		})
	}
}

// secPeerConfig is a TLS Config for the peer p.
func secPeerConfig(p *testpeer.Peer, conf *tls.Config, timeout time.Duration) kafkaio.Config {
	return kafkaio.Config{Host: p.Host(), Port: p.Port(), TLS: conf, Timeout: timeout}
}

// secAlert checks that the chain holds the TLS alert the broker sent as a
// tls.AlertError.
func secAlert(want tls.AlertError) func(error) error {
	return func(err error) error {
		var a tls.AlertError
		if !errors.As(err, &a) {
			return fmt.Errorf("no tls.AlertError in the chain, want %d (%v)", want, want)
		}
		if a != want {
			return fmt.Errorf("tls.AlertError %d (%v) in the chain, want %d (%v)", a, a, want, want)
		}
		return nil
	}
}

// secCertError checks the certificate failure's chain: the
// *tls.CertificateVerificationError crypto/tls returns and, inside it, the
// x509 error that says why.
func secCertError(inner func(error) error) func(error) error {
	return func(err error) error {
		var cve *tls.CertificateVerificationError
		if !errors.As(err, &cve) {
			return errors.New("no *tls.CertificateVerificationError in the chain")
		}
		if len(cve.UnverifiedCertificates) == 0 {
			return errors.New("the *tls.CertificateVerificationError holds no certificate")
		}
		return inner(err)
	}
}

func TestTLSFaultsNew(t *testing.T) {
	deadline := []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}
	noAnswer := "no answer to the TLS ClientHello: is this a plaintext listener? (Config.TLS is set)"
	rows := []secConnectRow{{
		name: "a peer that accepts and never answers: New ends at its budget",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.Start(t, "tcp4", testpeer.Stall()), testcerts.ClientConfig(), faultTimeout)
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "tls handshake", detail: []string{noAnswer},
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		name:        "a peer that never answers, New cancelled",
		cancelAfter: 100 * time.Millisecond,
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.Start(t, "tcp4", testpeer.Stall()), testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: []error{context.Canceled}, notCause: []error{context.DeadlineExceeded},
			phase: "tls handshake", took: faultAt(100 * time.Millisecond), state: faultNoIO},
	}, {
		// kfake reads the ClientHello's first four bytes as the size of a
		// request of some 370 MB and waits for the rest.
		name: "a plaintext kfake listener hangs: New ends at its budget",
		target: func(t *testing.T) kafkaio.Config {
			_, host, port := secCluster(t)
			return kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig(), Timeout: faultTimeout}
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "tls handshake", detail: []string{noAnswer},
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		// Apache Kafka reads the same size, finds it over
		// socket.request.max.bytes and closes the connection.
		name: "a plaintext listener that closes on the ClientHello",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.Start(t, "tcp4", testpeer.Read(4), testpeer.Close()), testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, anyCause: []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET}, phase: "tls handshake",
			detail: []string{"the broker closed the connection on the TLS ClientHello: is this a plaintext listener? (Config.TLS is set)"},
			took:   faultQuick(), state: faultNoIO},
	}, {
		name: "a plaintext listener that answers with something else",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.Start(t, "tcp4", testpeer.Read(4), testpeer.WriteFrame([]byte{0, 0, 0, 1, 0, 42})),
				testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secAs[tls.RecordHeaderError](), phase: "tls handshake",
			detail: []string{"answered the TLS ClientHello with bytes that are not TLS (00 00 00 06 00)", "is this a plaintext listener?"},
			took:   faultQuick(), state: faultNoIO},
	}, {
		name: "unknown CA",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.StartTLS(t, "tcp4", testcerts.UnknownCA().ServerConfig()), testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secCertError(secAs[x509.UnknownAuthorityError]()), phase: "tls handshake",
			detail: []string{"the broker's certificate was not accepted", "unknown authority"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "a certificate for another host name",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.StartTLS(t, "tcp4", testcerts.WrongHost().ServerConfig()), testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secCertError(secAs[x509.HostnameError]()), phase: "tls handshake",
			detail: []string{"the broker's certificate was not accepted", "127.0.0.1"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "ServerName set to a name the certificate does not have",
		target: func(t *testing.T) kafkaio.Config {
			conf := testcerts.ClientConfig()
			conf.ServerName = testcerts.WrongHostName
			return secPeerConfig(testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig()), conf, faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secCertError(secAs[x509.HostnameError]()), phase: "tls handshake",
			detail: []string{testcerts.WrongHostName}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "expired certificate",
		target: func(t *testing.T) kafkaio.Config {
			return secPeerConfig(testpeer.StartTLS(t, "tcp4", testcerts.Expired().ServerConfig()), testcerts.ClientConfig(), faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, phase: "tls handshake", detail: []string{"expired"},
			as: secCertError(func(err error) error {
				var inv x509.CertificateInvalidError
				if !errors.As(err, &inv) || inv.Reason != x509.Expired {
					return errors.New("no x509.CertificateInvalidError with Reason Expired in the chain")
				}
				return nil
			}), took: faultQuick(), state: faultNoIO},
	}, {
		name: "a broker that refuses the handshake with an alert (no common version)",
		target: func(t *testing.T) kafkaio.Config {
			srv := testcerts.Server().ServerConfig()
			srv.MinVersion = tls.VersionTLS13
			conf := testcerts.ClientConfig()
			conf.MaxVersion = tls.VersionTLS12
			return secPeerConfig(testpeer.StartTLS(t, "tcp4", srv), conf, faultPatience)
		},
		want: faultWant{code: kafkaerr.CannotBind, phase: "tls handshake", detail: []string{"the broker refused the handshake with a TLS alert", "protocol version"},
			as: secAlert(70), took: faultQuick(), state: faultNoIO}, // protocol_version
	}, {
		// TLS 1.3 finishes the client's handshake before the server has
		// checked the client's certificate: the refusal is an alert on the
		// first read, here ApiVersions'.
		name: "a broker that requires a client certificate, none given",
		target: func(t *testing.T) kafkaio.Config {
			_, host, port := secCluster(t, embedded.TLS(testcerts.MutualServerConfig()))
			return kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig(), NegotiateVersions: true, Timeout: faultPatience}
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secAlert(116), phase: "api versions", // certificate_required
			detail: []string{"certificate required"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "a client certificate from an unknown CA",
		target: func(t *testing.T) kafkaio.Config {
			_, host, port := secCluster(t, embedded.TLS(testcerts.MutualServerConfig()))
			conf := testcerts.ClientConfig()
			// Sent whatever the broker's request lists: crypto/tls would
			// otherwise send no certificate at all.
			conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				cert := testcerts.UnknownCA().TLSCertificate()
				return &cert, nil
			}
			return kafkaio.Config{Host: host, Port: port, TLS: conf, NegotiateVersions: true, Timeout: faultPatience}
		},
		want: faultWant{code: kafkaerr.CannotBind, as: secAlert(48), phase: "api versions", // unknown_ca
			took: faultQuick(), state: faultNoIO},
	}}
	secRunConnectRows(t, rows)
}

// TestTLSPlaintextClientOnATLSListener is the other mismatch: kfake with
// TLS closes the connection of a client that speaks Kafka to it, and the
// error must say in words that this may be a TLS listener, not leave the
// user with a bare EOF.
func TestTLSPlaintextClientOnATLSListener(t *testing.T) {
	hint := "a TLS listener does that to a plaintext client (set Config.TLS)"
	t.Run("New with NegotiateVersions", func(t *testing.T) {
		secRunConnectRows(t, []secConnectRow{{
			name: "kfake",
			target: func(t *testing.T) kafkaio.Config {
				_, host, port := secCluster(t, secServerTLS())
				return kafkaio.Config{Host: host, Port: port, NegotiateVersions: true, Timeout: faultPatience}
			},
			want: faultWant{code: kafkaerr.CannotBind, anyCause: []error{io.EOF, syscall.ECONNRESET}, phase: "api versions",
				detail: []string{hint}, took: faultQuick(), state: faultNoIO},
		}, {
			name: "a Go TLS listener",
			target: func(t *testing.T) kafkaio.Config {
				p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig())
				return kafkaio.Config{Host: p.Host(), Port: p.Port(), NegotiateVersions: true, Timeout: faultPatience}
			},
			want: faultWant{code: kafkaerr.CannotBind, anyCause: []error{io.EOF, syscall.ECONNRESET}, phase: "api versions",
				detail: []string{hint}, took: faultQuick(), state: faultNoIO},
		}})
	})
	t.Run("New, then a RoundTrip", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		_, host, port := secCluster(t, secServerTLS())
		c := secNew(t, kafkaio.Config{Host: host, Port: port})
		began := time.Now()
		_, err := c.RoundTrip(context.Background(), kafkawire.ApiVersions(1, "sectest", 0), nil)
		faultLogErr(t, err)
		faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.NoConnection,
			anyCause: []error{io.EOF, syscall.ECONNRESET}, detail: []string{hint}, took: faultQuick()})
		faultCheckState(t, c, faultClosed, err)
	})
}

// ---------------------------------------------------------------- the calls over TLS

// TestTLSReceivePromises is the receive table of the fault matrix over
// TLS: the same deadlines, cancellations, EOF classes and states, with
// the peer's bytes in TLS records.
func TestTLSReceivePromises(t *testing.T) {
	deadline := []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}
	rows := []faultIORow{{
		name:   "silence: times out at its deadline",
		script: []testpeer.Step{testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: faultTimeout},
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, phase: "wait readable",
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		// Each byte is a TLS record of its own: a deadline per record
		// would be met by every one and never fire.
		name:   "dribble one byte every 50 ms past the deadline: ends at the deadline",
		script: []testpeer.Step{testpeer.Dribble(testpeer.Pattern(64), 50*time.Millisecond)},
		cfg:    kafkaio.Config{Timeout: faultTimeout},
		call:   faultReceive(64),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, progress: faultSome(64),
			took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name: "dribbled frame: size and body share one deadline",
		script: []testpeer.Step{testpeer.WriteSize(64),
			testpeer.Dribble(testpeer.Pattern(64), 50*time.Millisecond)},
		cfg:  kafkaio.Config{Timeout: faultTimeout},
		call: faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, progress: faultBytes(5, 67, 68),
			took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "half a frame then close_notify",
		script: []testpeer.Step{testpeer.WriteSize(100), testpeer.Write(testpeer.Pattern(50)), testpeer.CloseNotify()},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{io.ErrUnexpectedEOF},
			progress: faultBytes(54, 54, 104), took: faultQuick(), state: faultClosed},
	}, {
		name:   "close_notify first",
		script: []testpeer.Step{testpeer.CloseNotify()},
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{io.EOF},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name:   "close_notify first, reading a frame",
		script: []testpeer.Step{testpeer.CloseNotify()},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{io.EOF},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		// Between records, a FIN without close_notify is EOF too, as
		// crypto/tls reads it.
		name:   "FIN without close_notify first",
		script: []testpeer.Step{testpeer.FIN()},
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{io.EOF},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name:   "reset before any byte",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Reset()},
		ready:  faultSendFirst,
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{syscall.ECONNRESET},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name: "reset mid-receive",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Write(testpeer.Pattern(10)),
			testpeer.Sleep(100 * time.Millisecond), testpeer.Reset()},
		ready: faultSendFirst,
		call:  faultReceive(100),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{syscall.ECONNRESET},
			progress: faultBytes(10, 10, 100), took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context cancelled mid-wait",
		script: []testpeer.Step{testpeer.Stall()},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.ReceiveContext(ctx, 4)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultNone(4),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context cancelled mid-frame",
		script: []testpeer.Step{testpeer.WriteSize(64), testpeer.Write(testpeer.Pattern(10)), testpeer.Stall()},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.ReceiveFrame(ctx, nil)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultBytes(14, 14, 68),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context deadline shorter than the timeout",
		script: []testpeer.Step{testpeer.Stall()},
		call: func(c *kafkaio.IO) error {
			ctx, cancel := context.WithTimeout(context.Background(), faultTimeout)
			defer cancel()
			_, err := c.ReceiveContext(ctx, 4)
			return err
		},
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, notCause: []error{context.Canceled},
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "Close from another goroutine",
		script: []testpeer.Step{testpeer.Stall()},
		call:   faultCloseAfter(100*time.Millisecond, faultReceive(4)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{net.ErrClosed},
			notCause: []error{context.DeadlineExceeded}, took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "Close from another goroutine mid-frame",
		script: []testpeer.Step{testpeer.WriteSize(64), testpeer.Write(testpeer.Pattern(10)), testpeer.Stall()},
		call:   faultCloseAfter(100*time.Millisecond, faultReceiveFrame(nil)),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{net.ErrClosed},
			progress: faultBytes(14, 14, 68), took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "a size that is not Kafka's",
		script: []testpeer.Step{testpeer.WriteSize(-1)},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, as: faultNoCause, phase: "frame size", detail: []string{"frame size -1", "negative"},
			progress: faultBytes(4, 4, 4), took: faultQuick(), state: faultClosed},
	}, {
		// Exact lengths: 100 bytes in one record, asked for as 10, 1, 89.
		name:   "exact lengths out of one record",
		script: []testpeer.Step{testpeer.Write(testpeer.Pattern(100))},
		call: func(c *kafkaio.IO) error {
			want := testpeer.Pattern(100)
			for _, n := range []int{10, 1, 89} {
				got, err := c.Receive(n)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, want[:n]) {
					return fmt.Errorf("Receive(%d) = % x, want % x", n, got, want[:n])
				}
				want = want[n:]
			}
			return nil
		},
		want: faultWant{took: faultQuick(), state: faultOpen},
	}, {
		name:   "a 3 MiB frame echoed through TLS, into the caller's buffer",
		script: []testpeer.Step{testpeer.EchoFrames()},
		call: func(c *kafkaio.IO) error {
			body := faultPayload(3 * faultMiB)
			if _, err := c.Send(frame(body)); err != nil {
				return err
			}
			dst := make([]byte, 0, len(body))
			got, err := c.ReceiveFrame(context.Background(), dst)
			switch {
			case err != nil:
				return err
			case !bytes.Equal(got, body):
				return fmt.Errorf("the echoed frame of %d bytes differs from the %d sent", len(got), len(body))
			case &got[0] != &dst[:1][0]:
				return errors.New("ReceiveFrame did not use the caller's buffer")
			}
			return nil
		},
		want: faultWant{took: faultSpan{0, faultPatience}, state: faultOpen},
	}}
	secRunTLSRows(t, rows)
}

// TestTLSSendPromises is the send table over TLS.
func TestTLSSendPromises(t *testing.T) {
	const bigSend = 16 * faultMiB
	big := faultPayload(bigSend)
	rows := []faultIORow{{
		name:   "peer that never reads: times out with the bytes it managed",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: faultTimeout, SendBufferBytes: 16 * faultKiB},
		call:   faultSend(big),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{context.DeadlineExceeded, os.ErrDeadlineExceeded},
			phase: "wait writable", progress: faultSome(bigSend), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "Close from another goroutine during a stalled send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{SendBufferBytes: 16 * faultKiB},
		call:   faultCloseAfter(100*time.Millisecond, faultSend(big)),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{net.ErrClosed},
			notCause: []error{context.DeadlineExceeded}, progress: faultSome(bigSend),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context cancelled during a stalled send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{SendBufferBytes: 16 * faultKiB},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.SendContext(ctx, big)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultSome(bigSend),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "peer reset mid-send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(64 * faultKiB), testpeer.Read(64 * faultKiB), testpeer.Reset()},
		cfg:    kafkaio.Config{SendBufferBytes: 64 * faultKiB},
		call:   faultSend(big),
		want: faultWant{code: kafkaerr.CannotSend, anyCause: []error{syscall.ECONNRESET, syscall.EPIPE},
			progress: faultBytes(64*faultKiB, bigSend-1, bigSend), took: faultQuick(), state: faultClosed},
	}, {
		// The FIN without close_notify, with nothing unread before it: the
		// peek sees it as on plaintext. (A close_notify before the FIN is
		// unread bytes ahead of it, which the peek cannot see past.)
		name:   "peer closed (FIN) before the first byte",
		script: []testpeer.Step{testpeer.Close()},
		ready:  faultAwaitPeerGone,
		call:   faultSend(testpeer.Pattern(faultKiB)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{io.EOF}, phase: "peer check",
			progress: faultNone(faultKiB), took: faultQuick(), state: faultClosed},
	}, {
		name:   "peer reset before the first byte",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Reset()},
		ready: func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer) {
			faultSendFirst(t, c, p)
			faultAwaitPeerGone(t, c, p)
		},
		call: faultSend(testpeer.Pattern(faultKiB)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{syscall.ECONNRESET}, phase: "peer check",
			progress: faultNone(faultKiB), took: faultQuick(), state: faultClosed},
	}, {
		name:  "send after Close",
		ready: faultCloseFirst,
		call:  faultSend(testpeer.Pattern(faultKiB)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{net.ErrClosed}, progress: faultNone(faultKiB),
			took: faultQuick(), state: faultClosed},
	}, {
		name:   "16 MiB to a slow but steady reader succeeds",
		script: []testpeer.Step{testpeer.SlowRead(128*faultKiB, 2*time.Millisecond)},
		cfg:    kafkaio.Config{Timeout: 4 * faultPatience},
		call:   faultSend(big),
		want:   faultWant{took: faultSpan{0, 4 * faultPatience}, state: faultOpen},
		after: func(t *testing.T, p *testpeer.Peer) {
			faultWaitFor(t, "the peer to read all of the send", func() bool { return p.ReceivedCount() >= bigSend })
			if got := p.Received(); !bytes.Equal(got, big) {
				t.Errorf("the peer read %d bytes that differ from the %d sent", len(got), bigSend)
			}
		},
	}}
	secRunTLSRows(t, rows)
}

// TestTLSIsAlive checks IsAlive over TLS: true while the connection works,
// false once the peer has closed it, and after Close.
func TestTLSIsAlive(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(),
		testpeer.Read(4), testpeer.Write([]byte("pong")), testpeer.Read(4), testpeer.CloseNotify(), testpeer.Close())
	c := connect(t, p, kafkaio.Config{TLS: testcerts.ClientConfig(), Timeout: faultPatience})
	if !c.IsAlive() {
		t.Fatal("IsAlive() = false on a fresh TLS IO")
	}
	if _, err := c.Send([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Receive(4); err != nil || string(got) != "pong" {
		t.Fatalf("Receive = %q, %v", got, err)
	}
	if !c.IsAlive() {
		t.Fatal("IsAlive() = false after a round trip")
	}
	if _, err := c.Send([]byte("bye!")); err != nil {
		t.Fatal(err)
	}
	faultWaitDone(t, p)
	faultWaitFor(t, "IsAlive to see the peer's close", func() bool { return !c.IsAlive() })
	// The close_notify then the FIN: the next receive is NoConnection.
	_, err := c.Receive(4)
	faultCheckErr(t, err, 0, faultWant{code: kafkaerr.NoConnection, causes: []error{io.EOF}})
	faultCheckState(t, c, faultClosed, err)

	c2 := connect(t, testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), testpeer.Stall()),
		kafkaio.Config{TLS: testcerts.ClientConfig(), Timeout: faultPatience})
	c2.Close()
	if c2.IsAlive() {
		t.Error("IsAlive() = true after Close")
	}
}

// TestTLSCloseSendsCloseNotify checks that Close ends the TLS stream with
// a close_notify alert, and that a close after a failure sends none: the
// stream may be broken then. The server speaks TLS 1.2, whose record
// headers show an alert as such even when it is encrypted, and records
// the raw bytes it reads.
func TestTLSCloseSendsCloseNotify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      bool // the IO fails a receive before it is closed
		wantAlert bool
	}{
		{"Close", false, true},
		{"Close after a failure", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			srv := secStartRecordingTLS12(t)
			host, port := splitHostPort(t, srv.addr)
			c := secNew(t, kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig()})
			if _, err := c.Send([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if tc.fail {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				_, err := c.ReceiveContext(ctx, 1)
				cancel()
				wantErr(t, err, kafkaerr.CannotRecv)
			}
			c.Close()
			raw, plain := srv.wait(t)
			if string(plain) != "hello" {
				t.Errorf("the server read %q, want %q", plain, "hello")
			}
			types := secRecordTypes(t, raw)
			alert := len(types) > 0 && types[len(types)-1] == 21
			if alert != tc.wantAlert {
				t.Errorf("the client's records have content types %v; last is an alert: %v, want %v", types, alert, tc.wantAlert)
			}
		})
	}
}

// secRecordingServer is a TLS 1.2 server for one connection that records
// the raw bytes it reads and the plaintext, until the client hangs up.
type secRecordingServer struct {
	addr string
	done chan struct{}
	raw  bytes.Buffer
	text []byte
	err  error
}

func secStartRecordingTLS12(t *testing.T) *secRecordingServer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &secRecordingServer{addr: ln.Addr().String(), done: make(chan struct{})}
	cfg := testcerts.Server().ServerConfig()
	cfg.MaxVersion = tls.VersionTLS12
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			s.err = err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(faultPatience))
		tc := tls.Server(secTee{conn, &s.raw}, cfg)
		s.text, s.err = io.ReadAll(tc)
	}()
	t.Cleanup(func() { ln.Close(); <-s.done })
	return s
}

// wait returns what the server read once the client has hung up.
func (s *secRecordingServer) wait(t *testing.T) (raw, text []byte) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(faultPatience):
		t.Fatal("the TLS server did not see the client hang up")
	}
	if s.err != nil {
		t.Logf("the server's read ended with %v", s.err)
	}
	return s.raw.Bytes(), s.text
}

// secTee records what is read from a net.Conn.
type secTee struct {
	net.Conn
	w *bytes.Buffer
}

func (c secTee) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.Write(p[:n])
	return n, err
}

// secRecordTypes lists the content types of the TLS records in raw.
func secRecordTypes(t *testing.T, raw []byte) []byte {
	t.Helper()
	var types []byte
	for len(raw) >= 5 {
		n := int(raw[3])<<8 | int(raw[4])
		if len(raw) < 5+n {
			t.Fatalf("a truncated TLS record in the client's bytes")
		}
		types = append(types, raw[0])
		raw = raw[5+n:]
	}
	if len(raw) != 0 {
		t.Fatalf("%d bytes after the last whole TLS record", len(raw))
	}
	return types
}
