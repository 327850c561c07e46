package leakcheck

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// pollInterval is how long Check waits between two counts.
const pollInterval = 10 * time.Millisecond

// Check reports whether the process is back to its state at the baseline:
// at most slack more file descriptors and goroutines than then, and at most
// slack of them that did not exist then. The second condition matters when
// something that was alive at the baseline (another test's goroutine still
// unwinding, a finalizer running) has ended since: by count alone it would
// hide a new leak.
//
// Resources are often released a little after a test's last call returns,
// so Check keeps looking for up to settle, every 10 ms. It returns nil once
// the process has settled, and otherwise an error naming every descriptor
// that was not in the baseline (with its readlink target) and the stack of
// every goroutine started since.
//
// Check never runs the garbage collector, and keeps it off while it waits
// (its own polling allocates enough to start a cycle): a collection would
// let the finalizer of an *os.File or net.Conn dropped without Close close
// its descriptor, and a leak would pass for a release. A collection that
// ran during the test itself, before Check, can still have closed such a
// file; call Check right after the code under test to leave it no time.
func (base Snapshot) Check(settle time.Duration, slack int) error {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	deadline := time.Now().Add(settle)
	for {
		now := Take()
		if base.settled(now, slack) {
			return nil
		}
		if time.Now().After(deadline) {
			return base.leakError(now, settle)
		}
		time.Sleep(pollInterval)
	}
}

func (base Snapshot) settled(now Snapshot, slack int) bool {
	return now.FDs <= base.FDs+slack && now.Goroutines <= base.Goroutines+slack &&
		len(newFDs(base.fdTargets, now.fdTargets)) <= slack &&
		len(newGoroutines(base.goroutines, now.goroutines)) <= slack
}

// leakError builds the report: the counts first, then the new descriptors,
// then the new goroutines.
func (base Snapshot) leakError(now Snapshot, settle time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "leakcheck: still leaking after %v: fds %d (baseline %d), goroutines %d (baseline %d)",
		settle, now.FDs, base.FDs, now.Goroutines, base.Goroutines)
	if fds := newFDs(base.fdTargets, now.fdTargets); len(fds) > 0 {
		b.WriteString("\nfds not in the baseline:\n  ")
		b.WriteString(strings.Join(fds, "\n  "))
	}
	if gs := newGoroutines(base.goroutines, now.goroutines); len(gs) > 0 {
		b.WriteString("\ngoroutines started since the baseline:\n")
		b.WriteString(strings.Join(gs, "\n\n"))
	}
	return errors.New(b.String())
}

// Verify takes a snapshot now and returns a function that fails tb (with
// Errorf) if, within two seconds, the process has not returned to it. Register
// the result as the test's first cleanup:
//
//	t.Cleanup(leakcheck.Verify(t))
func Verify(tb testing.TB) func() {
	tb.Helper()
	base := Take()
	return func() {
		tb.Helper()
		if err := base.Check(2*time.Second, 0); err != nil {
			tb.Errorf("%v", err)
		}
	}
}
