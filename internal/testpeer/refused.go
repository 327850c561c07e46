package testpeer

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// refusedAttempts bounds the search for a free port: a port found free can
// be taken by another process before it is checked.
const refusedAttempts = 10

// RefusedPort returns a loopback port of network ("tcp4" or "tcp6") that
// nothing listens on, so a connect to it is refused at once. It binds a free
// port, closes it, and checks that a connect is refused. Another process may
// still take the port afterwards; on a test machine that is rare.
func RefusedPort(tb testing.TB, network string) int {
	tb.Helper()
	lb := loopbackFor(tb, network)
	var lastErr error
	for range refusedAttempts {
		port, err := freePort(lb)
		if err != nil {
			skipIfNoIPv6(tb, lb, err)
			tb.Fatalf("testpeer: RefusedPort: %v", err)
		}
		if lastErr = checkRefused(lb, port); lastErr == nil {
			return port
		}
	}
	tb.Fatalf("testpeer: RefusedPort: no refused port found in %d attempts: %v", refusedAttempts, lastErr)
	return 0
}

// freePort binds a free loopback port and releases it.
func freePort(lb loopback) (int, error) {
	ln, err := net.Listen(lb.network, lb.tcpAddr(0))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// checkRefused returns nil when a connect to port is refused.
func checkRefused(lb loopback, port int) error {
	c, err := net.DialTimeout(lb.network, lb.tcpAddr(port), 5*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s accepted a connection", lb.tcpAddr(port))
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	return nil
}
