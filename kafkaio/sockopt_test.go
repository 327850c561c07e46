package kafkaio

// Socket options read back from the kernel: what setOptions asked for is
// only true if getsockopt says so on the connected socket. The fd is reached
// through the IO's syscall.RawConn, as the IO itself does; Fd() is never
// called (it would switch the socket to blocking mode).

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"golang.org/x/sys/unix"
)

// sockopt is one option as getsockopt reads it.
type sockopt struct {
	name       string
	level, key int
}

var (
	optNoDelay   = sockopt{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY}
	optKeepAlive = sockopt{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE}
	optKeepIdle  = sockopt{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}
	optKeepIntvl = sockopt{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}
	optSndBuf    = sockopt{"SO_SNDBUF", unix.SOL_SOCKET, unix.SO_SNDBUF}
	optRcvBuf    = sockopt{"SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF}
)

func TestSocketOptionsAsTheKernelHasThem(t *testing.T) {
	// Linux stores twice the buffer size asked for (the other half is its
	// bookkeeping), after capping the request at net.core.[wr]mem_max.
	sndBuf := 2 * min(48<<10, sysctlInt(t, "/proc/sys/net/core/wmem_max"))
	rcvBuf := 2 * min(96<<10, sysctlInt(t, "/proc/sys/net/core/rmem_max"))
	defaultKeep := int(DefaultKeepAlive / time.Second)
	for _, tc := range []struct {
		name string
		cfg  Config
		want map[sockopt]int
	}{
		{"defaults", Config{}, map[sockopt]int{
			optNoDelay: 1, optKeepAlive: 1, optKeepIdle: defaultKeep, optKeepIntvl: defaultKeep}},
		{"DisableNoDelay", Config{DisableNoDelay: true}, map[sockopt]int{
			optNoDelay: 0, optKeepAlive: 1}},
		{"KeepAlive 3s", Config{KeepAlive: 3 * time.Second}, map[sockopt]int{
			optNoDelay: 1, optKeepAlive: 1, optKeepIdle: 3, optKeepIntvl: 3}},
		{"KeepAlive 1.5s rounds up to 2s", Config{KeepAlive: 1500 * time.Millisecond}, map[sockopt]int{
			optKeepAlive: 1, optKeepIdle: 2, optKeepIntvl: 2}},
		{"KeepAlive negative turns it off", Config{KeepAlive: -1}, map[sockopt]int{
			optNoDelay: 1, optKeepAlive: 0}},
		{"buffer sizes", Config{SendBufferBytes: 48 << 10, RecvBufferBytes: 96 << 10}, map[sockopt]int{
			optNoDelay: 1, optKeepAlive: 1, optSndBuf: sndBuf, optRcvBuf: rcvBuf}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4")
			cfg := tc.cfg
			cfg.Host, cfg.Port = p.Host(), p.Port()
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for opt, want := range tc.want {
				if got := getsockopt(t, c, opt); got != want {
					t.Errorf("%s = %d, want %d", opt.name, got, want)
				}
			}
		})
	}
}

// TestUnsetBuffersKeepTheKernelsDefault checks the other side of the
// buffer options: with 0 nothing is set, so the sizes are what a socket
// gets without asking (tcp_wmem and tcp_rmem's defaults, which autotuning
// may grow later but a set size would pin).
func TestUnsetBuffersKeepTheKernelsDefault(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4")
	c, err := New(Config{Host: p.Host(), Port: p.Port(), SendBufferBytes: 0, RecvBufferBytes: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pinned, err := New(Config{Host: p.Host(), Port: p.Port(), SendBufferBytes: 4 << 10, RecvBufferBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	for _, opt := range []sockopt{optSndBuf, optRcvBuf} {
		if got, small := getsockopt(t, c, opt), getsockopt(t, pinned, opt); got <= small {
			t.Errorf("%s = %d with nothing set, no more than the %d of a socket set to 4 KiB", opt.name, got, small)
		}
	}
}

// getsockopt reads opt on the IO's socket.
func getsockopt(t *testing.T, c *IO, opt sockopt) int {
	t.Helper()
	var v int
	var gerr error
	if err := c.rc.Control(func(fd uintptr) {
		v, gerr = unix.GetsockoptInt(int(fd), opt.level, opt.key)
	}); err != nil {
		t.Fatalf("Control: %v", err)
	}
	if gerr != nil {
		t.Fatalf("getsockopt %s: %v", opt.name, gerr)
	}
	return v
}

// sysctlInt reads an integer from /proc/sys.
func sysctlInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}
