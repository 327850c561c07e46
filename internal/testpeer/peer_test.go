package testpeer

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

func TestAddressesMatchNetwork(t *testing.T) {
	wantHost := map[string]string{"tcp4": "127.0.0.1", "tcp6": "::1"}
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network)

		if p.Host() != wantHost[network] {
			t.Errorf("Host() = %q, want %q", p.Host(), wantHost[network])
		}
		if p.Port() <= 0 || p.Port() > 65535 {
			t.Errorf("Port() = %d, want a real port", p.Port())
		}
		want := net.JoinHostPort(wantHost[network], strconv.Itoa(p.Port()))
		if p.Addr() != want {
			t.Errorf("Addr() = %q, want %q", p.Addr(), want)
		}
		local := dial(t, p).LocalAddr().(*net.TCPAddr)
		if local.IP.String() != wantHost[network] {
			t.Errorf("client's local address %v is not on %s loopback", local, network)
		}
	})
}

func TestEveryConnectionRunsTheWholeScript(t *testing.T) {
	p := start(t, "tcp4", Write([]byte("hi")), Close())

	for i := range 3 {
		got, err := readToEOF(t, dial(t, p))
		if err != nil || string(got) != "hi" {
			t.Fatalf("connection %d read %q, %v; want \"hi\" then EOF", i+1, got, err)
		}
	}
	if got := p.Accepted(); got != 3 {
		t.Fatalf("Accepted() = %d, want 3", got)
	}
	requireNoErr(t, p)
}

func TestReceivedKeepsTheOrderOfReads(t *testing.T) {
	p := start(t, "tcp4", Read(3), Write([]byte("k")), Close())

	for _, msg := range []string{"one", "two"} {
		c := dial(t, p)
		write(t, c, []byte(msg))
		readN(t, c, 1) // the peer has recorded msg before it answers
	}
	if got := string(p.Received()); got != "onetwo" {
		t.Fatalf("Received() = %q, want %q", got, "onetwo")
	}
	if got := p.ReceivedCount(); got != 6 {
		t.Fatalf("ReceivedCount() = %d, want 6", got)
	}
}

func TestReceivedIsACopy(t *testing.T) {
	p := start(t, "tcp4", Read(2), Write([]byte("k")))
	c := dial(t, p)
	write(t, c, []byte("ab"))
	readN(t, c, 1)

	p.Received()[0] = 'X'

	if got := string(p.Received()); got != "ab" {
		t.Fatalf("Received() after modifying an earlier copy = %q, want %q", got, "ab")
	}
}

func TestDoneWaitsForTheFirstScript(t *testing.T) {
	p := start(t, "tcp4", Read(1), Close())
	c := dial(t, p)

	select {
	case <-p.Done():
		t.Fatal("Done closed before the script could read its byte")
	case <-time.After(50 * time.Millisecond):
	}
	write(t, c, []byte("x"))
	waitDone(t, p)
}

func TestCloseStopsEverything(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := Start(t, "tcp4", Stall())
	c := dial(t, p)
	waitAccepted(t, p, 1)

	began := time.Now()
	p.Close()
	p.Close() // idempotent

	if took := time.Since(began); took > patience/2 {
		t.Fatalf("Close took %v while a connection stalled", took)
	}
	if _, err := readToEOF(t, c); err != nil {
		t.Fatalf("client read after Close: %v, want EOF", err)
	}
	if _, err := net.DialTimeout("tcp4", p.Addr(), patience); err == nil {
		t.Fatal("dial after Close succeeded, want the listener gone")
	}
	waitDone(t, p)
	requireNoErr(t, p)
}

func TestCloseIsSafeFromManyGoroutines(t *testing.T) {
	p := start(t, "tcp4", Stall())
	dial(t, p)
	waitAccepted(t, p, 1)

	done := make(chan struct{})
	for range 4 {
		go func() {
			p.Close()
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
}

func TestMisusedScriptIsAnError(t *testing.T) {
	p := start(t, "tcp4", Close(), Write([]byte("too late")))
	dial(t, p)
	waitDone(t, p)

	err := p.Err()
	if err == nil {
		t.Fatal("Err() = nil after writing to a closed connection")
	}
	if !strings.Contains(err.Error(), "step 2 Write(8 bytes)") {
		t.Fatalf("Err() = %v, want it to name the failing step", err)
	}
}

func TestClientLeavingIsAnEventNotAnError(t *testing.T) {
	p := start(t, "tcp4", Read(10))
	c := dial(t, p)
	write(t, c, []byte("abc"))
	c.Close()
	waitDone(t, p)

	requireNoErr(t, p)
	events := p.Events()
	if len(events) != 1 || !strings.Contains(events[0], "conn 1, step 1 Read(10): client went away") {
		t.Fatalf("Events() = %q, want one client-went-away event for Read(10)", events)
	}
	if got := string(p.Received()); got != "abc" {
		t.Fatalf("Received() = %q, want the partial read %q", got, "abc")
	}
}

func TestFuncStep(t *testing.T) {
	p := start(t, "tcp4", Func("greet", func(_ context.Context, c *net.TCPConn) error {
		_, err := c.Write([]byte("hello"))
		return err
	}), Close())

	got, err := readToEOF(t, dial(t, p))
	if err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v; want \"hello\" then EOF", got, err)
	}
}

func TestFuncStepErrorIsReported(t *testing.T) {
	boom := errors.New("boom")
	p := start(t, "tcp4", Func("fail", func(context.Context, *net.TCPConn) error { return boom }))
	dial(t, p)
	waitDone(t, p)

	if err := p.Err(); !errors.Is(err, boom) || !strings.Contains(err.Error(), "Func(fail)") {
		t.Fatalf("Err() = %v, want boom from Func(fail)", err)
	}
}

func TestNoRecordStillCounts(t *testing.T) {
	p := start(t, "tcp4", NoRecord(), Discard())
	c := dial(t, p)
	write(t, c, Pattern(1000))
	c.CloseWrite()
	waitDone(t, p)

	if got := p.Received(); len(got) != 0 {
		t.Fatalf("Received() = %d bytes after NoRecord, want none", len(got))
	}
	if got := p.ReceivedCount(); got != 1000 {
		t.Fatalf("ReceivedCount() = %d, want 1000", got)
	}
}

func TestUnknownNetworkFailsTheTest(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	fake := runFake(func(tb testing.TB) { Start(tb, "udp4") })
	if !fake.failed || !strings.Contains(fake.msg, `"udp4"`) {
		t.Fatalf("Start(udp4): failed=%v msg=%q, want a fatal error naming the network", fake.failed, fake.msg)
	}
}

func TestPatternIsDeterministic(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	a, b := Pattern(1000), Pattern(1000)
	if !bytes.Equal(a, b) {
		t.Fatal("two Patterns of the same length differ")
	}
	if a[0] != 0 || a[250] != 250 || a[251] != 0 || a[252] != 1 {
		t.Fatalf("Pattern = % x..., want i mod 251", a[:8])
	}
}

// waitAccepted waits until the peer has accepted n connections.
func waitAccepted(t *testing.T, p *Peer, n int) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for p.Accepted() < n {
		if time.Now().After(deadline) {
			t.Fatalf("peer accepted %d connections, want %d", p.Accepted(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
