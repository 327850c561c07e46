package kafkaio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// connect opens an IO to p with cfg's other fields, closing it at cleanup.
func connect(t *testing.T, p *testpeer.Peer, cfg kafkaio.Config) *kafkaio.IO {
	t.Helper()
	cfg.Host, cfg.Port = p.Host(), p.Port()
	c, err := kafkaio.New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", p.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// frame returns body with its int32 size prefix.
func frame(body []byte) []byte {
	f := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(f, uint32(len(body)))
	copy(f[4:], body)
	return f
}

// wantErr fails t unless err is a *kafkaerr.Error with code.
func wantErr(t *testing.T, err error, code kafkaerr.Code) *kafkaerr.Error {
	t.Helper()
	var ke *kafkaerr.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error = %v (%T), want a *kafkaerr.Error with code %d", err, err, code)
	}
	if ke.Code != code {
		t.Fatalf("code = %d (%v), want %d (%v); error: %v", ke.Code, ke.Code, code, code, err)
	}
	return ke
}

// within fails t unless d lies in [lo, hi].
func within(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s took %v, want between %v and %v", what, d, lo, hi)
	}
}

// wantClosed fails t unless c reports itself closed and refuses work.
func wantClosed(t *testing.T, c *kafkaio.IO) {
	t.Helper()
	if c.IsAlive() {
		t.Error("IsAlive() = true on an IO that should be closed")
	}
	_, err := c.Send([]byte("x"))
	e := wantErr(t, err, kafkaerr.NoConnection)
	if !errors.Is(err, net.ErrClosed) || !strings.Contains(e.Error(), "attempt to work with a closed socket") {
		t.Errorf("send on a closed IO: %v", err)
	}
}

func TestRoundTripReusesTheCallersBuffer(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	c := connect(t, p, kafkaio.Config{})

	req := frame([]byte("correlation-1 and a body"))
	if n, err := c.Send(req); err != nil || n != len(req) {
		t.Fatalf("Send = %d, %v; want %d, nil", n, err, len(req))
	}
	dst := make([]byte, 0, 1024)
	body, err := c.ReceiveFrame(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, req[4:]) {
		t.Errorf("body = %q, want %q", body, req[4:])
	}
	if &body[0] != &dst[:1][0] {
		t.Error("ReceiveFrame allocated although dst was large enough")
	}
	if !c.IsAlive() {
		t.Error("IsAlive() = false after a good exchange")
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v (Close must be idempotent)", err)
	}
	wantClosed(t, c)
}

func TestReceiveNeverReadsPastWhatWasAsked(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	two := append(frame([]byte("first")), frame([]byte("second!"))...)
	p := testpeer.Start(t, "tcp4", testpeer.Write(two))
	c := connect(t, p, kafkaio.Config{})

	size, err := c.Receive(4)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint32(size); n != 5 {
		t.Fatalf("first size = %d, want 5", n)
	}
	body := make([]byte, 5)
	if err := c.ReceiveInto(context.Background(), body); err != nil || string(body) != "first" {
		t.Fatalf("ReceiveInto = %q, %v", body, err)
	}
	next, err := c.ReceiveFrame(context.Background(), nil)
	if err != nil || string(next) != "second!" {
		t.Fatalf("the next frame = %q, %v: bytes of it were consumed by the earlier calls", next, err)
	}
}

func TestIPv6LiteralForms(t *testing.T) {
	for _, host := range []string{"::1", "[::1]", "::1%lo", "[::1%1]"} {
		t.Run(host, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp6", testpeer.EchoFrames())
			c, err := kafkaio.New(kafkaio.Config{Host: host, Port: p.Port(), IPVersion: kafkaio.IPv6})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !strings.HasPrefix(c.Addr(), "[::1") {
				t.Errorf("Addr() = %q, want the IPv6 host in brackets", c.Addr())
			}
			if _, err := c.Send(frame([]byte("over IPv6"))); err != nil {
				t.Fatal(err)
			}
			if body, err := c.ReceiveFrame(context.Background(), nil); err != nil || string(body) != "over IPv6" {
				t.Fatalf("ReceiveFrame = %q, %v", body, err)
			}
		})
	}
}

