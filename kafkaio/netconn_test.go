package kafkaio_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// The net.Conn view (IO.NetConn) against loopback peers: net.Conn's
// contract, not the IO's call budget.

// viewTimeout is the IO's own call budget in these tests: long enough that
// no view call can have been ended by it by mistake, except where a test
// sets it short on purpose.
const viewTimeout = 30 * time.Second

// viewSettle bounds the waits for something that happens at once: a
// generous bound for a loaded machine, never a measure of speed.
const viewSettle = 5 * time.Second

// view opens an IO to p and returns it with its net.Conn view.
func view(t *testing.T, p *testpeer.Peer, cfg kafkaio.Config) (*kafkaio.IO, net.Conn) {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = viewTimeout
	}
	c := connect(t, p, cfg)
	return c, c.NetConn()
}

// readResult is what a Read in another goroutine returned, and when.
type readResult struct {
	data []byte
	err  error
	at   time.Time
}

// readAsync starts a Read of up to n bytes in its own goroutine.
func readAsync(nc net.Conn, n int) <-chan readResult {
	done := make(chan readResult, 1)
	go func() {
		buf := make([]byte, n)
		k, err := nc.Read(buf)
		done <- readResult{data: buf[:k], err: err, at: time.Now()}
	}()
	return done
}

// awaitRead waits for a Read started by readAsync, failing t if it takes
// longer than limit.
func awaitRead(t *testing.T, done <-chan readResult, limit time.Duration) readResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		t.Fatalf("Read still waiting after %v", limit)
		return readResult{}
	}
}

// awaitParkedRead waits until some goroutine is parked in the poller inside
// the view's Read, so that what the test does next reaches a Read that is
// already waiting, not one about to start.
func awaitParkedRead(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(viewSettle)
	for time.Now().Before(deadline) {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		for g := range strings.SplitSeq(stacks, "\n\n") {
			if strings.Contains(g, "[IO wait") && strings.Contains(g, "kafkaio.(*netConn).Read(") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no Read of the view parked in the poller")
}

// wantTimeout fails t unless err is the view's deadline error for op.
func wantTimeout(t *testing.T, err error, code kafkaerr.Code, op string) {
	t.Helper()
	e := wantErr(t, err, code)
	if e.Op != op {
		t.Errorf("Op = %q, want %q", e.Op, op)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v: not a net.Error with Timeout() true", err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v: os.ErrDeadlineExceeded and context.DeadlineExceeded not both in the chain", err)
	}
}

// wantViewClosed fails t unless every call of the view fails as on a
// closed IO: NoConnection with net.ErrClosed, naming the closed socket.
func wantViewClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	buf := make([]byte, 8)
	_, rerr := nc.Read(buf)
	_, werr := nc.Write([]byte("x"))
	for _, err := range []error{rerr, werr} {
		wantErr(t, err, kafkaerr.NoConnection)
		if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "closed socket") {
			t.Errorf("a call on the closed view: %v, want net.ErrClosed and \"closed socket\"", err)
		}
	}
	if err := nc.SetDeadline(time.Now().Add(time.Second)); !errors.Is(err, kafkaerr.NoConnection) {
		t.Errorf("SetDeadline on the closed view = %v, want NoConnection", err)
	}
}

func TestNetConnReadReturnsWhatIsThere(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4",
		testpeer.Write([]byte("hello")), testpeer.Read(1),
		testpeer.Write([]byte("world!")), testpeer.Read(1),
		testpeer.Write([]byte("ok")), testpeer.Stall())
	_, nc := view(t, p, kafkaio.Config{})

	// A Read asks for far more than is there and returns what is, while
	// the peer sends nothing more: it does not wait for len(p).
	collect := func(want string, size int) {
		t.Helper()
		var got []byte
		for len(got) < len(want) {
			buf := make([]byte, size)
			n, err := nc.Read(buf)
			if err != nil {
				t.Fatalf("Read after %q: %v", got, err)
			}
			if n < 1 || n > size {
				t.Fatalf("Read(%d bytes) = %d", size, n)
			}
			got = append(got, buf[:n]...)
		}
		if string(got) != want {
			t.Fatalf("Reads gave %q, want %q", got, want)
		}
	}
	collect("hello", 100)
	if _, err := nc.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	// Short buffers: the rest of what arrived comes from what the IO read
	// ahead, in order, a buffer's worth at a time.
	collect("world!", 2)
	if _, err := nc.Write([]byte{2}); err != nil {
		t.Fatal(err)
	}
	// A buffer larger than the read-ahead buffer is read into directly.
	collect("ok", 64<<10)
}

