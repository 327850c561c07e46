package dnsstub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// Names under .test (RFC 6761) are in no hosts file, so Go's resolver asks
// the stub about them.
const knownName = "broker.dnsstub.test"

var (
	knownV4 = netip.MustParseAddr("127.0.0.1")
	knownV6 = netip.MustParseAddr("::1")
	hosts   = map[string][]netip.Addr{knownName: {knownV4, knownV6}}
)

// start is Start with the leak check registered first, so that it runs
// after the server's own cleanup.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	t.Cleanup(leakcheck.Verify(t))
	return Start(t, cfg)
}

func lookup(t *testing.T, s *Server, network, name string, budget time.Duration) ([]netip.Addr, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	began := time.Now()
	ips, err := s.Resolver().LookupNetIP(ctx, network, name)
	return ips, err, time.Since(began)
}

func TestAnswersEachFamily(t *testing.T) {
	s := start(t, Config{Hosts: hosts})
	for _, tc := range []struct {
		network string
		want    []netip.Addr
	}{
		{"ip4", []netip.Addr{knownV4}},
		{"ip6", []netip.Addr{knownV6}},
		{"ip", []netip.Addr{knownV4, knownV6}},
	} {
		ips, err, _ := lookup(t, s, tc.network, knownName, 5*time.Second)
		if err != nil {
			t.Fatalf("LookupNetIP(%s, %s): %v", tc.network, knownName, err)
		}
		got := make([]netip.Addr, len(ips))
		for i, ip := range ips {
			got[i] = ip.Unmap()
		}
		slices.SortFunc(got, netip.Addr.Compare)
		if !slices.Equal(got, tc.want) {
			t.Errorf("LookupNetIP(%s, %s) = %v, want %v", tc.network, knownName, got, tc.want)
		}
	}
	if s.Queries() == 0 {
		t.Fatal("the server counted no queries: the resolver did not use it")
	}
}

// TestSeveralAddressesOfOneFamily is what the multi-address tests of
// kafkaio rely on: a name with two IPv4 addresses resolves to both, in the
// order the zone gives them (Go's resolver sorts by RFC 6724, whose rules
// leave two IPv4 loopback addresses in their DNS order), and mixed with
// IPv6 to all three.
func TestSeveralAddressesOfOneFamily(t *testing.T) {
	const name = "two.dnsstub.test"
	second := netip.MustParseAddr("127.0.0.2")
	s := start(t, Config{Hosts: map[string][]netip.Addr{
		name:            {second, knownV4},
		"mixed." + name: {second, knownV6, knownV4},
	}})
	ips, err, _ := lookup(t, s, "ip4", name, 5*time.Second)
	if err != nil {
		t.Fatalf("LookupNetIP(ip4, %s): %v", name, err)
	}
	if want := []netip.Addr{second, knownV4}; !slices.Equal(unmapAll(ips), want) {
		t.Errorf("LookupNetIP(ip4, %s) = %v, want %v in that order", name, ips, want)
	}
	ips, err, _ = lookup(t, s, "ip", "mixed."+name, 5*time.Second)
	if err != nil {
		t.Fatalf("LookupNetIP(ip, mixed.%s): %v", name, err)
	}
	got := unmapAll(ips)
	slices.SortFunc(got, netip.Addr.Compare)
	if want := []netip.Addr{knownV4, second, knownV6}; !slices.Equal(got, want) {
		t.Errorf("LookupNetIP(ip, mixed.%s) = %v, want the addresses %v", name, ips, want)
	}
}

func unmapAll(ips []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		out[i] = ip.Unmap()
	}
	return out
}

func TestUnknownNameIsNXDOMAIN(t *testing.T) {
	s := start(t, Config{Hosts: hosts})
	_, err, took := lookup(t, s, "ip", "nowhere.dnsstub.test", 5*time.Second)
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("lookup of an unknown name: %v, want a *net.DNSError with IsNotFound", err)
	}
	if took > 2*time.Second {
		t.Fatalf("NXDOMAIN took %v; it should come at once", took)
	}
}

