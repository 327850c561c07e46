package kafkaio_test

// Soak: a client runs for months, so what one call leaks, a million calls
// multiply. These tests repeat the two things a client does all day, a
// round trip on an open connection and a connection's whole life, and
// require the process to come back to where it started: descriptors,
// goroutines and live heap.

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const (
	soakRoundTrips = 10000
	soakCycles     = 1000
	// soakWarmUp calls come before the baseline, so that what the runtime
	// and the peer allocate once (timers, poller entries, buffers of
	// sync.Pools) is not counted as growth.
	soakWarmUp = 50
	// soakHeapSlack is how much the live heap may grow over a soak: noise
	// of the collector and the runtime's own caches, a few KiB in practice.
	// It catches a leak of 14 bytes per round trip or 132 bytes per
	// connection: less than one IO with its file.
	soakHeapSlack = 128 << 10
)

// soakRequest builds a frame whose body carries seq, so that an answer to
// another request (a stream out of step) is told apart from the right one.
func soakRequest(buf []byte, seq int) []byte {
	binary.BigEndian.PutUint32(buf[0:4], uint32(len(buf)-4))
	binary.BigEndian.PutUint64(buf[4:12], uint64(seq))
	return buf
}

// soakRoundTrip sends request seq and reads its echo into dst.
func soakRoundTrip(c *kafkaio.IO, req, dst []byte, seq int) error {
	if _, err := c.Send(soakRequest(req, seq)); err != nil {
		return fmt.Errorf("round trip %d: send: %w", seq, err)
	}
	body, err := c.ReceiveFrame(context.Background(), dst)
	if err != nil {
		return fmt.Errorf("round trip %d: receive: %w", seq, err)
	}
	if len(body) != len(req)-4 || binary.BigEndian.Uint64(body) != uint64(seq) {
		return fmt.Errorf("round trip %d: got a %d-byte answer to request %d", seq, len(body), binary.BigEndian.Uint64(body))
	}
	return nil
}

// soakCheckHeap fails t if the live heap grew more than soakHeapSlack over
// base.
func soakCheckHeap(t *testing.T, what string, base uint64) {
	t.Helper()
	now := faultGC()
	grew := int64(now) - int64(base)
	t.Logf("%s: live heap %d KiB before, %d KiB after (%+d KiB)", what, base>>10, now>>10, grew>>10)
	if grew > soakHeapSlack {
		t.Errorf("%s: the live heap grew by %d KiB, over the %d KiB slack: something is kept per call",
			what, grew>>10, soakHeapSlack>>10)
	}
}

func TestSoakRoundTripsOnOneIO(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // after Close, as before New
	p := testpeer.Start(t, "tcp4", testpeer.NoRecord(), testpeer.EchoFrames())
	c := connect(t, p, kafkaio.Config{Timeout: faultPatience})
	req, dst := make([]byte, 4+100), make([]byte, 0, 100)

	for i := range soakWarmUp {
		if err := soakRoundTrip(c, req, dst, i); err != nil {
			t.Fatal(err)
		}
	}
	open := leakcheck.Take()
	heap := faultGC()
	began := time.Now()
	for i := range soakRoundTrips {
		if err := soakRoundTrip(c, req, dst, soakWarmUp+i); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d round trips in %v", soakRoundTrips, time.Since(began).Round(time.Millisecond))

	// While the IO is still open: the calls themselves left nothing.
	if err := open.Check(2*time.Second, 0); err != nil {
		t.Errorf("after %d round trips: %v", soakRoundTrips, err)
	}
	soakCheckHeap(t, fmt.Sprintf("%d round trips", soakRoundTrips), heap)
	if !c.IsAlive() {
		t.Error("the IO is not alive after the soak")
	}
}

func TestSoakNewCloseCycles(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	// EchoFrames ends at the client's FIN; Close then hangs up, so the
	// peer keeps no connection (and no fd) per cycle either.
	p := testpeer.Start(t, "tcp4", testpeer.NoRecord(), testpeer.EchoFrames(), testpeer.Close())
	cfg := kafkaio.Config{Host: p.Host(), Port: p.Port(), Timeout: faultPatience}
	req, dst := make([]byte, 4+100), make([]byte, 0, 100)

	// cycle is one connection's life: connect, one round trip, close.
	cycle := func(i int) error {
		c, err := kafkaio.New(cfg)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		err = soakRoundTrip(c, req, dst, i)
		if cerr := c.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cycle %d: close: %w", i, cerr)
		}
		return err
	}

	base := leakcheck.Take() // the peer is listening; no connection yet
	for i := range soakWarmUp {
		if err := cycle(i); err != nil {
			t.Fatal(err)
		}
	}
	// The peer hangs up on its own time; wait for that before the heap's
	// baseline, so that its connections are not counted there.
	if err := base.Check(5*time.Second, 0); err != nil {
		t.Fatalf("after %d warm-up cycles: %v", soakWarmUp, err)
	}
	heap := faultGC()
	began := time.Now()
	for i := range soakCycles {
		if err := cycle(soakWarmUp + i); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d New/Close cycles in %v", soakCycles, time.Since(began).Round(time.Millisecond))

	if err := base.Check(5*time.Second, 0); err != nil {
		t.Errorf("after %d New/Close cycles: %v", soakCycles, err)
	}
	soakCheckHeap(t, fmt.Sprintf("%d New/Close cycles", soakCycles), heap)
	if got, want := p.Accepted(), soakWarmUp+soakCycles; got != want {
		t.Errorf("the peer accepted %d connections, want %d: some cycle did not really connect", got, want)
	}
}
