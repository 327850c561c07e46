package bench

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// tlsAllocCalls is how many calls each TLS allocation count is taken over.
const tlsAllocCalls = 1000

// TestTLSHotPathAllocations counts, exactly, the allocations of Send,
// ReceiveInto and ReceiveFrame over TLS in steady state, and says where
// each one is made. The TLS server runs in this process (framesrv behind
// crypto/tls's listener), so the process-wide count (runtime.MemStats's
// Mallocs) holds the server's allocations too; every allocation is
// therefore also recorded with its stack (runtime.MemProfileRate = 1) and
// attributed: to the client when a kafkaio IO method is on its stack, and
// within the client to kafkaio itself or to the library that made it.
//
// kafkaio itself must add nothing on TLS either: 0 allocations per call
// for Send, ReceiveInto and ReceiveFrame into a large-enough buffer, only
// the result for ReceiveFrame into a short one and Receive(n). crypto/tls
// allocates on its own: Go 1.26's Conn.readFromUntil makes a 16-byte
// atLeastReader each time it has to read from the socket, so a receive
// costs at most one of those per socket read of a record header or body;
// the test reports that figure and its place, and bounds it at 2 per call,
// and reports what the same exchange costs crypto/tls over a net.Conn.
func TestTLSHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts include the race detector's under -race; run this test without -race: go test -run TestTLSHotPathAllocations ./internal/bench/")
	}
	t.Cleanup(leakcheck.Verify(t))
	debugOff(t)
	addr := startTLSFramesrv(t)
	host, port := splitAddr(t, addr)
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout, TLS: testcerts.ClientConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, tc := range tlsAllocCases {
		t.Run(tc.name, func(t *testing.T) {
			prepare, call := tc.setup(t, c)
			a := countAllocs(t, tlsAllocCalls, prepare, call)
			t.Logf("%s over TLS: %s", tc.name, a.report(tlsAllocCalls))
			if own := a.per(a.kafkaio, tlsAllocCalls); own != tc.own {
				t.Errorf("%s over TLS: kafkaio itself allocates %v per call, want %v; sites: %v", tc.name, own, tc.own, a.kafkaioSites)
			}
			if lib := a.per(a.library, tlsAllocCalls); lib > 2 {
				t.Errorf("%s over TLS: crypto/tls and the runtime allocate %v per call under kafkaio, want at most 2; sites: %v", tc.name, lib, a.librarySites)
			}
			if a.unattributed > 0 {
				t.Errorf("%s over TLS: %d allocations on no known stack during the calls: %v", tc.name, a.unattributed, a.unknownSites)
			}
		})
	}

	t.Run("crypto/tls over net.Conn, for comparison", func(t *testing.T) {
		conn, err := tls.Dial("tcp4", addr, testcerts.ClientConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := framesrv.NewRequest(smallBytes, smallBytes)
		var prefix [4]byte
		body := make([]byte, bodySize(smallBytes))
		var id int32
		var failed error
		call := func() {
			id++
			framesrv.SetCorrelationID(req, id)
			if _, err := conn.Write(req); err != nil {
				failed = err
				return
			}
			if _, err := io.ReadFull(conn, prefix[:]); err != nil {
				failed = err
				return
			}
			if _, err := io.ReadFull(conn, body[:binary.BigEndian.Uint32(prefix[:])]); err != nil {
				failed = err
			}
		}
		conn.SetDeadline(time.Now().Add(time.Minute))
		a := countAllocs(t, tlsAllocCalls, nil, call)
		checkNoError(t, failed)
		t.Logf("a 64-byte round trip through crypto/tls on a net.Conn: %s", a.report(tlsAllocCalls))
	})
}

// startTLSFramesrv runs framesrv behind a TLS listener in this process.
func startTLSFramesrv(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var srv framesrv.Server
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(ln, testcerts.Server().ServerConfig())) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("framesrv: %v", err)
		}
	})
	return ln.Addr().String()
}

