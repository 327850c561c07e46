package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// allocCalls is how many calls each allocation count is taken over. The
// count is exact: the heap allocations of the whole process during those
// calls (runtime.MemStats.Mallocs), which must equal the expected number
// per call times allocCalls. testing.AllocsPerRun divides and rounds down,
// so its "0" would hide a call that allocates once in a few hundred.
const allocCalls = 1000

// TestHotPathAllocations checks, with debugging off, the allocations of each
// call on the hot path: none for Send, ReceiveInto and ReceiveFrame into a
// large-enough buffer, only the result for Receive(n) and ReceiveFrame into
// a short one, and the two of context.AfterFunc for a Send whose context
// can be cancelled. (A receive with such a context arms AfterFunc only when
// it has to wait on the socket, not when the read-ahead buffer serves it,
// so its count depends on how the responses arrive and is not asserted
// here.) It checks them with no logger and
// with a configured logrus logger, and expects the same counts: debugging
// that is off must cost nothing. The server runs in a child process,
// because the count takes in every allocation of the process.
func TestHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts include the race detector's under -race; run this test without -race: go test -run TestHotPathAllocations ./internal/bench/")
	}
	t.Cleanup(leakcheck.Verify(t))
	addr := framesrv.Start(t)
	loggers := []struct {
		name   string
		logger logrus.FieldLogger
	}{
		{"nil logger", nil},
		{"logrus logger", discardLogger()},
	}
	for _, lg := range loggers {
		t.Run(lg.name, func(t *testing.T) {
			debugOff(t)
			host, port := splitAddr(t, addr)
			c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout, Logger: lg.logger})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, ac := range allocCases {
				t.Run(ac.name, func(t *testing.T) {
					total := ac.measure(t, c)
					t.Logf("%s: %d allocations in %d calls", ac.name, total, allocCalls)
					if want := uint64(ac.want) * allocCalls; total != want {
						t.Errorf("%s: %d allocations in %d calls (%.3f per call), want exactly %d per call (%d)",
							ac.name, total, allocCalls, float64(total)/allocCalls, ac.want, want)
					}
				})
			}
		})
	}
}

// hotPathMallocs calls f once to warm up (as testing.AllocsPerRun does), then
// allocCalls times, and returns the heap allocations the process made
// during those calls. Like AllocsPerRun it runs with GOMAXPROCS 1.
func hotPathMallocs(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range allocCalls {
		f()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// debugOff switches kafkaio's debugging off for the test.
func debugOff(t *testing.T) {
	prev := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(0)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(prev) })
}

// allocCase measures the allocations of one kind of call.
type allocCase struct {
	name    string
	want    int // per call
	measure func(t *testing.T, c *kafkaio.IO) uint64
}

// cancellable is a context that can be cancelled and never is: a call
// given one arms context.AfterFunc, which allocates twice.
var cancellable, _ = context.WithCancel(context.Background())

var allocCases = []allocCase{
	{"Send", 0, sendEach(background)},
	{"Send with a cancellable context", 2, sendEach(cancellable)},
	{"Send then ReceiveFrame", 0, func(t *testing.T, c *kafkaio.IO) uint64 {
		req := framesrv.NewRequest(smallBytes, smallBytes)
		dst := make([]byte, bodySize(smallBytes))
		var id int32
		var failed error
		n := hotPathMallocs(func() {
			id++
			framesrv.SetCorrelationID(req, id)
			if _, err := c.Send(req); err != nil {
				failed = err
				return
			}
			body, err := c.ReceiveFrame(background, dst)
			if err == nil {
				err = checkResponse(body, id, len(dst))
			}
			if err != nil && failed == nil {
				failed = err
			}
		})
		checkNoError(t, failed)
		return n
	}},
	{"ReceiveInto", 0, receiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return frame[4:], c.ReceiveInto(background, frame)
	})},
	{"ReceiveFrame into a large-enough buffer", 0, receiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return c.ReceiveFrame(background, frame)
	})},
	{"ReceiveFrame into a short buffer", 1, receiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return c.ReceiveFrame(background, nil)
	})},
	{"Receive(n)", 1, receiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		got, err := c.Receive(len(frame))
		if err != nil {
			return nil, err
		}
		return got[4:], nil
	})},
}

// sendEach measures SendContext with ctx, of a request that gets no
// response, so nothing is left unread.
func sendEach(ctx context.Context) func(t *testing.T, c *kafkaio.IO) uint64 {
	return func(t *testing.T, c *kafkaio.IO) uint64 {
		req := framesrv.NewRequest(smallBytes, 0)
		var failed error
		n := hotPathMallocs(func() {
			if _, err := c.SendContext(ctx, req); err != nil && failed == nil {
				failed = err
			}
		})
		checkNoError(t, failed)
		return n
	}
}