func TestIncompatibleLiteralIsItsOwnCode(t *testing.T) {
	cases := []struct {
		host    string
		version kafkaio.IPVersion
	}{
		{"127.0.0.1", kafkaio.IPv6},
		{"::1", kafkaio.IPv4},
		{"[::1]", kafkaio.IPv4},
	}
	for _, tc := range cases {
		_, err := kafkaio.New(kafkaio.Config{Host: tc.host, IPVersion: tc.version})
		wantErr(t, err, kafkaerr.IncompatibleHostIPVersion)
		if errors.Is(err, kafkaerr.CannotBind) {
			t.Errorf("%s with %v: the error is also CannotBind; it must not be wrapped", tc.host, tc.version)
		}
	}
}

func TestRefusedConnectKeepsTheErrno(t *testing.T) {
	port := testpeer.RefusedPort(t, "tcp4")
	_, err := kafkaio.New(kafkaio.Config{Host: "127.0.0.1", Port: port})
	e := wantErr(t, err, kafkaerr.CannotBind)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("the errno is not in the chain: %v", err)
	}
	if e.Phase != "connect" || e.Timeout() {
		t.Errorf("phase %q, timeout %v; want connect, false", e.Phase, e.Timeout())
	}
}

func TestConnectTimeoutOnAFullBacklog(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	host, port := testpeer.FullBacklog(t, "tcp4")
	start := time.Now()
	_, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: 300 * time.Millisecond})
	within(t, "New against a full backlog", time.Since(start), 290*time.Millisecond, time.Second)
	e := wantErr(t, err, kafkaerr.CannotBind)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) || !e.Timeout() {
		t.Errorf("a connect timeout must match both deadline sentinels: %v", err)
	}
}

func TestWholeCallDeadlineAgainstADribblingPeer(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Dribble(bytes.Repeat([]byte{'x'}, 100), 50*time.Millisecond))
	c := connect(t, p, kafkaio.Config{Timeout: 400 * time.Millisecond})

	start := time.Now()
	_, err := c.Receive(100) // would take 5 s at one byte per 50 ms
	within(t, "Receive from a dribbling peer", time.Since(start), 390*time.Millisecond, 1200*time.Millisecond)
	e := wantErr(t, err, kafkaerr.CannotRecv)
	if !e.Timeout() || e.Done == 0 || e.Done >= 100 || e.Total != 100 {
		t.Errorf("want a timeout after some but not all bytes: %v", err)
	}
	wantClosed(t, c)
}

func TestContextDeadlineOverridesTheTimeout(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	t.Run("shorter", func(t *testing.T) {
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		c := connect(t, p, kafkaio.Config{Timeout: 10 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.ReceiveContext(ctx, 4)
		within(t, "Receive with a 200ms context", time.Since(start), 190*time.Millisecond, time.Second)
		e := wantErr(t, err, kafkaerr.CannotRecv)
		if !errors.Is(err, context.DeadlineExceeded) || e.Budget > 250*time.Millisecond {
			t.Errorf("want a timeout with the context's budget: %v", err)
		}
	})
	t.Run("longer", func(t *testing.T) {
		p := testpeer.Start(t, "tcp4", testpeer.Sleep(400*time.Millisecond), testpeer.WriteFrame([]byte("late")))
		c := connect(t, p, kafkaio.Config{Timeout: 100 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		body, err := c.ReceiveFrame(ctx, nil)
		if err != nil || string(body) != "late" {
			t.Fatalf("a context deadline past the IO's timeout must win: %q, %v", body, err)
		}
	})
}

func TestCancelAbortsAWaitPromptly(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Stall())
	c := connect(t, p, kafkaio.Config{Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ReceiveContext(ctx, 4)
	within(t, "cancelled Receive", time.Since(start), 90*time.Millisecond, time.Second)
	e := wantErr(t, err, kafkaerr.CannotRecv)
	if !errors.Is(err, context.Canceled) || e.Timeout() {
		t.Errorf("want context.Canceled and no timeout: %v", err)
	}
	wantClosed(t, c)
}

func TestCloseUnblocksAWaitingReceive(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Stall())
	c := connect(t, p, kafkaio.Config{Timeout: 10 * time.Second})
	done := make(chan error)
	go func() {
		_, err := c.ReceiveFrame(context.Background(), nil)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it park; correctness does not depend on it
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		within(t, "Receive after Close", time.Since(start), 0, 500*time.Millisecond)
		wantErr(t, err, kafkaerr.NoConnection)
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("want net.ErrClosed in the chain: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock the Receive")
	}
}

func TestLargeSendToASlowReaderSucceeds(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB transfer; not run with -short")
	}
	t.Cleanup(leakcheck.Verify(t))
	const size = 64 << 20
	// 1 MiB every 20 ms is a reader that keeps the send buffer full for
	// over a second: hundreds of partial writes, none of them a retry.
	p := testpeer.Start(t, "tcp4", testpeer.NoRecord(), testpeer.SlowRead(1<<20, 20*time.Millisecond))
	c := connect(t, p, kafkaio.Config{Timeout: 20 * time.Second})
	msg := testpeer.Pattern(size)
	n, err := c.Send(msg)
	if err != nil || n != size {
		t.Fatalf("Send(64 MiB) = %d, %v", n, err)
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for p.ReceivedCount() < size && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := p.ReceivedCount(); got != size {
		t.Errorf("peer received %d bytes, want %d", got, size)
	}
}

func TestSendToAPeerThatClosedIsNoConnection(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Close())
	c := connect(t, p, kafkaio.Config{})
	<-p.Done()
	waitUntil(t, "the peer's FIN to be seen", func() bool { return !c.IsAlive() })
	n, err := c.Send(frame([]byte("lost?")))
	e := wantErr(t, err, kafkaerr.NoConnection)
	if n != 0 || e.Done != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("want nothing sent and io.EOF as the cause: n=%d, %v", n, err)
	}
	wantClosed(t, c)
}

func TestReceiveEOFBeforeAndAfterTheFirstByte(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.FIN())
		c := connect(t, p, kafkaio.Config{})
		_, err := c.ReceiveFrame(context.Background(), nil)
		wantErr(t, err, kafkaerr.NoConnection)
		if !errors.Is(err, io.EOF) {
			t.Errorf("cause: %v", err)
		}
		wantClosed(t, c)
	})
	t.Run("after", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.WriteSize(10), testpeer.Write([]byte("half")), testpeer.FIN())
		c := connect(t, p, kafkaio.Config{})
		_, err := c.ReceiveFrame(context.Background(), nil)
		e := wantErr(t, err, kafkaerr.CannotRecv)
		if !errors.Is(err, io.ErrUnexpectedEOF) || e.Done != 8 || e.Total != 14 {
			t.Errorf("want 8 of 14 bytes and io.ErrUnexpectedEOF: %v", err)
		}
		wantClosed(t, c)
	})
}

