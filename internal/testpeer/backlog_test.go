package testpeer

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestFullBacklogConnectTimesOut(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		host, port := FullBacklog(t, network)
		const timeout = 300 * time.Millisecond

		began := time.Now()
		c, err := net.DialTimeout(network, net.JoinHostPort(host, strconv.Itoa(port)), timeout)
		took := time.Since(began)

		if err == nil {
			c.Close()
			t.Fatal("connect to a full backlog succeeded, want a timeout")
		}
		var netErr net.Error
		if !errors.As(err, &netErr) || !netErr.Timeout() || errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("connect to a full backlog: %v, want a timeout (not refused)", err)
		}
		if took < timeout-timeout/10 {
			t.Fatalf("connect gave up after %v, before its %v timeout", took, timeout)
		}
	})
}

func TestRefusedPort(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		port := RefusedPort(t, network)
		host := map[string]string{"tcp4": "127.0.0.1", "tcp6": "::1"}[network]

		c, err := net.DialTimeout(network, net.JoinHostPort(host, strconv.Itoa(port)), patience)
		if err == nil {
			c.Close()
			t.Fatal("connect to RefusedPort succeeded")
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("connect to RefusedPort: %v, want ECONNREFUSED", err)
		}
	})
}
