package leakcheck

import (
	"os"
	"runtime"
	"sync"
)

// Snapshot is the process's open file descriptors and goroutines at one moment.
type Snapshot struct {
	// FDs is the number of open file descriptors (entries of /proc/self/fd).
	FDs int
	// Goroutines is runtime.NumGoroutine().
	Goroutines int

	// fdTargets maps each descriptor to what it refers to, so that a later
	// check can name the descriptors that were not there before.
	fdTargets map[int]string
	// goroutines maps each goroutine alive at the snapshot to its stack.
	// Goroutine ids are never reused, so an id that a later snapshot has and
	// this one lacks is a goroutine started in between.
	goroutines map[int64]string
}

// Take records the open file descriptors and the goroutines of the process.
func Take() Snapshot {
	warmUpPoller()
	fds := openFDs()
	return Snapshot{
		FDs:        len(fds),
		Goroutines: runtime.NumGoroutine(),
		fdTargets:  fds,
		goroutines: parseGoroutines(allStacks()),
	}
}

var pollerOnce sync.Once

// warmUpPoller makes the runtime create its network poller descriptors (an
// epoll instance and a wake-up eventfd) before the first snapshot. The runtime
// creates them lazily on the first pollable file and never closes them, so
// without this the first test that opens a socket would "leak" them.
func warmUpPoller() {
	pollerOnce.Do(func() {
		r, w, err := os.Pipe() // a pipe is pollable, which initialises the poller
		if err != nil {
			return // the baseline will include the poller fds later; nothing better to do
		}
		r.Close()
		w.Close()
	})
}