func TestNetConnWriteWritesAll(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	// A small receive buffer and a slow reader make the kernel take the
	// write in many pieces.
	p := testpeer.Start(t, "tcp4", testpeer.SetRecvBuffer(4096), testpeer.Discard())
	c, nc := view(t, p, kafkaio.Config{SendBufferBytes: 4096})
	payload := testpeer.Pattern(4 << 20)
	n, err := nc.Write(payload)
	if err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(payload))
	}
	c.Close()
	select {
	case <-p.Done():
	case <-time.After(viewSettle):
		t.Fatal("the peer did not see the end of the stream")
	}
	if got := p.Received(); !bytes.Equal(got, payload) {
		t.Fatalf("the peer received %d bytes, not the %d written", len(got), len(payload))
	}
}

func TestNetConnDeadlines(t *testing.T) {
	t.Run("absolute", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		c, nc := view(t, p, kafkaio.Config{})
		start := time.Now()
		if err := nc.SetReadDeadline(start.Add(150 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		_, err := nc.Read(make([]byte, 10))
		within(t, "Read with a deadline 150ms ahead", time.Since(start), 140*time.Millisecond, viewSettle)
		wantTimeout(t, err, kafkaerr.CannotRecv, "read")
		wantClosed(t, c)
	})
	t.Run("zero is none, whatever the IO's timeout", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Sleep(400*time.Millisecond), testpeer.Write([]byte("late")), testpeer.Stall())
		_, nc := view(t, p, kafkaio.Config{Timeout: 50 * time.Millisecond})
		if err := nc.SetDeadline(time.Now().Add(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if err := nc.SetDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		n, err := nc.Read(buf)
		if err != nil || string(buf[:n]) != "late" {
			t.Fatalf("Read = %q, %v; want \"late\" after 400ms with no deadline", buf[:n], err)
		}
	})
	t.Run("past", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		_, rc := view(t, p, kafkaio.Config{})
		_, wc := view(t, p, kafkaio.Config{})
		past := time.Now().Add(-time.Second)
		if err := rc.SetReadDeadline(past); err != nil {
			t.Fatal(err)
		}
		if err := wc.SetWriteDeadline(past); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := rc.Read(make([]byte, 1))
		wantTimeout(t, err, kafkaerr.CannotRecv, "read")
		n, err := wc.Write([]byte("x"))
		wantTimeout(t, err, kafkaerr.CannotSend, "write")
		if n != 0 {
			t.Errorf("Write past its deadline wrote %d bytes", n)
		}
		within(t, "Read and Write past their deadlines", time.Since(start), 0, viewSettle)
	})
	t.Run("shortened while a Read waits", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		_, nc := view(t, p, kafkaio.Config{})
		done := readAsync(nc, 10) // no deadline at all
		awaitParkedRead(t)
		set := time.Now()
		if err := nc.SetReadDeadline(set.Add(100 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		r := awaitRead(t, done, viewSettle)
		within(t, "a waiting Read after its deadline was set 100ms ahead", r.at.Sub(set), 90*time.Millisecond, viewSettle)
		wantTimeout(t, r.err, kafkaerr.CannotRecv, "read")
	})
	t.Run("extended while a Read waits", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		_, nc := view(t, p, kafkaio.Config{})
		start := time.Now()
		if err := nc.SetReadDeadline(start.Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		done := readAsync(nc, 10)
		awaitParkedRead(t)
		if err := nc.SetReadDeadline(start.Add(700 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		r := awaitRead(t, done, viewSettle)
		within(t, "a Read whose 200ms deadline was moved to 700ms", r.at.Sub(start), 690*time.Millisecond, viewSettle)
		wantTimeout(t, r.err, kafkaerr.CannotRecv, "read")
	})
	t.Run("cleared while a Read waits", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Sleep(600*time.Millisecond), testpeer.Write([]byte("ok")), testpeer.Stall())
		_, nc := view(t, p, kafkaio.Config{})
		if err := nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		done := readAsync(nc, 10)
		awaitParkedRead(t)
		if err := nc.SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		r := awaitRead(t, done, viewSettle)
		if r.err != nil || string(r.data) != "ok" {
			t.Fatalf("Read = %q, %v; want \"ok\": its deadline was cleared", r.data, r.err)
		}
	})
	t.Run("set while a Write waits", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.SetRecvBuffer(4096), testpeer.Stall())
		c, nc := view(t, p, kafkaio.Config{SendBufferBytes: 4096})
		payload := testpeer.Pattern(8 << 20) // far more than both buffers hold
		type result struct {
			n   int
			err error
			at  time.Time
		}
		done := make(chan result, 1)
		go func() {
			n, err := nc.Write(payload)
			done <- result{n, err, time.Now()}
		}()
		time.Sleep(100 * time.Millisecond) // the buffers fill in microseconds
		set := time.Now()
		if err := nc.SetWriteDeadline(set.Add(100 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		var r result
		select {
		case r = <-done:
		case <-time.After(viewSettle):
			t.Fatal("Write still waiting after its deadline")
		}
		within(t, "a waiting Write after its deadline was set 100ms ahead", r.at.Sub(set), 90*time.Millisecond, viewSettle)
		wantTimeout(t, r.err, kafkaerr.CannotSend, "write")
		if r.n <= 0 || r.n >= len(payload) {
			t.Errorf("Write cut short wrote %d of %d bytes, want some but not all", r.n, len(payload))
		}
		if e := wantErr(t, r.err, kafkaerr.CannotSend); e.Done != r.n || e.Total != len(payload) {
			t.Errorf("error says %d of %d bytes; Write returned %d of %d", e.Done, e.Total, r.n, len(payload))
		}
		wantClosed(t, c)
	})
	// A deadline set from another goroutine just as a Read starts must
	// reach that Read, whichever of the two gets to the socket first: a
	// client that cancels by moving the deadline into the past (kafka-go
	// does) would otherwise leave the Read waiting for ever.
	t.Run("set while a Read starts", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		for i := range 300 {
			c, nc := view(t, p, kafkaio.Config{})
			done := readAsync(nc, 1)
			if i%2 == 1 {
				runtime.Gosched()
			}
			if err := nc.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-done:
				wantTimeout(t, r.err, kafkaerr.CannotRecv, "read")
			case <-time.After(viewSettle):
				c.Close()
				<-done
				t.Fatalf("round %d: a Read kept waiting although its deadline was set in the past as it started", i)
			}
			c.Close()
		}
	})
}