// tlsAllocCase is one kind of call: setup returns what runs before the
// counted calls (nil for nothing) and the call itself.
type tlsAllocCase struct {
	name  string
	own   float64 // kafkaio's own allocations per call
	setup func(t *testing.T, c *kafkaio.IO) (prepare func(n int), call func())
}

var tlsAllocCases = []tlsAllocCase{
	{"Send", 0, func(t *testing.T, c *kafkaio.IO) (func(int), func()) {
		req := framesrv.NewRequest(smallBytes, 0) // send-only
		return nil, func() {
			if _, err := c.Send(req); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"Send then ReceiveFrame", 0, func(t *testing.T, c *kafkaio.IO) (func(int), func()) {
		req := framesrv.NewRequest(smallBytes, smallBytes)
		dst := make([]byte, bodySize(smallBytes))
		var id int32
		return nil, func() {
			id++
			framesrv.SetCorrelationID(req, id)
			if _, err := c.Send(req); err != nil {
				t.Fatal(err)
			}
			body, err := c.ReceiveFrame(background, dst)
			if err == nil {
				err = checkResponse(body, id, len(dst))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"ReceiveInto", 0, tlsReceiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return frame[4:], c.ReceiveInto(background, frame)
	})},
	{"ReceiveFrame into a large-enough buffer", 0, tlsReceiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return c.ReceiveFrame(background, frame)
	})},
	{"ReceiveFrame into a short buffer", 1, tlsReceiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		return c.ReceiveFrame(background, nil)
	})},
	{"Receive(n)", 1, tlsReceiveEach(func(c *kafkaio.IO, frame []byte) ([]byte, error) {
		got, err := c.Receive(len(frame))
		if err != nil {
			return nil, err
		}
		return got[4:], nil
	})},
}

