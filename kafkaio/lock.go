package kafkaio

import (
	"context"
	"os"
	"sync/atomic"
	"time"
)

// callLock serialises the calls of one direction. Unlike a sync.Mutex, a
// call queued behind another keeps its own deadline and can be cancelled:
// a whole-call deadline includes the time spent waiting for a turn.
//
// The uncontended path is one compare-and-swap and allocates nothing, and
// an idle lock is two words: the channel that wakes a waiter is made the
// first time a call has to wait.
type callLock struct {
	held    atomic.Bool
	waiters atomic.Int32
	wake    atomic.Pointer[chan struct{}] // one token per release seen by a waiter; made on first contention
}

// acquire takes the lock, or gives up when ctx ends or deadline passes (the
// zero deadline is no deadline).
func (l *callLock) acquire(ctx context.Context, deadline time.Time) error {
	if l.held.CompareAndSwap(false, true) {
		return nil
	}
	return l.wait(ctx, deadline)
}

// wait is acquire's slow path: register as a waiter, then try again on
// every release until the lock is ours or the call must give up.
func (l *callLock) wait(ctx context.Context, deadline time.Time) error {
	wake := l.wakeChan()
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	var expired <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		expired = timer.C
	}
	for {
		// Checked after registering, so that a release in between either
		// is seen here or leaves a token in wake.
		if l.held.CompareAndSwap(false, true) {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			l.passOn()
			return ctx.Err()
		case <-expired:
			l.passOn()
			return os.ErrDeadlineExceeded
		}
	}
}

// wakeChan returns the channel waiters sleep on, making it the first time.
func (l *callLock) wakeChan() chan struct{} {
	if w := l.wake.Load(); w != nil {
		return *w
	}
	w := make(chan struct{}, 1)
	if l.wake.CompareAndSwap(nil, &w) {
		return w
	}
	return *l.wake.Load()
}

// release gives the lock up and wakes one waiter, if there is one.
func (l *callLock) release() {
	l.held.Store(false)
	if l.waiters.Load() > 0 {
		l.passOn()
	}
}

// passOn leaves a wake-up token for a waiter. A waiter that gives up may
// have consumed the token of a release: it passes it on, so that no other
// waiter is left asleep on a free lock.
func (l *callLock) passOn() {
	select {
	case l.wakeChan() <- struct{}{}:
	default: // a token is already waiting
	}
}

// begin starts a call of total bytes in the direction l guards: it fixes
// the call's deadline, waits for the call's turn within it, and refuses a
// closed IO. On success the caller holds l and must release it; on error l
// is not held.
func (c *IO) begin(ctx context.Context, what op, l *callLock, total int) (call, time.Time, error) {
	start := time.Now()
	deadline, budget := callDeadline(ctx, start, c.timeout)
	cl := call{start: start, budget: budget, total: total}
	if err := l.acquire(ctx, deadline); err != nil {
		return cl, deadline, c.failQueued(ctx, what, err, cl)
	}
	if c.closed.Load() {
		l.release()
		return cl, deadline, c.dbg().fail(c.closedError(what, total))
	}
	return cl, deadline, nil
}