func TestNetConnAddresses(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, network, testpeer.Stall())
			c, nc := view(t, p, kafkaio.Config{})
			la, ok := nc.LocalAddr().(*net.TCPAddr)
			if !ok {
				t.Fatalf("LocalAddr is %T, want *net.TCPAddr", nc.LocalAddr())
			}
			ra, ok := nc.RemoteAddr().(*net.TCPAddr)
			if !ok {
				t.Fatalf("RemoteAddr is %T, want *net.TCPAddr", nc.RemoteAddr())
			}
			if ra.String() != p.Addr() || ra.Port != p.Port() || !ra.IP.Equal(net.ParseIP(p.Host())) {
				t.Errorf("RemoteAddr = %v, want %s", ra, p.Addr())
			}
			if la.String() != c.LocalAddr() || la.Port == 0 || !la.IP.Equal(net.ParseIP(p.Host())) {
				t.Errorf("LocalAddr = %v, want %s on %s", la, c.LocalAddr(), p.Host())
			}
			if ra.Network() != "tcp" || la.Network() != "tcp" {
				t.Errorf("networks %q and %q, want tcp", la.Network(), ra.Network())
			}
		})
	}
}

func TestNetConnErrors(t *testing.T) {
	t.Run("end of stream", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Write([]byte("abc")), testpeer.Close())
		c, nc := view(t, p, kafkaio.Config{})
		got, err := io.ReadAll(nc) // ReadAll stops only at io.EOF itself
		if string(got) != "abc" {
			t.Fatalf("read %q before the end, want \"abc\"", got)
		}
		if !errors.Is(err, io.EOF) {
			t.Fatalf("the end of the stream: %v, want io.EOF in the chain", err)
		}
		e := wantErr(t, err, kafkaerr.NoConnection)
		if e.Op != "read" || e.Timeout() {
			t.Errorf("end of stream: Op %q, Timeout %v; want \"read\", false", e.Op, e.Timeout())
		}
		wantClosed(t, c)
		wantViewClosed(t, nc)
	})
	t.Run("reset", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Read(1), testpeer.Reset())
		_, nc := view(t, p, kafkaio.Config{})
		if _, err := nc.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		_, err := nc.Read(make([]byte, 8))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read from a reset connection: %v, want ECONNRESET in the chain", err)
		}
		wantErr(t, err, kafkaerr.NoConnection)
		wantViewClosed(t, nc)
	})
	t.Run("write to a reset connection", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Read(1), testpeer.Reset())
		c, nc := view(t, p, kafkaio.Config{})
		if _, err := nc.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		faultAwaitPeerGone(t, c, p)
		var err error
		for range 100 { // the first write may still go out before the RST lands
			if _, err = nc.Write(testpeer.Pattern(1 << 10)); err != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err == nil {
			t.Fatal("every Write to a reset connection succeeded")
		}
		var e *kafkaerr.Error
		if !errors.As(err, &e) || e.Op != "write" || (e.Code != kafkaerr.NoConnection && e.Code != kafkaerr.CannotSend) {
			t.Fatalf("Write to a reset connection: %v, want NoConnection or CannotSend from \"write\"", err)
		}
		wantViewClosed(t, nc)
	})
	t.Run("Close unblocks a waiting Read", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		c, nc := view(t, p, kafkaio.Config{})
		done := readAsync(nc, 10)
		awaitParkedRead(t)
		if err := nc.Close(); err != nil {
			t.Fatal(err)
		}
		r := awaitRead(t, done, viewSettle)
		wantErr(t, r.err, kafkaerr.NoConnection)
		if !errors.Is(r.err, net.ErrClosed) {
			t.Errorf("Read ended by Close: %v, want net.ErrClosed in the chain", r.err)
		}
		if c.IsAlive() {
			t.Error("the IO is alive after the view's Close")
		}
		wantViewClosed(t, nc)
	})
	t.Run("empty buffers", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		c, nc := view(t, p, kafkaio.Config{})
		if n, err := nc.Read(nil); n != 0 || err != nil {
			t.Errorf("Read(nil) = %d, %v; want 0, nil", n, err)
		}
		if n, err := nc.Write(nil); n != 0 || err != nil {
			t.Errorf("Write(nil) = %d, %v; want 0, nil", n, err)
		}
		if !c.IsAlive() {
			t.Error("empty Read and Write closed the IO")
		}
	})
}

