package kafkaio_test

// Shared pieces of the reliability tests (faults, fuzz, signals, soak):
// what a row of the fault matrix expects, and the one checker that holds
// every call to it. Every name here starts with "fault" so that it cannot
// clash with the other test files of the package.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/dnsstub"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// Time bounds. A call that waits for its deadline must end in
// [deadline, deadline+faultLate]; faultLate is the scheduler of a loaded
// 2-core machine under the race detector, not slack the code may use. A call
// that must not wait at all (refused, EOF, reset, closed, bad argument) ends
// within faultAtOnce.
const (
	faultTimeout  = 300 * time.Millisecond // the IO timeout of rows that wait for one
	faultLate     = 700 * time.Millisecond
	faultAtOnce   = 500 * time.Millisecond
	faultPatience = 10 * time.Second // the timeout of calls that are meant to succeed
)

// Sizes.
const (
	faultKiB = 1 << 10
	faultMiB = 1 << 20
)

// faultSpan bounds a call's duration.
type faultSpan struct{ min, max time.Duration }

// faultAt is the span of a call that ends at a deadline d after its start.
func faultAt(d time.Duration) faultSpan { return faultSpan{d, d + faultLate} }

// faultQuick is the span of a call that must not wait.
func faultQuick() faultSpan { return faultSpan{0, faultAtOnce} }

func (s faultSpan) String() string { return fmt.Sprintf("[%v, %v]", s.min, s.max) }

// faultState is what the IO must be after the call.
type faultState int

const (
	faultNoIO   faultState = iota // New failed: there is no IO
	faultOpen                     // still open and usable
	faultClosed                   // closed: every later call is NoConnection
)

func (s faultState) String() string {
	return [...]string{"no IO", "open", "closed"}[s]
}

// faultProgress is what the error's Done and Total must say.
type faultProgress struct {
	minDone, maxDone int
	total            int
}

// faultBytes expects Done in [minDone, maxDone] and Total == total.
func faultBytes(minDone, maxDone, total int) *faultProgress {
	return &faultProgress{minDone, maxDone, total}
}

// faultNone expects nothing moved of a total-byte call.
func faultNone(total int) *faultProgress { return faultBytes(0, 0, total) }

// faultSome expects some but not all of a total-byte call moved: the "bytes
// it managed" of a call that stalled part way.
func faultSome(total int) *faultProgress { return faultBytes(1, total-1, total) }

// faultWant is what one row of the matrix expects of its call. A zero code
// means the call must succeed; the time bound and the state are checked
// either way.
type faultWant struct {
	code   kafkaerr.Code
	causes []error // each must be in the chain (errors.Is)
	// anyCause is for a race the kernel decides: at least one must be in
	// the chain (a reset mid-send surfaces as ECONNRESET or EPIPE).
	anyCause []error
	notCause []error           // none may be in the chain
	as       func(error) error // checks a cause by type (errors.As); nil if fine
	phase    string            // the error's Phase, when set
	detail   []string          // each must appear in the message
	progress *faultProgress
	took     faultSpan
	state    faultState
}

