package kafkaio

// The retry state machine of a call, driven directly: transfer.advance is a
// function of one syscall's result (bytes moved, errno) and of the state it
// left, so every branch (progress, EINTR, EAGAIN and the MaxRetries cap,
// EOF, a hard error) is reached here by feeding it results, which no real
// socket produces on demand: Go's signal handlers are installed with
// SA_RESTART and the sockets are non-blocking, so a real send or recv all
// but never returns EINTR.

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"golang.org/x/sys/unix"
)

// syscallResult is what one send(2) or recv(2) returned.
type syscallResult struct {
	n   int
	err error
}

func moved(n int) syscallResult      { return syscallResult{n: n} }
func failed(err error) syscallResult { return syscallResult{err: err} }

func repeat(r syscallResult, k int) []syscallResult {
	out := make([]syscallResult, k)
	for i := range out {
		out[i] = r
	}
	return out
}

// advanceWant is the transfer's state after the last result.
type advanceWant struct {
	again      bool // advance's result for the last syscall: try again at once
	done       int
	retries    int
	woke       bool
	interrupts int
	eof        bool
	err        error
}

func TestAdvance(t *testing.T) {
	eagain, eintr := failed(unix.EAGAIN), failed(unix.EINTR)
	// stalled is a wait for readiness followed by MaxRetries wake-ups that
	// find nothing: the most the cap allows.
	stalled := repeat(eagain, 1+MaxRetries)
	for _, tc := range []struct {
		name    string
		reading bool
		results []syscallResult
		want    advanceWant
	}{
		{"bytes moved: try again at once", false, []syscallResult{moved(5)},
			advanceWant{again: true, done: 5}},
		{"bytes add up", true, []syscallResult{moved(5), moved(7)},
			advanceWant{again: true, done: 12}},
		{"EINTR is retried at once, counted as an interrupt, not a retry", false, []syscallResult{eintr},
			advanceWant{again: true, interrupts: 1}},
		{"EINTR while reading, too", true, []syscallResult{moved(3), eintr, eintr},
			advanceWant{again: true, done: 3, interrupts: 2}},
		{"a storm of EINTR, then bytes", false, append(repeat(eintr, 1000), moved(10)),
			advanceWant{again: true, done: 10, interrupts: 1000}},
		{"the first EAGAIN waits for readiness, no retry yet", false, []syscallResult{eagain},
			advanceWant{woke: true}},
		{"EAGAIN after a wake-up is a retry", true, []syscallResult{eagain, eagain},
			advanceWant{woke: true, retries: 1}},
		{"EINTR between wake-ups leaves the retry count alone", false, []syscallResult{eagain, eagain, eintr, eagain},
			advanceWant{woke: true, retries: 2, interrupts: 1}},
		{"MaxRetries wake-ups to nothing are still allowed", false, stalled,
			advanceWant{woke: true, retries: MaxRetries}},
		{"one more ends the call with errNoProgress", false, append(stalled, eagain),
			advanceWant{woke: true, retries: MaxRetries + 1, err: errNoProgress}},
		{"one more while reading, too", true, append(stalled, eagain),
			advanceWant{woke: true, retries: MaxRetries + 1, err: errNoProgress}},
		{"progress resets the retry count", false, append(stalled, moved(1)),
			advanceWant{again: true, done: 1}},
		{"after progress the cap starts over", false, append(append(stalled, moved(1)), stalled...),
			advanceWant{done: 1, woke: true, retries: MaxRetries}},
		{"a read of 0 bytes is EOF", true, []syscallResult{moved(4), moved(0)},
			advanceWant{done: 4, eof: true}},
		{"a write of 0 bytes is no progress, not EOF", false, []syscallResult{moved(0)},
			advanceWant{woke: true}},
		{"ECONNRESET ends the call", true, []syscallResult{moved(2), failed(unix.ECONNRESET)},
			advanceWant{done: 2, err: unix.ECONNRESET}},
		{"EPIPE ends the call", false, []syscallResult{failed(unix.EPIPE)},
			advanceWant{err: unix.EPIPE}},
		{"any other errno ends the call", false, []syscallResult{eagain, failed(unix.ENOBUFS)},
			advanceWant{woke: true, err: unix.ENOBUFS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newAdvanceTransfer(t, 1<<20)
			var again bool
			for _, r := range tc.results {
				again = tr.advance(r.n, r.err, tc.reading)
			}
			got := advanceWant{again, tr.done, tr.retries, tr.woke, tr.interrupts, tr.eof, tr.err}
			if got != tc.want {
				t.Errorf("after %s:\n got %+v\nwant %+v", describe(tc.results), got, tc.want)
			}
		})
	}
}

// newAdvanceTransfer is a transfer of a size-byte buffer on an IO that
// has no socket, for driving advance by hand. Debugging is off for the
// test, so advance's debug events touch nothing of the IO.
func newAdvanceTransfer(t *testing.T, size int) *transfer {
	t.Helper()
	prev := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(0)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(prev) })
	tr := &transfer{conn: &IO{}}
	tr.start(make([]byte, size))
	return tr
}

func describe(results []syscallResult) string {
	parts := make([]string, len(results))
	for i, r := range results {
		if r.err != nil {
			parts[i] = r.err.(syscall.Errno).Error()
		} else {
			parts[i] = fmt.Sprintf("%d bytes", r.n)
		}
	}
	return strings.Join(parts, ", ")
}
