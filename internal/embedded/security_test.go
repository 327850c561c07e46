package embedded

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
)

// These tests speak to secured clusters with crypto/tls and kmsg-encoded
// requests over plain connections, independent of kafkaio; kgo_test.go
// checks the same clusters with franz-go's client.

// startChecked is start with a leak check that runs after the cluster's
// Close and every connection's cleanup.
func startChecked(t *testing.T, brokers int, opts ...Option) *Cluster {
	t.Helper()
	t.Cleanup(leakcheck.Verify(t))
	return start(t, brokers, opts...)
}

// dialTLS connects with cfg and runs the handshake. An empty ServerName
// becomes the address's host, as tls.Dial does.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ServerName = host
	}
	raw := dial(t, addr)
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	return c
}

// exchange sends req (at its version) with correlation id corr and decodes
// the response. A connection the broker closes instead of answering is an
// error, not a failure of the test.
func exchange(conn net.Conn, corr int32, req kmsg.Request) (kmsg.Response, error) {
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("embedded-test")).AppendRequest(nil, req, corr)
	if _, err := conn.Write(frame); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	body = body[4:]
	resp := req.ResponseKind()
	if av, ok := resp.(*kmsg.ApiVersionsResponse); ok && av.Version > av.MaxVersion() {
		// A broker answers an ApiVersions version it does not know at v0,
		// with UNSUPPORTED_VERSION (KIP-511).
		av.Version = 0
	}
	if resp.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		if len(body) == 0 || body[0] != 0 {
			return nil, errors.New("response header has tagged fields")
		}
		body = body[1:] // response header v1: no tagged fields
	}
	return resp, resp.ReadFrom(body)
}

func mustExchange(t *testing.T, conn net.Conn, corr int32, req kmsg.Request) kmsg.Response {
	t.Helper()
	resp, err := exchange(conn, corr, req)
	if err != nil {
		t.Fatalf("%s v%d: %v", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	return resp
}

func apiVersionsRequest(version int16) *kmsg.ApiVersionsRequest {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = version
	req.ClientSoftwareName, req.ClientSoftwareVersion = "embedded-test", "1.0"
	return req
}

// keyRange finds key in an ApiVersions response.
func keyRange(resp *kmsg.ApiVersionsResponse, key kmsg.Key) (minV, maxV int16, ok bool) {
	for _, k := range resp.ApiKeys {
		if k.ApiKey == key.Int16() {
			return k.MinVersion, k.MaxVersion, true
		}
	}
	return 0, 0, false
}

// requireClosedWithoutAnswer checks that the broker hung up on conn instead
// of answering (EOF, or a reset when it left our bytes unread).
func requireClosedWithoutAnswer(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(make([]byte, 64))
	if n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("%s: read %d bytes, %v; want the broker to close the connection", what, n, err)
	}
}

func TestTLSClusterServesEveryBroker(t *testing.T) {
	c := startChecked(t, 3, TLS(testcerts.Server().ServerConfig()), SeedTopics(2, "tls-topic"))
	for i, addr := range c.Addrs() {
		conn := dialTLS(t, addr, testcerts.ClientConfig()) // ServerName from the address: 127.0.0.1
		if st := conn.ConnectionState(); st.Version != tls.VersionTLS13 {
			t.Errorf("broker %d: TLS version %x", i, st.Version)
		}
		req := kmsg.NewPtrMetadataRequest()
		req.Version = 9
		resp := mustExchange(t, conn, 7, req).(*kmsg.MetadataResponse)
		if len(resp.Brokers) != 3 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 2 {
			t.Fatalf("broker %d: Metadata over TLS: %d brokers, %d topics", i, len(resp.Brokers), len(resp.Topics))
		}
	}
}

func TestTLSClusterIPv6AndLocalhost(t *testing.T) {
	probe, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	probe.Close()
	c := startChecked(t, 1, IPv6(), TLS(testcerts.Server().ServerConfig()))
	for _, name := range []string{"::1", "localhost"} {
		cfg := testcerts.ClientConfig()
		cfg.ServerName = name
		conn := dialTLS(t, c.Addrs()[0], cfg)
		mustExchange(t, conn, 1, apiVersionsRequest(3))
	}
}

// Close drops TLS clients at once, as it does plaintext ones: the tracker
// holds the TCP socket under each TLS connection.
func TestTLSCloseDropsClientConnections(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	c, err := Start(1, TLS(testcerts.Server().ServerConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close) // if the test fails early; Close is idempotent
	conn := dialTLS(t, c.Addrs()[0], testcerts.ClientConfig())
	mustExchange(t, conn, 1, apiVersionsRequest(3))
	silent := dial(t, c.Addrs()[0]) // a TCP client that never starts its handshake
	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		readErr <- err
	}()
	began := time.Now()
	c.Close()
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("Close took %v", took)
	}
	select {
	case err := <-readErr:
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("TLS read after Close: %v, want EOF or a reset", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("TLS read still blocked 10s after Close")
	}
	requireClosedWithoutAnswer(t, silent, "silent client after Close")
}

func TestPlaintextClientOnTLSCluster(t *testing.T) {
	c := startChecked(t, 1, TLS(testcerts.Server().ServerConfig()))
	conn := dial(t, c.Addrs()[0])
	frame := kmsg.NewRequestFormatter().AppendRequest(nil, apiVersionsRequest(0), 1)
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	requireClosedWithoutAnswer(t, conn, "plaintext ApiVersions to a TLS broker")
}

func TestMutualTLSCluster(t *testing.T) {
	c := startChecked(t, 1, TLS(testcerts.MutualServerConfig()))
	addr := c.Addrs()[0]
	mustExchange(t, dialTLS(t, addr, testcerts.MutualClientConfig()), 1, apiVersionsRequest(3))

	// Without a client certificate the TLS 1.3 handshake completes on the
	// client's side; the server's refusal arrives on the first read.
	conn := dialTLS(t, addr, testcerts.ClientConfig())
	_, err := exchange(conn, 1, apiVersionsRequest(3))
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("client without certificate: %v, want the server's certificate-required alert", err)
	}
}

