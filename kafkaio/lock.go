package kafkaio

import (
	"context"
	"os"
	"time"
)

// callLock serialises the calls of one direction. It is a one-slot channel
// rather than a sync.Mutex so that a call queued behind another still keeps
// its own deadline and can be cancelled: a whole-call deadline includes the
// time spent waiting for a turn.
type callLock chan struct{}

func newCallLock() callLock { return make(callLock, 1) }

// acquire takes the lock, or gives up when ctx ends or deadline passes. The
// uncontended path is one non-blocking channel send, with no timer.
func (l callLock) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(time.Until(deadline))
	defer wait.Stop()
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-wait.C:
		return os.ErrDeadlineExceeded
	}
}

// release gives the lock to the next call.
func (l callLock) release() { <-l }

// begin starts a call of total bytes in the direction l guards: it fixes
// the call's deadline, waits for the call's turn within it, and refuses a
// closed IO. On success the caller holds l and must release it; on error l
// is not held.
func (c *IO) begin(ctx context.Context, what op, l callLock, total int) (call, time.Time, error) {
	start := time.Now()
	deadline, budget := callDeadline(ctx, start, c.s.timeout)
	cl := call{start: start, budget: budget, total: total}
	if err := l.acquire(ctx, deadline); err != nil {
		return cl, deadline, c.failQueued(ctx, what, err, cl)
	}
	if c.closed.Load() {
		l.release()
		return cl, deadline, c.dbg.fail(c.closedError(what, total))
	}
	return cl, deadline, nil
}