func TestFrameSizeThatIsNotKafkaSaysWhatItLooksLike(t *testing.T) {
	cases := map[string]struct {
		first []byte
		want  string
	}{
		"TLS alert": {[]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}, "TLS alert"},
		"HTTP":      {[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), "HTTP response"},
		"negative":  {[]byte{0xff, 0xff, 0xff, 0xfe}, "is negative"},
		"tiny":      {[]byte{0, 0, 0, 3, 1, 2, 3}, "too small"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4", testpeer.Write(tc.first))
			c := connect(t, p, kafkaio.Config{})
			_, err := c.ReceiveFrame(context.Background(), nil)
			e := wantErr(t, err, kafkaerr.CannotRecv)
			if !strings.Contains(e.Detail, tc.want) || e.Phase != "frame size" {
				t.Errorf("detail %q (phase %q) does not say %q", e.Detail, e.Phase, tc.want)
			}
			wantClosed(t, c)
		})
	}
}

func TestArgumentErrorsCloseNothing(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	c := connect(t, p, kafkaio.Config{MaxResponseBytes: 1 << 20})
	calls := map[string]func() error{
		"empty message":     func() error { _, err := c.Send(nil); return err },
		"oversized message": func() error { _, err := c.Send(make([]byte, kafkaio.MaxRequestBytes+1)); return err },
		"zero length":       func() error { _, err := c.Receive(0); return err },
		"negative length":   func() error { _, err := c.Receive(-1); return err },
		"length over cap":   func() error { _, err := c.Receive(1<<20 + 1); return err },
		"nil buffer":        func() error { return c.ReceiveInto(context.Background(), nil) },
	}
	for name, call := range calls {
		wantErr(t, call(), kafkaerr.MismatchArgument)
		if !c.IsAlive() {
			t.Fatalf("%s closed the IO", name)
		}
	}
	if _, err := c.Send(frame([]byte("still fine"))); err != nil {
		t.Fatal(err)
	}
	if body, err := c.ReceiveFrame(context.Background(), nil); err != nil || string(body) != "still fine" {
		t.Fatalf("after argument errors: %q, %v", body, err)
	}
}

