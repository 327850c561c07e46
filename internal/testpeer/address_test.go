package testpeer

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Two loopback addresses, one port: what a name with several addresses
// looks like to a client that tries each in turn.
func TestStartOnAndFullBacklogOnShareAPort(t *testing.T) {
	p := start(t, "tcp4", Echo())
	second := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), uint16(p.Port()))
	if got := FullBacklogOn(t, second); got != p.Port() {
		t.Fatalf("FullBacklogOn(%v) listens on port %d", second, got)
	}
	c, err := net.DialTimeout("tcp4", second.String(), 300*time.Millisecond)
	if err == nil {
		c.Close()
		t.Fatal("connect to the full backlog succeeded")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("connect to the full backlog: %v, want a timeout", err)
	}
	echoOnce(t, dial(t, p))

	third := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.3"), uint16(p.Port()))
	q := StartOn(t, third, Echo())
	if q.Addr() != "127.0.0.3:"+strconv.Itoa(p.Port()) || q.Host() != "127.0.0.3" {
		t.Fatalf("StartOn(%v): Addr %s, Host %s", third, q.Addr(), q.Host())
	}
	echoOnce(t, dial(t, q))
	if _, err := net.DialTimeout("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.4"), uint16(p.Port())).String(), patience); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect to 127.0.0.4 on the shared port: %v, want ECONNREFUSED", err)
	}
}

func TestStartOnRefusesAnAddressOffLoopback(t *testing.T) {
	fake := runFake(func(tb testing.TB) {
		StartOn(tb, netip.MustParseAddrPort("192.0.2.1:0"))
	})
	if !fake.failed {
		t.Fatal("StartOn accepted an address that is not loopback")
	}
}

// echoOnce checks that the peer on c echoes.
func echoOnce(t *testing.T, c *net.TCPConn) {
	t.Helper()
	write(t, c, []byte("ping"))
	if got := readN(t, c, 4); string(got) != "ping" {
		t.Fatalf("echo: %q, want ping", got)
	}
}
