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