// receiveEach measures receive, called once per response with a buffer the
// size of one whole response frame; it returns the response's body. The
// requests are all sent first, so that only the receives are counted; their
// responses, 64 KiB in all, fit in the socket buffers.
func receiveEach(receive func(c *kafkaio.IO, frame []byte) (body []byte, err error)) func(t *testing.T, c *kafkaio.IO) uint64 {
	return func(t *testing.T, c *kafkaio.IO) uint64 {
		req := framesrv.NewRequest(smallBytes, smallBytes)
		for id := range allocCalls + 1 { // and the warm-up call
			framesrv.SetCorrelationID(req, int32(id))
			if _, err := c.Send(req); err != nil {
				t.Fatal(err)
			}
		}
		frame := make([]byte, smallBytes)
		var id int32
		var failed error
		n := hotPathMallocs(func() {
			body, err := receive(c, frame)
			if err == nil {
				err = checkResponse(body, id, bodySize(smallBytes))
			}
			if err != nil && failed == nil {
				failed = err
			}
			id++
		})
		checkNoError(t, failed)
		return n
	}
}

func checkNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// netConnCalls is how many exchanges each net.Conn allocation count spans:
// enough that one allocation per Read or Write would show as thousands.
const netConnCalls = 10000

// TestNetConnAllocations counts, exactly, the allocations of the net.Conn
// view's Read and Write over many exchanges the way Go Kafka clients make
// them: a Write of the request, Reads until the response is in, with and
// without a deadline set per exchange, in reads smaller than a response
// (served from what the IO read ahead) and in reads larger than the
// read-ahead buffer (straight into the caller's memory). The count is
// runtime.MemStats.Mallocs across all the exchanges, with GOMAXPROCS 1 as
// testing.AllocsPerRun has it, and must be 0: not one allocation per call,
// nor any per exchange.
func TestNetConnAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts include the race detector's under -race; run this test without -race: go test -run TestNetConnAllocations ./internal/bench/")
	}
	t.Cleanup(leakcheck.Verify(t))
	addr := framesrv.Start(t)
	debugOff(t)
	cases := []struct {
		name     string
		deadline bool // SetDeadline before each exchange, as sarama and kafka-go do
		readSize int  // the buffer of each Read
	}{
		{"Write then Reads of a whole response", false, smallBytes},
		{"SetDeadline, Write, Reads", true, smallBytes},
		{"Reads of 8 bytes, from the read-ahead buffer", false, 8},
		{"Reads into 32 KiB, past the read-ahead buffer", true, 32 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host, port := splitAddr(t, addr)
			c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			nc := c.NetConn()
			req := framesrv.NewRequest(smallBytes, smallBytes)
			resp := make([]byte, smallBytes)
			buf := make([]byte, tc.readSize)
			var id int32
			var reads, writes int
			exchange := func() error {
				id++
				framesrv.SetCorrelationID(req, id)
				if tc.deadline {
					if err := nc.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
						return err
					}
				}
				if _, err := nc.Write(req); err != nil {
					return err
				}
				writes++
				for got := 0; got < len(resp); {
					n, err := nc.Read(buf[:min(len(buf), len(resp)-got)])
					if err != nil {
						return err
					}
					reads++
					got += copy(resp[got:], buf[:n])
				}
				return checkResponse(resp[4:], id, bodySize(smallBytes))
			}
			for range 100 { // warm up: pools, timers, the poller
				if err := exchange(); err != nil {
					t.Fatal(err)
				}
			}
			mallocs, err := countMallocs(netConnCalls, exchange, func() { reads, writes = 0, 0 })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d exchanges, %d Writes and %d Reads: %d allocations", netConnCalls, writes, reads, mallocs)
			if mallocs != 0 {
				t.Errorf("%d allocations over %d Writes and %d Reads, want 0", mallocs, writes, reads)
			}
		})
	}
}

// countMallocs runs fn n times with GOMAXPROCS 1 and returns how many heap
// allocations the process made meanwhile, stopping at fn's first error.
// Like testing.AllocsPerRun it calls fn once first, uncounted, after
// changing GOMAXPROCS: the change empties every sync.Pool (their caches
// are per P), and what kafkaio keeps in pools would otherwise be made
// again, once, inside the count. begin runs just before the count starts.
func countMallocs(n int, fn func() error, begin func()) (uint64, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if err := fn(); err != nil {
		return 0, err
	}
	begin()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if err := fn(); err != nil {
			return 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, nil
}