func TestSilentServerNeverAnswers(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	s := Silent(t)
	const budget = 300 * time.Millisecond
	_, err, took := lookup(t, s, "ip4", knownName, budget)
	if err == nil {
		t.Fatal("a lookup against a silent server succeeded")
	}
	if took < budget || took > budget+700*time.Millisecond {
		t.Fatalf("the lookup ended after %v, want its %v budget (+700ms)", took, budget)
	}
	if s.Queries() == 0 {
		t.Fatal("the silent server counted no queries: the resolver did not use it")
	}
}

func TestDelayIsHonoured(t *testing.T) {
	const delay = 200 * time.Millisecond
	s := start(t, Config{Hosts: hosts, Delay: delay})
	ips, err, took := lookup(t, s, "ip4", knownName, 5*time.Second)
	if err != nil || len(ips) != 1 {
		t.Fatalf("LookupNetIP = %v, %v; want one address", ips, err)
	}
	if took < delay {
		t.Fatalf("answer came after %v, before the %v delay", took, delay)
	}
}

func TestCloseDropsPendingAnswers(t *testing.T) {
	s := start(t, Config{Hosts: hosts, Delay: time.Hour})
	lookupDone := make(chan struct{})
	go func() {
		defer close(lookupDone)
		// Its own budget is short: once the server is gone, nothing answers.
		_, _, _ = lookup(t, s, "ip4", knownName, time.Second)
	}()
	waitQueries(t, s, 1)
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an answer delayed by an hour")
	}
	<-lookupDone
}

// TestTCP sends a query over TCP by hand, since Go's resolver only turns to
// TCP for truncated answers.
func TestTCP(t *testing.T) {
	for _, silent := range []bool{false, true} {
		t.Run(fmt.Sprintf("silent=%v", silent), func(t *testing.T) { testTCP(t, silent) })
	}
}

func testTCP(t *testing.T, silent bool) {
	{
		s := start(t, Config{Hosts: hosts, Silent: silent})
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		query := buildQuery(0x1234, knownName, TypeA)
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(query)))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(query); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		reply, err := readTCPMessage(c)
		c.Close()
		if silent {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("silent server over TCP: reply %x, err %v; want a timeout", reply, err)
			}
			waitQueries(t, s, 1)
			return
		}
		if err != nil {
			t.Fatalf("reading the TCP reply: %v", err)
		}
		if id := binary.BigEndian.Uint16(reply); id != 0x1234 {
			t.Errorf("reply id %#x, want 0x1234", id)
		}
		if an := binary.BigEndian.Uint16(reply[6:8]); an != 1 {
			t.Errorf("reply has %d answers, want 1", an)
		}
		if got := reply[len(reply)-4:]; netip.AddrFrom4([4]byte(got)) != knownV4 {
			t.Errorf("reply ends with %v, want %v", got, knownV4)
		}
	}
}

func TestParseQueryRejectsGarbage(t *testing.T) {
	good := buildQuery(7, knownName, TypeAAAA)
	q, err := parseQuery(good)
	if err != nil || q.name != knownName || q.qtype != TypeAAAA || q.id != 7 {
		t.Fatalf("parseQuery(good) = %+v, %v", q, err)
	}
	for n := range len(good) - 1 {
		if _, err := parseQuery(good[:n]); err == nil {
			t.Errorf("parseQuery accepted a query cut to %d of %d bytes", n, len(good))
		}
	}
}

func buildQuery(id uint16, name string, qtype uint16) []byte {
	msg := binary.BigEndian.AppendUint16(nil, id)
	msg = append(msg, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	for label := range strings.SplitSeq(name, ".") {
		msg = append(msg, byte(len(label)))
		msg = append(msg, label...)
	}
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	return binary.BigEndian.AppendUint16(msg, classIN)
}

func readTCPMessage(c net.Conn) ([]byte, error) {
	var prefix [2]byte
	if _, err := io.ReadFull(c, prefix[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	_, err := io.ReadFull(c, msg)
	return msg, err
}

func waitQueries(t *testing.T, s *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.Queries() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("the server received %d queries, want %d", s.Queries(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
