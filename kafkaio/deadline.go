package kafkaio

import (
	"context"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// aLongTimeAgo is a deadline in the past: setting it wakes every waiter on
// the file at once, which is how cancellation reaches a parked call.
var aLongTimeAgo = time.Unix(1, 0)

// callDeadline returns when a call that started at start must end, and the
// budget that gives it: the context's deadline when it has one (a per-call
// override, as Kafka::IO's timeout argument is), otherwise start+timeout.
func callDeadline(ctx context.Context, start time.Time, timeout time.Duration) (time.Time, time.Duration) {
	if d, ok := ctx.Deadline(); ok {
		return d, d.Sub(start)
	}
	return start.Add(timeout), timeout
}

// onCancel runs interrupt when ctx is cancelled, until the returned stop is
// called. stop waits for a running interrupt to finish, so that no deadline
// set by it can land on a later call. For a context that can never be
// cancelled it does nothing and allocates nothing.
func onCancel(ctx context.Context, interrupt func()) (stop func()) {
	if ctx.Done() == nil {
		return nil
	}
	ran := make(chan struct{})
	stopFn := context.AfterFunc(ctx, func() {
		interrupt()
		close(ran)
	})
	return func() {
		if !stopFn() {
			<-ran
		}
	}
}

// errNilContext is the error of operation what called with a nil context:
// an invalid argument, checked before anything else, instead of the nil
// dereference the deadline code would otherwise hit.
func errNilContext(what op) error {
	return kafkaerr.Argument(string(what), "context is nil")
}
