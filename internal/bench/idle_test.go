package bench

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// idleConns is how many connections TestIdleConnectionHeap opens of each
// kind (IDLE_CONNS overrides it): enough that per-connection figures are
// not lost in the heap's noise.
func idleConns(tb testing.TB) int {
	if s := os.Getenv("IDLE_CONNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("IDLE_CONNS=%q is not a positive number", s)
		}
		return n
	}
	return 10000
}

// idleHeapLimit is the target: an idle kafkaio connection may take at most
// this much of a plain net.Conn's heap.
const idleHeapLimit = 1.25

// TestIdleConnectionHeap measures the heap an idle connection keeps, after
// a GC, for kafkaio.New and for net.Dial against the same frame server in
// another process (so that none of the server's memory is counted), and
// holds kafkaio to idleHeapLimit times net.Conn's. kafkaio is measured
// twice, as is net.Conn: fresh, and after one round trip on every
// connection, the baseline with the deadline its client sets (both then
// keep their deadline timers in the runtime's timer heap), kafkaio with
// nothing else left behind: the read buffer goes back to its pool when a
// receive drains it. This is a memory figure, not a timing one.
func TestIdleConnectionHeap(t *testing.T) {
	raiseFileLimit(t)
	n := idleConns(t)
	addr := framesrv.Start(t)
	host, port := splitAddr(t, addr)
	req := framesrv.NewRequest(64, 64)

	conns := make([]net.Conn, 0, n)
	netconn := perConnHeap(t, n, func() (io.Closer, error) {
		c, err := net.Dial("tcp4", addr)
		if err == nil {
			conns = append(conns, c)
		}
		return c, err
	}, func() {
		// The baseline client's exchange (clients_test.go): a deadline,
		// a write, a read of the size and of the body.
		for i, c := range conns {
			framesrv.SetCorrelationID(req, int32(i))
			nc := &netconnClient{conn: c, want: bodySize(64), buf: make([]byte, 64)}
			if err := nc.roundTrip(req, int32(i)); err != nil {
				t.Fatal(err)
			}
		}
	})
	ios := make([]*kafkaio.IO, 0, n)
	kio := perConnHeap(t, n, func() (io.Closer, error) {
		c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout})
		if err != nil {
			return nil, err
		}
		ios = append(ios, c)
		return c, nil
	}, func() {
		// Whatever a receive took must be back: the read buffer goes to
		// its pool when a receive drains it.
		buf := make([]byte, 64)
		for i, c := range ios {
			framesrv.SetCorrelationID(req, int32(i))
			if _, err := c.Send(req); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReceiveFrame(background, buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Logf("heap per idle connection, %d connections: fresh: net.Conn %.0f B, kafkaio %.0f B (%.2fx); "+
		"after one round trip each: net.Conn %.0f B, kafkaio %.0f B (%.2fx)",
		n, netconn.fresh, kio.fresh, kio.fresh/netconn.fresh, netconn.used, kio.used, kio.used/netconn.used)
	if kio.fresh > idleHeapLimit*netconn.fresh {
		t.Errorf("fresh: kafkaio holds %.0f B per idle connection, over %.2f x net.Conn's %.0f B", kio.fresh, idleHeapLimit, netconn.fresh)
	}
	if kio.used > idleHeapLimit*netconn.used {
		t.Errorf("after a round trip: kafkaio holds %.0f B per idle connection, over %.2f x net.Conn's %.0f B", kio.used, idleHeapLimit, netconn.used)
	}
}

// connHeap is the heap per connection, fresh and after use.
type connHeap struct{ fresh, used float64 }

// perConnHeap opens n connections with open and returns the heap they
// hold per connection after a GC; then, if use is given, runs it and
// measures again; then closes them all.
func perConnHeap(t *testing.T, n int, open func() (io.Closer, error), use func()) connHeap {
	t.Helper()
	closers := make([]io.Closer, 0, n)
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	base := heapAfterGC()
	for range n {
		c, err := open()
		if err != nil {
			t.Fatalf("connection %d: %v", len(closers)+1, err)
		}
		closers = append(closers, c)
	}
	h := connHeap{fresh: float64(heapAfterGC()-base) / float64(n)}
	if use != nil {
		use()
		h.used = float64(heapAfterGC()-base) / float64(n)
	}
	return h
}

// heapAfterGC is the live heap once two collections have run (the second
// frees what the first's finalizers and cleanups released).
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// test holds one descriptor per connection.
func raiseFileLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(fmt.Errorf("raise the open-file limit: %w", err))
	}
}