// Every chunk the view moves is dumped at level 2, in order, and exactly
// the bytes moved: a frame written in three pieces and read back in
// pieces of five bytes.
func TestNetConnDumpsEveryChunk(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	old := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(2)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(old) })
	out := &syncBuffer{}
	logger := logrus.New()
	logger.Out = out
	logger.Formatter = kafkadebug.Formatter{}

	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	c, nc := view(t, p, kafkaio.Config{Logger: logger})
	// ApiVersions v0, correlation id 7, client id "view-test".
	req := frame(append([]byte{0, 18, 0, 0, 0, 0, 0, 7, 0, 9}, "view-test"...))
	pieces := [][]byte{req[:3], req[3:11], req[11:]}
	for _, piece := range pieces {
		if _, err := nc.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	var back []byte
	reads := 0
	for len(back) < len(req) {
		buf := make([]byte, 5)
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		back = append(back, buf[:n]...)
	}
	if !bytes.Equal(back, req) {
		t.Fatalf("echo = % x, want % x", back, req)
	}
	c.Close()

	sent, received := dumpedChunks(t, out.String())
	if len(sent) != len(pieces) {
		t.Errorf("%d request dumps, want one per Write (%d)", len(sent), len(pieces))
	}
	for i := range min(len(sent), len(pieces)) {
		if !bytes.Equal(sent[i], pieces[i]) {
			t.Errorf("request dump %d = % x, want % x", i, sent[i], pieces[i])
		}
	}
	if len(received) != reads {
		t.Errorf("%d response dumps, want one per Read (%d)", len(received), reads)
	}
	if all := bytes.Join(received, nil); !bytes.Equal(all, req) {
		t.Errorf("response dumps hold % x, want % x", all, req)
	}
}

// dumpedChunks reads the hex streams of a level-2 log, by direction.
func dumpedChunks(t *testing.T, log string) (sent, received [][]byte) {
	t.Helper()
	var dir *[][]byte
	for line := range strings.SplitSeq(log, "\n") {
		switch {
		case strings.Contains(line, kafkadebug.RequestPrefix):
			dir = &sent
		case strings.Contains(line, kafkadebug.ResponsePrefix):
			dir = &received
		case strings.Contains(line, kafkadebug.HexStreamPrefix):
			if dir == nil {
				t.Fatalf("a hex stream with no dump header: %q", line)
			}
			_, stream, _ := strings.Cut(line, kafkadebug.HexStreamPrefix)
			b, err := hex.DecodeString(strings.TrimSpace(stream))
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			*dir = append(*dir, b)
			dir = nil
		}
	}
	return sent, received
}
