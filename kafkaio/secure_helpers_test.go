package kafkaio_test

// Shared pieces of the tests of secure connections (tls_test.go,
// sasl_test.go, secrets_test.go): the embedded cluster with TLS or SASL,
// the credentials, a real Kafka request to prove a connection works after
// its set-up, and the row runner of the TLS fault tables. Every name here
// starts with "sec" so that it cannot clash with the other test files.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// The credentials of the secured clusters and scripted brokers. The
// password is one no code path would write by accident, so that finding
// it anywhere (an error, a log line, a dump) is a leak and nothing else.
const (
	secUser     = "kafkaio-user"
	secPassword = "pw-9f3c5e71-Secret"
	secToken    = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJrYWZrYWlvIn0.c2VjcmV0LXRva2Vu"
)

// secMechanisms are the mechanisms kfake serves, each with the client
// mechanism for a user and password.
var secMechanisms = []struct {
	name string
	mech func(user, pass string) sasl.Mechanism
}{
	{embedded.Plain, sasl.Plain},
	{embedded.ScramSHA256, sasl.ScramSHA256},
	{embedded.ScramSHA512, sasl.ScramSHA512},
}

// secCluster starts a one-broker embedded cluster with opts, stopped when
// the test ends, and returns its host and port.
func secCluster(t *testing.T, opts ...embedded.Option) (*embedded.Cluster, string, int) {
	t.Helper()
	c, err := embedded.Start(1, opts...)
	if err != nil {
		t.Fatalf("embedded cluster: %v", err)
	}
	t.Cleanup(c.Close)
	ap := netip.MustParseAddrPort(c.Addrs()[0])
	return c, ap.Addr().String(), int(ap.Port())
}

// secServerTLS is the embedded cluster's TLS option with the test server
// certificate (valid for 127.0.0.1, ::1 and localhost).
func secServerTLS() embedded.Option { return embedded.TLS(testcerts.Server().ServerConfig()) }

// secNew connects with cfg, closing the IO when the test ends.
func secNew(t *testing.T, cfg kafkaio.Config) *kafkaio.IO {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = faultPatience
	}
	c, err := kafkaio.New(cfg)
	if err != nil {
		t.Fatalf("New(%s:%d): %v", cfg.Host, cfg.Port, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// secMetadata makes a real Kafka request through RoundTrip, Metadata v1
// for no topics, and checks the broker lists itself at the address the IO
// reached: proof that the connection carries Kafka after its set-up.
func secMetadata(t *testing.T, c *kafkaio.IO, corr int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), faultPatience)
	defer cancel()
	body, err := c.RoundTrip(ctx, kafkawire.Metadata(corr, "sectest", 1, []string{}), nil)
	if err != nil {
		t.Fatalf("Metadata round trip: %v", err)
	}
	md, err := kafkawire.ParseMetadata(body)
	if err != nil {
		t.Fatalf("Metadata response: %v", err)
	}
	if md.CorrelationID != corr {
		t.Fatalf("Metadata answers correlation id %d, want %d", md.CorrelationID, corr)
	}
	want := netip.MustParseAddrPort(c.Addr())
	for _, b := range md.Brokers {
		if b.Host == want.Addr().WithZone("").String() && int(b.Port) == int(want.Port()) {
			return
		}
	}
	t.Fatalf("Metadata lists brokers %+v, none at %s", md.Brokers, c.Addr())
}

// secCheckTLS checks an IO's TLS state: TLS 1.3 with the test server's
// certificate, or no TLS at all.
func secCheckTLS(t *testing.T, c *kafkaio.IO, wantTLS bool) {
	t.Helper()
	cs, ok := c.ConnectionState()
	switch {
	case !wantTLS && ok:
		t.Errorf("ConnectionState() = %v, true on a plaintext IO", tls.VersionName(cs.Version))
	case !wantTLS:
	case !ok:
		t.Error("ConnectionState() reports no TLS on a TLS IO")
	case !cs.HandshakeComplete:
		t.Error("ConnectionState: handshake not complete")
	case cs.Version != tls.VersionTLS13:
		t.Errorf("ConnectionState: version %s, want TLS 1.3", tls.VersionName(cs.Version))
	case len(cs.PeerCertificates) == 0 || !cs.PeerCertificates[0].Equal(testcerts.Server().X509()):
		t.Errorf("ConnectionState: the broker's certificates %d are not the test server's", len(cs.PeerCertificates))
	case len(cs.VerifiedChains) == 0:
		t.Error("ConnectionState: the broker's certificate was not verified")
	}
}

// secRunTLSRows runs rows of the fault matrix over TLS: the peer runs its
// script inside TLS (testcerts.Server's certificate) and the IO connects
// with TLS.
func secRunTLSRows(t *testing.T, rows []faultIORow) {
	t.Helper()
	faultRunRows(t, rows, testcerts.ClientConfig())
}

// secAs returns a faultWant.as check that the chain holds a *T.
func secAs[T error]() func(error) error {
	return func(err error) error {
		var target T
		if !errors.As(err, &target) {
			return fmt.Errorf("no %T in the chain", target)
		}
		return nil
	}
}

// secAll combines faultWant.as checks.
func secAll(checks ...func(error) error) func(error) error {
	return func(err error) error {
		for _, c := range checks {
			if why := c(err); why != nil {
				return why
			}
		}
		return nil
	}
}
