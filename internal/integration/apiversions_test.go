package integration

import (
	"net"
	"strconv"
	"testing"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// checkApiVersions checks what any broker must list: ApiVersions itself,
// with the version just used in range.
func checkApiVersions(t *testing.T, r kafkawire.ApiVersionsResponse, version int16) {
	t.Helper()
	k, ok := r.Find(kafkawire.KeyApiVersions)
	if !ok {
		t.Fatalf("ApiVersions v%d response does not list ApiVersions: %+v", version, r.APIKeys)
	}
	if version < k.MinVersion || version > k.MaxVersion {
		t.Fatalf("broker lists ApiVersions %d..%d, yet answered v%d", k.MinVersion, k.MaxVersion, version)
	}
}

// ApiVersions v0 and v3 round trips: the correlation id comes back (checked
// by receive) and the broker lists ApiVersions. v3 exercises the flexible
// request header and compact strings.
func TestApiVersions(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	addr := kafkatest.Brokers(t, 1)[0]
	for _, v := range []int16{0, 3} {
		t.Run("v"+strconv.Itoa(int(v)), func(t *testing.T) {
			b := dial(t, addr)
			checkApiVersions(t, b.apiVersions(v), v)
		})
	}
}

// Both versions, several times, on one connection: each response is read
// exactly, leaving the stream aligned for the next.
func TestApiVersionsAlternatingOnOneConnection(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	b := dial(t, kafkatest.Brokers(t, 1)[0])
	for i := range 6 {
		v := int16(i%2) * 3
		checkApiVersions(t, b.apiVersions(v), v)
	}
}

// The same round trip over IPv6: an embedded broker listening on [::1],
// reached both as "::1" with IPVersion IPv6 and in its bracketed form. This
// always uses the embedded cluster, since KAFKA_BROKERS says nothing about
// whether a real cluster listens on [::1].
func TestIPv6ApiVersions(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	kafkatest.RequireIPv6(t)
	c := kafkatest.Embedded(t, 1, embedded.IPv6())
	_, p, err := net.SplitHostPort(c.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	for _, cfg := range []kafkaio.Config{
		{Host: "::1", Port: port, IPVersion: kafkaio.IPv6},
		{Host: "[::1]", Port: port},
	} {
		b := dialConfig(t, cfg)
		if host, _, _ := net.SplitHostPort(b.io.Addr()); host != "::1" {
			t.Fatalf("connected to %s, want [::1]", b.io.Addr())
		}
		for _, v := range []int16{0, 3} {
			checkApiVersions(t, b.apiVersions(v), v)
		}
		md := b.metadata([]string{})
		if len(md.Brokers) != 1 || md.Brokers[0].Host != "::1" {
			t.Fatalf("Metadata over IPv6 lists %+v, want one broker on ::1", md.Brokers)
		}
	}
}
