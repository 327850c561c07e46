package testpeer

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// loopback describes the loopback address of one network ("tcp4" or "tcp6").
type loopback struct {
	network string
	addr    netip.Addr
	family  int // unix.AF_INET or unix.AF_INET6
}

// loopbackFor validates network and returns its loopback address. An unknown
// network fails the test: it is a mistake in the test, not a condition of the
// machine.
func loopbackFor(tb testing.TB, network string) loopback {
	tb.Helper()
	switch network {
	case "tcp4":
		return loopback{network, netip.MustParseAddr("127.0.0.1"), unix.AF_INET}
	case "tcp6":
		return loopback{network, netip.MustParseAddr("::1"), unix.AF_INET6}
	}
	tb.Fatalf(`testpeer: network %q is not supported; use "tcp4" or "tcp6"`, network)
	return loopback{}
}

// host is the address as a host name for net.JoinHostPort: "127.0.0.1" or "::1".
func (lb loopback) host() string { return lb.addr.String() }

// skipIfNoIPv6 skips the test when err says that IPv6 loopback cannot be
// used here, which is a property of the machine (a container without IPv6),
// not a failure of the code under test. Under CI=true it fails the test
// instead: CI's machine has IPv6 loopback, so there a missing one means the
// IPv6 tests would pass without running.
func skipIfNoIPv6(tb testing.TB, lb loopback, err error) {
	tb.Helper()
	if lb.family != unix.AF_INET6 {
		return
	}
	if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT) {
		const msg = "testpeer: IPv6 loopback [::1] is not available on this machine: %v"
		if os.Getenv("CI") == "true" {
			tb.Fatalf(msg+" (CI=true: CI's machine has it, so this is a failure, not a skip)", err)
		}
		tb.Skipf(msg, err)
	}
}

// tcpAddr is the loopback address with the given port, as net.Dial expects it.
func (lb loopback) tcpAddr(port int) string {
	return net.JoinHostPort(lb.host(), strconv.Itoa(port))
}