func TestConfigIsChecked(t *testing.T) {
	bad := map[string]kafkaio.Config{
		"empty host":            {},
		"brackets only":         {Host: "[]"},
		"host with a port":      {Host: "localhost:9092"},
		"v6 host with a port":   {Host: "[::1]:9093"},
		"port too big":          {Host: "127.0.0.1", Port: 70000},
		"negative port":         {Host: "127.0.0.1", Port: -1},
		"negative timeout":      {Host: "127.0.0.1", Timeout: -time.Second},
		"unknown ip version":    {Host: "127.0.0.1", IPVersion: 5},
		"negative send buffer":  {Host: "127.0.0.1", SendBufferBytes: -1},
		"negative recv buffer":  {Host: "127.0.0.1", RecvBufferBytes: -1},
		"negative response cap": {Host: "127.0.0.1", MaxResponseBytes: -1},
	}
	for name, cfg := range bad {
		_, err := kafkaio.New(cfg)
		e := wantErr(t, err, kafkaerr.MismatchArgument)
		if e.Detail == "" {
			t.Errorf("%s: the error does not name the argument: %v", name, err)
		}
	}
}

func TestIsAliveNeverDialsAndSeesAReset(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	release := make(chan struct{})
	p := testpeer.Start(t, "tcp4", testpeer.Func("wait for the test", func(ctx context.Context, _ *net.TCPConn) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}), testpeer.Reset())
	c := connect(t, p, kafkaio.Config{})
	for range 10 {
		if !c.IsAlive() {
			t.Fatal("IsAlive() = false on a healthy connection")
		}
	}
	close(release)
	waitUntil(t, "IsAlive to see the reset", func() bool { return !c.IsAlive() })
	if n := p.Accepted(); n != 1 {
		t.Errorf("the peer accepted %d connections; IsAlive must not open any", n)
	}
}

func TestSendAndReceiveRunConcurrently(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	c := connect(t, p, kafkaio.Config{Timeout: 10 * time.Second})
	const n = 200
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			body := binary.BigEndian.AppendUint32(nil, uint32(i))
			if _, err := c.Send(frame(body)); err != nil {
				t.Errorf("Send %d: %v", i, err)
				return
			}
		}
	}()
	buf := make([]byte, 64)
	for i := range n {
		body, err := c.ReceiveFrame(context.Background(), buf)
		if err != nil {
			t.Fatalf("ReceiveFrame %d: %v", i, err)
		}
		if got := binary.BigEndian.Uint32(body); got != uint32(i) {
			t.Fatalf("response %d carries %d: out of order", i, got)
		}
	}
	wg.Wait()
}

func TestAQueuedCallKeepsItsOwnDeadline(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Stall())
	c := connect(t, p, kafkaio.Config{Timeout: 3 * time.Second})
	first := make(chan error)
	go func() {
		_, err := c.Receive(4) // holds the receive side for up to 3 s
		first <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the first Receive take the lock and park

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.ReceiveInto(ctx, make([]byte, 4))
	within(t, "a Receive queued behind another", time.Since(start), 190*time.Millisecond, time.Second)
	e := wantErr(t, err, kafkaerr.CannotRecv)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(e.Phase, "queued") {
		t.Errorf("want a deadline error while queued: %v", err)
	}
	// The queued call gave up on a response, so the IO closed under the
	// first call too: nothing of it had moved.
	wantErr(t, <-first, kafkaerr.NoConnection)
	wantClosed(t, c)
}

func TestCloseAfterSomeBytesIsNotNoConnection(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.WriteSize(100), testpeer.Write([]byte("ten bytes!")), testpeer.Stall())
	c := connect(t, p, kafkaio.Config{Timeout: 5 * time.Second})
	done := make(chan error)
	go func() {
		_, err := c.ReceiveFrame(context.Background(), nil)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the 14 bytes arrive; the rest never do
	c.Close()
	err := <-done
	// 14 bytes of a response were consumed: retrying the request could
	// duplicate it, so this must not read as "nothing went through".
	e := wantErr(t, err, kafkaerr.CannotRecv)
	if !errors.Is(err, net.ErrClosed) || e.Done != 14 {
		t.Errorf("want 14 bytes done and net.ErrClosed: %v", err)
	}
}

func TestIsAliveLeavesTheResetForTheNextCall(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Read(4), testpeer.Reset())
	c := connect(t, p, kafkaio.Config{})
	if _, err := c.Send([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "IsAlive to see the reset", func() bool { return !c.IsAlive() })
	_, err := c.Receive(4)
	wantErr(t, err, kafkaerr.NoConnection)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("IsAlive swallowed the reset; the Receive saw: %v", err)
	}
}

// waitUntil polls cond for up to 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
