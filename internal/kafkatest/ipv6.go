package kafkatest

import (
	"net"
	"os"
	"testing"
)

// RequireIPv6 skips tb when the machine cannot listen on [::1], as in
// containers started without IPv6, except under CI=true: CI's machine has
// IPv6 loopback, so there its absence is a real failure (as with Kcat).
func RequireIPv6(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		noIPv6(tb, err)
	}
	ln.Close()
}

// noIPv6 ends tb for a machine without IPv6 loopback: a skip, or a failure
// under CI=true.
func noIPv6(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("no IPv6 loopback on this machine: %v (CI=true: CI's machine has it, so this is a failure)", err)
	}
	tb.Skipf("no IPv6 loopback on this machine: %v", err)
}