// saslPlain runs SaslHandshake v1 and SaslAuthenticate (version v) with
// PLAIN on conn, returning the authenticate response, or the error when the
// broker hangs up.
func saslPlain(conn net.Conn, v int16, user, pass string) (*kmsg.SASLAuthenticateResponse, error) {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, Plain
	resp, err := exchange(conn, 2, hs)
	if err != nil {
		return nil, err
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		return nil, fmt.Errorf("SaslHandshake error code %d", code)
	}
	auth := kmsg.NewPtrSASLAuthenticateRequest()
	auth.Version, auth.SASLAuthBytes = v, []byte("\x00"+user+"\x00"+pass)
	resp, err = exchange(conn, 3, auth)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.SASLAuthenticateResponse), nil
}

// The SASL flow at the wire level, over TLS: only ApiVersions and SASL are
// served before authentication, a wrong password closes the connection, and
// connections.max.reauth.ms becomes the session lifetime.
func TestSASLOverTLS(t *testing.T) {
	tlsOpt := TLS(testcerts.Server().ServerConfig())
	user := SASL(Plain, "alice", "alice-secret")

	t.Run("metadata before authentication", func(t *testing.T) {
		c := startChecked(t, 1, tlsOpt, user)
		conn := dialTLS(t, c.Addrs()[0], testcerts.ClientConfig())
		mustExchange(t, conn, 1, apiVersionsRequest(3))
		req := kmsg.NewPtrMetadataRequest()
		req.Version = 1
		if _, err := exchange(conn, 2, req); err == nil {
			t.Fatal("Metadata answered before SASL")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := startChecked(t, 1, tlsOpt, user)
		conn := dialTLS(t, c.Addrs()[0], testcerts.ClientConfig())
		if resp, err := saslPlain(conn, 1, "alice", "wrong"); err == nil {
			t.Fatalf("wrong password answered: %+v", resp)
		}
	})
	for _, tc := range []struct {
		name     string
		opts     []Option
		version  int16
		lifetime int64
	}{
		{"no lifetime", nil, 1, 0},
		{"lifetime", []Option{BrokerConfigs(map[string]string{"connections.max.reauth.ms": "60000"})}, 1, 60000},
		{"lifetime v2", []Option{BrokerConfigs(map[string]string{"connections.max.reauth.ms": "1500"})}, 2, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChecked(t, 1, append([]Option{tlsOpt, user}, tc.opts...)...)
			conn := dialTLS(t, c.Addrs()[0], testcerts.ClientConfig())
			resp, err := saslPlain(conn, tc.version, "alice", "alice-secret")
			if err != nil {
				t.Fatal(err)
			}
			if resp.ErrorCode != 0 || resp.SessionLifetimeMillis != tc.lifetime {
				t.Fatalf("SaslAuthenticate v%d: error %d, lifetime %d ms; want 0, %d ms",
					tc.version, resp.ErrorCode, resp.SessionLifetimeMillis, tc.lifetime)
			}
			req := kmsg.NewPtrMetadataRequest()
			req.Version = 1
			mustExchange(t, conn, 4, req)
			if tc.lifetime > 0 { // reauthentication: a second handshake is allowed
				if _, err := saslPlain(conn, tc.version, "alice", "alice-secret"); err != nil {
					t.Fatalf("reauthentication: %v", err)
				}
			}
		})
	}
}

