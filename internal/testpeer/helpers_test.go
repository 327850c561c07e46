package testpeer

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// patience bounds every wait in these tests. It is far above what any step
// needs, so it only matters when something hangs.
const patience = 10 * time.Second

var networks = []string{"tcp4", "tcp6"}

// forEachNetwork runs test once over IPv4 and once over IPv6 loopback, each
// as a subtest with its own leak check.
func forEachNetwork(t *testing.T, test func(t *testing.T, network string)) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			test(t, network)
		})
	}
}

// start is Start for the tests of this package: the leak check is registered
// first, so that it runs after the peer's and the clients' cleanups.
func start(t *testing.T, network string, steps ...Step) *Peer {
	t.Helper()
	t.Cleanup(leakcheck.Verify(t))
	return Start(t, network, steps...)
}

// dial connects a plain client to the peer; the test's cleanup closes it.
func dial(t *testing.T, p *Peer) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), patience)
	if err != nil {
		t.Fatalf("dial %s: %v", p.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readN reads exactly n bytes or fails the test.
func readN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return b
}

// readToEOF reads until the connection ends and returns what came and the
// error that ended it (nil for a clean EOF, as io.ReadAll reports it).
func readToEOF(t *testing.T, c net.Conn) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	return io.ReadAll(c)
}

func write(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(patience))
	if _, err := c.Write(b); err != nil {
		t.Fatalf("writing %d bytes: %v", len(b), err)
	}
}

// waitDone waits for the first connection's script to end.
func waitDone(t *testing.T, p *Peer) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(patience):
		t.Fatalf("the first connection's script did not finish within %v", patience)
	}
}

// requireNoErr fails the test if the peer hit an unexpected error.
func requireNoErr(t *testing.T, p *Peer) {
	t.Helper()
	if err := p.Err(); err != nil {
		t.Fatalf("peer error: %v", err)
	}
}
