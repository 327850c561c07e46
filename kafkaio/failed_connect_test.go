package kafkaio_test

// No socket survives a failed connect, whichever way it fails: refused
// (the *os.File that owns the socket must be closed), timed out (the same,
// after a wait) or refused by connect(2) itself before any packet (the raw
// fd, not yet handed to an *os.File, must be closed). The leak check never
// runs the garbage collector, and keeps it off while it looks, so a socket
// whose *os.File is merely dropped shows as the leak it is instead of
// being closed by its finalizer.

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

func TestFailedConnectsLeakNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		times  int
		target func(t *testing.T) kafkaio.Config
		cause  error
	}{
		{"refused", 200, func(t *testing.T) kafkaio.Config {
			return kafkaio.Config{Host: "127.0.0.1", Port: testpeer.RefusedPort(t, "tcp4")}
		}, syscall.ECONNREFUSED},
		{"timed out on a full backlog", 5, func(t *testing.T) kafkaio.Config {
			host, port := testpeer.FullBacklog(t, "tcp4")
			return kafkaio.Config{Host: host, Port: port, Timeout: 50 * time.Millisecond}
		}, os.ErrDeadlineExceeded},
		// A link-local IPv6 address needs a zone: connect(2) fails at once
		// with EINVAL, before the socket is handed to the runtime poller.
		// Nothing is sent.
		{"refused by connect(2) itself", 200, func(t *testing.T) kafkaio.Config {
			requireIPv6(t)
			return kafkaio.Config{Host: "fe80::1", Port: 9092}
		}, syscall.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.target(t)
			base := leakcheck.Take() // after the target's own sockets
			for i := range tc.times {
				c, err := kafkaio.New(cfg)
				if err == nil {
					c.Close()
					t.Fatalf("New(%s) succeeded", cfg.Host)
				}
				if i == 0 {
					t.Logf("error: %v", err)
					if !errors.Is(err, kafkaerr.CannotBind) || !errors.Is(err, tc.cause) {
						t.Fatalf("New(%s) = %v, want CannotBind with %v", cfg.Host, err, tc.cause)
					}
				}
			}
			if err := base.Check(2*time.Second, 0); err != nil {
				t.Errorf("after %d failed connects: %v", tc.times, err)
			}
		})
	}
}

// requireIPv6 skips t when the machine has no IPv6 loopback, except under
// CI=true, where CI's machine has it and its absence is a failure.
func requireIPv6(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err == nil {
		ln.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no IPv6 loopback on this machine: %v (CI=true: CI's machine has it, so this is a failure)", err)
	}
	t.Skipf("no IPv6 loopback on this machine: %v", err)
}