// tlsReceiveEach counts receive, once per response, after the requests
// have been sent (outside the count): the responses, 64 KiB for 1000, wait
// in the socket buffers and in crypto/tls's.
func tlsReceiveEach(receive func(c *kafkaio.IO, frame []byte) ([]byte, error)) func(t *testing.T, c *kafkaio.IO) (func(int), func()) {
	return func(t *testing.T, c *kafkaio.IO) (func(int), func()) {
		req := framesrv.NewRequest(smallBytes, smallBytes)
		frame := make([]byte, smallBytes)
		var next, want int32
		prepare := func(n int) {
			for range n {
				next++
				framesrv.SetCorrelationID(req, next)
				if _, err := c.Send(req); err != nil {
					t.Fatal(err)
				}
			}
		}
		return prepare, func() {
			want++
			body, err := receive(c, frame)
			if err == nil {
				err = checkResponse(body, want, bodySize(smallBytes))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// allocCount is what countAllocs found.
type allocCount struct {
	mallocs                    uint64 // runtime.MemStats.Mallocs over the calls, the whole process
	kafkaio, library, server   int64  // client allocations made by kafkaio's code, by others under it; the server's
	unattributed               int64
	repins                     int64 // the pools' per-P arrays, remade once after the collection
	kafkaioSites, librarySites map[string]int64
	unknownSites               map[string]int64
}

func (a allocCount) per(n int64, calls int) float64 { return float64(n) / float64(calls) }

func (a allocCount) report(calls int) string {
	return fmt.Sprintf("%v allocations per call in the process (MemStats.Mallocs, %d in all); "+
		"under kafkaio: %v by kafkaio itself, %v by libraries %v; %v by the server; %d once by sync.Pool after the collection",
		float64(a.mallocs)/float64(calls), a.mallocs, a.per(a.kafkaio, calls), a.per(a.library, calls), sites(a.librarySites),
		a.per(a.server, calls), a.repins)
}

func sites(m map[string]int64) string {
	var s []string
	for k, v := range m {
		s = append(s, fmt.Sprintf("%d at %s", v, k))
	}
	slices.Sort(s)
	return "[" + strings.Join(s, "; ") + "]"
}

// countAllocs runs prepare(calls) (when set) and one warm-up call, then
// counts the allocations of calls more calls, process-wide and by stack.
//
// The stacks come from the heap profile, which is brought up to date by a
// collection. A collection also moves every sync.Pool's objects into its
// victim cache, from which a Get takes them back without allocating, but
// only on the same P for an object that was a P's private one; so the
// count runs on one P, with exactly one collection between the warm-up and
// the calls. The pools then remake their per-P arrays once, which is
// counted apart (repins), not as the calls'.
func countAllocs(t *testing.T, calls int, prepare func(n int), call func()) allocCount {
	t.Helper()
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	a := allocCount{kafkaioSites: map[string]int64{}, librarySites: map[string]int64{}, unknownSites: map[string]int64{}}
	if prepare != nil {
		prepare(calls + 1)
	}
	call() // warm-up: buffers and pools in place
	before := memProfile()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, gcs := ms.Mallocs, ms.NumGC
	for range calls {
		call()
	}
	runtime.ReadMemStats(&ms)
	a.mallocs = ms.Mallocs - start
	if ms.NumGC != gcs {
		t.Logf("%d collections ran during the calls: the counts include refilling the pools they emptied", ms.NumGC-gcs)
	}
	for stack, n := range memProfile() {
		n -= before[stack]
		if n <= 0 {
			continue
		}
		frames := strings.Split(stack, "\n")
		site := ""
		for _, f := range frames {
			if !strings.HasPrefix(f, "runtime.") {
				site = f
				break
			}
		}
		switch {
		case anyPrefix(frames, "github.com/kafkaio/kafkaio/internal/bench.memProfile"):
			// the profile's own bookkeeping
		case strings.HasPrefix(site, "sync.(*Pool).pinSlow"):
			a.repins += n
		case anyPrefix(frames, "github.com/kafkaio/kafkaio/kafkaio.(*IO)."):
			if strings.HasPrefix(site, "github.com/kafkaio/kafkaio/kafkaio.") {
				a.kafkaio += n
				a.kafkaioSites[site] += n
			} else {
				a.library += n
				a.librarySites[site] += n
			}
		case anyPrefix(frames, "github.com/kafkaio/kafkaio/internal/framesrv."):
			a.server += n
		case anyPrefix(frames, "crypto/tls.(*Conn)."):
			a.library += n // the crypto/tls baseline's client
			a.librarySites[site] += n
		default:
			a.unattributed += n
			a.unknownSites[site] += n
		}
	}
	return a
}

func anyPrefix(frames []string, prefix string) bool {
	for _, f := range frames {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// memProfile returns the allocation counts of every stack so far, each
// stack as its functions, innermost first, one a line, with the line of
// the innermost non-runtime frame ("crypto/tls.(*Conn).readFromUntil
// conn.go:837"). The collector runs first: the profile is complete only
// up to the last cycle that finished.
func memProfile() map[string]int64 {
	runtime.GC() // one: see countAllocs
	var recs []runtime.MemProfileRecord
	for {
		n, _ := runtime.MemProfile(nil, true)
		recs = make([]runtime.MemProfileRecord, n+64)
		if n, ok := runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	out := make(map[string]int64, len(recs))
	for _, r := range recs {
		var b strings.Builder
		frames := runtime.CallersFrames(r.Stack())
		placed := false
		for {
			f, more := frames.Next()
			b.WriteString(f.Function)
			if !placed && !strings.HasPrefix(f.Function, "runtime.") {
				placed = true
				file := f.File[strings.LastIndexByte(f.File, '/')+1:]
				fmt.Fprintf(&b, " %s:%d", file, f.Line)
			}
			b.WriteByte('\n')
			if !more {
				break
			}
		}
		out[b.String()] += r.AllocObjects
	}
	return out
}
