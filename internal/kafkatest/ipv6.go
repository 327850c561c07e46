package kafkatest

import (
	"net"
	"testing"
)

// RequireIPv6 skips tb when the machine cannot listen on [::1], as in
// containers started without IPv6.
func RequireIPv6(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		tb.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	ln.Close()
}
