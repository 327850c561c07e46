package testpeer

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// StartOn is Start on a loopback address and port of the caller's choosing:
// any address of 127.0.0.0/8 or ::1, and port 0 for a free one. It is for a
// client that tries several addresses of one name, which all share its
// port: a peer on 127.0.0.1:P next to nothing, or a full backlog
// (FullBacklogOn), on 127.0.0.2:P.
func StartOn(tb testing.TB, addr netip.AddrPort, steps ...Step) *Peer {
	tb.Helper()
	return startPeer(tb, loopbackAt(tb, addr.Addr()), int(addr.Port()), steps)
}

// FullBacklogOn is FullBacklog on a loopback address and port of the
// caller's choosing (port 0 for a free one); it returns the port.
func FullBacklogOn(tb testing.TB, addr netip.AddrPort) (port int) {
	tb.Helper()
	return fullBacklog(tb, loopbackAt(tb, addr.Addr()), int(addr.Port()))
}

// loopbackAt describes a loopback address other than the network's usual
// one. Anything but loopback fails the test: the peer never leaves the
// machine.
func loopbackAt(tb testing.TB, ip netip.Addr) loopback {
	tb.Helper()
	ip = ip.Unmap()
	switch {
	case !ip.IsLoopback():
		tb.Fatalf("testpeer: %v is not a loopback address", ip)
	case ip.Is4():
		return loopback{"tcp4", ip, unix.AF_INET}
	}
	return loopback{"tcp6", ip, unix.AF_INET6}
}