// faultCheckErr holds a call's outcome to w. It uses Errorf, so that one
// row reports every way it is wrong at once.
func faultCheckErr(t *testing.T, err error, took time.Duration, w faultWant) {
	t.Helper()
	if took < w.took.min || took > w.took.max {
		t.Errorf("the call took %v, want %v; error: %v", took, w.took, err)
	}
	if w.code == 0 {
		if err != nil {
			t.Errorf("the call failed: %v; want success", err)
		}
		return
	}
	var e *kafkaerr.Error
	if !errors.As(err, &e) {
		t.Errorf("error = %v (%T), want a *kafkaerr.Error with code %d (%v)", err, err, w.code, w.code)
		return
	}
	if e.Code != w.code || !errors.Is(err, w.code) {
		t.Errorf("code = %d (%v), want %d (%v); error: %v", e.Code, e.Code, w.code, w.code, err)
	}
	for _, c := range w.causes {
		if !errors.Is(err, c) {
			t.Errorf("errors.Is(err, %v) = false, want true; error: %v", faultName(c), err)
		}
	}
	if len(w.anyCause) > 0 && !faultIsAny(err, w.anyCause) {
		t.Errorf("the chain holds none of %v; error: %v", faultNames(w.anyCause), err)
	}
	for _, c := range w.notCause {
		if errors.Is(err, c) {
			t.Errorf("errors.Is(err, %v) = true, want false; error: %v", faultName(c), err)
		}
	}
	if w.as != nil {
		if why := w.as(err); why != nil {
			t.Errorf("%v; error: %v", why, err)
		}
	}
	if w.phase != "" && e.Phase != w.phase {
		t.Errorf("Phase = %q, want %q; error: %v", e.Phase, w.phase, err)
	}
	for _, d := range w.detail {
		if !strings.Contains(err.Error(), d) {
			t.Errorf("the message does not say %q: %v", d, err)
		}
	}
	if p := w.progress; p != nil && (e.Done < p.minDone || e.Done > p.maxDone || e.Total != p.total) {
		t.Errorf("Done, Total = %d, %d; want Done in [%d, %d] of %d; error: %v",
			e.Done, e.Total, p.minDone, p.maxDone, p.total, err)
	}
	// A call that waited must say so in its own words too: the message's
	// elapsed time is what a user reads in a log.
	if w.took.min > 0 && e.Elapsed < w.took.min {
		t.Errorf("the error says elapsed %v, but the call waited at least %v; error: %v", e.Elapsed, w.took.min, err)
	}
}

// faultLogErr shows a row's error in -v output: the matrix doubles as a
// catalogue of what each failure looks like to a user.
func faultLogErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Logf("error: %v", err)
	}
}

// faultCheckState holds the IO to the state a row expects after its call.
// A closed IO must refuse Send and Receive at once with NoConnection and
// net.ErrClosed; an open one must say it is alive.
func faultCheckState(t *testing.T, c *kafkaio.IO, want faultState, closedBy error) {
	t.Helper()
	switch want {
	case faultNoIO:
		if c != nil {
			t.Errorf("New returned an IO (%s) along with its error", c.Addr())
			c.Close()
		}
	case faultOpen:
		if c == nil {
			t.Error("there is no IO, want an open one")
		} else if !c.IsAlive() {
			t.Error("IsAlive() = false, want the IO still open")
		}
	case faultClosed:
		if c.IsAlive() {
			t.Error("IsAlive() = true, want the IO closed")
		}
		closedWant := faultWant{code: kafkaerr.NoConnection, causes: []error{net.ErrClosed}, took: faultQuick(),
			detail: []string{"attempt to work with a closed socket: " + faultWhyClosed(closedBy)}}
		began := time.Now()
		_, err := c.Send([]byte{0, 0, 0, 0})
		faultCheckErr(t, err, time.Since(began), closedWant)
		began = time.Now()
		_, err = c.Receive(4)
		faultCheckErr(t, err, time.Since(began), closedWant)
	}
}

// faultWhyClosed is how a closed IO must explain itself after err closed it:
// a Close (the rows that close the IO have net.ErrClosed in their error) or
// the failed call, by its operation and phase.
func faultWhyClosed(err error) string {
	var e *kafkaerr.Error
	switch {
	case errors.Is(err, net.ErrClosed):
		return "Close was called"
	case errors.As(err, &e):
		return fmt.Sprintf("%s failed (%s)", e.Op, e.Phase)
	}
	return ""
}

// faultIsAny reports whether any of targets is in err's chain.
func faultIsAny(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// faultName names a sentinel for messages: "context.DeadlineExceeded" says
// more than "context deadline exceeded".
func faultName(err error) string {
	switch err {
	case context.DeadlineExceeded:
		return "context.DeadlineExceeded"
	case context.Canceled:
		return "context.Canceled"
	case io.EOF:
		return "io.EOF"
	case io.ErrUnexpectedEOF:
		return "io.ErrUnexpectedEOF"
	case net.ErrClosed:
		return "net.ErrClosed"
	}
	return fmt.Sprintf("%v (%T)", err, err)
}

func faultNames(errs []error) []string {
	names := make([]string, len(errs))
	for i, e := range errs {
		names[i] = faultName(e)
	}
	return names
}

// faultDNSError checks that a *net.DNSError is in the chain (it names the
// host and the server that failed); notFound additionally requires that it
// says the name does not exist.
func faultDNSError(notFound bool) func(error) error {
	return func(err error) error {
		var d *net.DNSError
		switch {
		case !errors.As(err, &d):
			return errors.New("no *net.DNSError in the chain")
		case notFound && !d.IsNotFound:
			return fmt.Errorf("the *net.DNSError %v does not say the name is not found", d)
		}
		return nil
	}
}

// faultNoCause checks that the error has no cause: nothing failed
// underneath, the input itself was wrong.
func faultNoCause(err error) error {
	var e *kafkaerr.Error
	if errors.As(err, &e) && e.Err != nil {
		return fmt.Errorf("the cause is %v, want none", e.Err)
	}
	return nil
}

// faultWaitFor polls cond until it holds, failing t after faultPatience.
func faultWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(faultPatience); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", faultPatience, what)
		}
	}
}