func TestSASLRejectsUnknownMechanism(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	if c, err := Start(1, SASL("GSSAPI", "alice", "x")); err == nil {
		c.Close()
		t.Fatal("Start with SASL GSSAPI succeeded")
	}
}

// ownAnswer is what a cluster without AdvertiseSaslHandshakeV0 answers.
func ownAnswer(t *testing.T, req kmsg.Request) *kmsg.ApiVersionsResponse {
	t.Helper()
	c := start(t, 1)
	return mustExchange(t, dial(t, c.Addrs()[0]), 1, req).(*kmsg.ApiVersionsResponse)
}

// With AdvertiseSaslHandshakeV0, every ApiVersions version kfake serves gets
// kfake's own answer with SaslHandshake's minimum at 0 and nothing else
// changed; the requests kfake must answer itself still get its answer.
func TestAdvertiseSaslHandshakeV0(t *testing.T) {
	c := startChecked(t, 1, AdvertiseSaslHandshakeV0())
	conn := dial(t, c.Addrs()[0])
	for v := int16(0); v <= 5; v++ {
		got := mustExchange(t, conn, int32(10+v), apiVersionsRequest(v)).(*kmsg.ApiVersionsResponse)
		want := ownAnswer(t, apiVersionsRequest(v))
		if minV, maxV, ok := keyRange(want, kmsg.SASLHandshake); !ok || minV != 1 || maxV != 1 {
			t.Fatalf("v%d: kfake's own SaslHandshake range is %d-%d (found %v); this test expects 1-1", v, minV, maxV, ok)
		}
		if minV, maxV, ok := keyRange(got, kmsg.SASLHandshake); !ok || minV != 0 || maxV != 1 {
			t.Fatalf("v%d: widened SaslHandshake range is %d-%d (found %v), want 0-1", v, minV, maxV, ok)
		}
		for i := range got.ApiKeys {
			if got.ApiKeys[i].ApiKey == kmsg.SASLHandshake.Int16() {
				got.ApiKeys[i].MinVersion = 1
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("v%d: apart from SaslHandshake, the answer differs from kfake's own:\n got %+v\nwant %+v", v, got, want)
		}
		if v >= 3 && len(got.SupportedFeatures) == 0 {
			t.Fatalf("v%d: no supported features in the answer", v)
		}
	}

	passThrough := map[string]*kmsg.ApiVersionsRequest{
		"version above kfake's": apiVersionsRequest(7), // answered at v0 (KIP-511)
		"invalid software name": func() *kmsg.ApiVersionsRequest {
			r := apiVersionsRequest(3)
			r.ClientSoftwareName = "-bad"
			return r
		}(),
		"v5 with cluster and node": func() *kmsg.ApiVersionsRequest {
			r := apiVersionsRequest(5)
			id := "kfake"
			r.ClusterID, r.NodeID = &id, 0
			return r
		}(),
	}
	for name, req := range passThrough {
		got := mustExchange(t, dial(t, c.Addrs()[0]), 1, req).(*kmsg.ApiVersionsResponse)
		if want := ownAnswer(t, req); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: answer %+v, want kfake's own %+v", name, got, want)
		}
	}
}

// The widening works on a cluster that wants mutual TLS and SASL, before
// authentication; SaslHandshake v1 then works, and v0 (advertised, not
// served) gets the connection closed.
func TestAdvertiseSaslHandshakeV0WithMutualTLSAndSASL(t *testing.T) {
	c := startChecked(t, 2, TLS(testcerts.MutualServerConfig()), SASL(Plain, "alice", "pw"), AdvertiseSaslHandshakeV0())
	for _, addr := range c.Addrs() {
		conn := dialTLS(t, addr, testcerts.MutualClientConfig())
		resp := mustExchange(t, conn, 1, apiVersionsRequest(3)).(*kmsg.ApiVersionsResponse)
		if minV, _, _ := keyRange(resp, kmsg.SASLHandshake); minV != 0 {
			t.Fatalf("%s: SaslHandshake min version %d, want 0", addr, minV)
		}
		if resp, err := saslPlain(conn, 1, "alice", "pw"); err != nil || resp.ErrorCode != 0 {
			t.Fatalf("%s: SASL after the widened ApiVersions: %+v, %v", addr, resp, err)
		}
	}
	conn := dialTLS(t, c.Addrs()[0], testcerts.MutualClientConfig())
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 0, Plain
	if resp, err := exchange(conn, 1, hs); err == nil {
		t.Fatalf("SaslHandshake v0 answered: %+v", resp)
	}
}