// faultWaitDone waits until the peer's first script has ended.
func faultWaitDone(t *testing.T, p *testpeer.Peer) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(faultPatience):
		t.Fatalf("the peer's script did not end within %v", faultPatience)
	}
}

// faultResolver starts a DNS stub on loopback and returns a resolver that
// asks it and nothing else. When used is set, the stub must have received a
// query by the end of the test: a lookup that never reached it would prove
// nothing about slow or silent DNS.
func faultResolver(t *testing.T, cfg dnsstub.Config, used bool) *net.Resolver {
	t.Helper()
	dns := dnsstub.Start(t, cfg)
	if used {
		t.Cleanup(func() {
			if dns.Queries() == 0 {
				t.Error("the DNS stub received no query: the lookup did not go through the resolver hook")
			}
		})
	}
	return dns.Resolver()
}

// faultHashed is a digest of the bytes a peer step read, published once
// the step has read all it expected.
type faultHashed struct {
	once sync.Once
	done chan struct{}
	n    int
	sum  [sha256.Size]byte
	err  error
}

func newFaultHashed() *faultHashed { return &faultHashed{done: make(chan struct{})} }

// faultHashingReader is a peer step that reads exactly n bytes, chunk at a
// time with a pause of every after each (a slow but steady reader), and
// hashes them. It keeps no copy: a 64 MiB transfer checked byte for byte
// costs 32 bytes of memory here rather than the peer's recording.
func faultHashingReader(n, chunk int, every time.Duration, out *faultHashed) testpeer.Step {
	return testpeer.Func(fmt.Sprintf("faultHashingReader(%d, %d, %v)", n, chunk, every),
		func(ctx context.Context, conn *net.TCPConn) error {
			h := sha256.New()
			buf := make([]byte, chunk)
			read := 0
			var err error
			for read < n && err == nil {
				var m int
				m, err = conn.Read(buf[:min(chunk, n-read)])
				h.Write(buf[:m])
				read += m
				if every > 0 && err == nil {
					select {
					case <-time.After(every):
					case <-ctx.Done():
						err = ctx.Err()
					}
				}
			}
			out.once.Do(func() {
				out.n, out.err = read, err
				copy(out.sum[:], h.Sum(nil))
				close(out.done)
			})
			return err
		})
}

// wait returns the digest and count, failing t if the step did not finish.
func (h *faultHashed) wait(t *testing.T) ([sha256.Size]byte, int) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(faultPatience):
		t.Fatalf("the hashing reader did not finish within %v", faultPatience)
	}
	if h.err != nil {
		t.Fatalf("the hashing reader failed after %d bytes: %v", h.n, h.err)
	}
	return h.sum, h.n
}

// faultPayload returns n bytes of testpeer.Pattern (byte i is i mod 251),
// built by doubling copies: byte by byte, 64 MiB takes seconds under the
// race detector. A lost, repeated or reordered chunk changes its digest,
// since the period is prime and never lines up with a buffer size.
func faultPayload(n int) []byte {
	const period = 251
	b := make([]byte, n)
	filled := copy(b, testpeer.Pattern(min(n, 64*period)))
	for filled < n {
		filled += copy(b[filled:], b[:filled]) // filled stays a whole number of periods
	}
	return b
}

// faultGC runs the collector until the heap stops shrinking and returns the
// live heap, for comparing heaps before and after a soak.
func faultGC() uint64 {
	var ms runtime.MemStats
	last := ^uint64(0)
	for range 5 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc >= last {
			break
		}
		last = ms.HeapAlloc
	}
	return ms.HeapAlloc
}
