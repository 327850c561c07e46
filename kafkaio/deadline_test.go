package kafkaio_test

// A context's deadline is the call's deadline: the deadline code must take
// it from ctx.Deadline and put it on the socket (and on New's connect), not
// leave it to the context's cancellation to cut the call short. A context
// built with context.WithTimeout does both at once, so a call that ignored
// the deadline would still end on time, woken by the cancellation, and only
// its Budget field would tell. These tests use a context that reports a
// deadline and is never cancelled (its Done is nil), so that nothing but the
// deadline code can end the call at that deadline.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// deadlineIOTimeout is the IO timeout of these tests: far enough past
// their contexts' deadlines that a call which ends there was not ended by
// the context, short enough that such a failure costs little.
const deadlineIOTimeout = 3 * time.Second

// deadlineOnly is a context with a deadline and no cancellation: a test
// device that separates the deadline path from the cancellation path.
// (context.Context allows a nil Done only for contexts that can never be
// cancelled; this one knowingly reports a deadline nothing enforces.)
type deadlineOnly struct {
	context.Context // Background: Done nil, Err nil, no values
	at              time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

func deadlineIn(d time.Duration) deadlineOnly {
	return deadlineOnly{context.Background(), time.Now().Add(d)}
}

func TestContextDeadlineIsTheCallsDeadline(t *testing.T) {
	timeout := []error{os.ErrDeadlineExceeded, context.DeadlineExceeded}
	big := faultPayload(16 * faultMiB)
	// Each row's IO timeout is deadlineIOTimeout; its context's deadline is
	// faultTimeout (300 ms).
	rows := []faultIORow{{
		name:   "Receive",
		script: []testpeer.Step{testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: deadlineIOTimeout},
		call: func(c *kafkaio.IO) error {
			_, err := c.ReceiveContext(deadlineIn(faultTimeout), 4)
			return err
		},
		want: faultWant{code: kafkaerr.CannotRecv, causes: timeout, phase: "wait readable", as: faultBudget(faultTimeout),
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "ReceiveInto",
		script: []testpeer.Step{testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: deadlineIOTimeout},
		call: func(c *kafkaio.IO) error {
			return c.ReceiveInto(deadlineIn(faultTimeout), make([]byte, 4))
		},
		want: faultWant{code: kafkaerr.CannotRecv, causes: timeout, phase: "wait readable", as: faultBudget(faultTimeout),
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "ReceiveFrame, the deadline spanning size and body",
		script: []testpeer.Step{testpeer.WriteSize(64), testpeer.Write(testpeer.Pattern(10)), testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: deadlineIOTimeout},
		call: func(c *kafkaio.IO) error {
			_, err := c.ReceiveFrame(deadlineIn(faultTimeout), nil)
			return err
		},
		want: faultWant{code: kafkaerr.CannotRecv, causes: timeout, phase: "wait readable", as: faultBudget(faultTimeout),
			progress: faultBytes(14, 14, 68), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "Send to a peer that never reads",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{SendBufferBytes: 16 * faultKiB, Timeout: deadlineIOTimeout},
		call: func(c *kafkaio.IO) error {
			_, err := c.SendContext(deadlineIn(faultTimeout), big)
			return err
		},
		want: faultWant{code: kafkaerr.CannotSend, causes: timeout, phase: "wait writable", as: faultBudget(faultTimeout),
			progress: faultSome(len(big)), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		// The other way round: a deadline later than the IO's timeout
		// lets a call wait past that timeout.
		name:   "a deadline past the IO's timeout",
		script: []testpeer.Step{testpeer.Sleep(2 * faultTimeout), testpeer.WriteFrame([]byte("late"))},
		cfg:    kafkaio.Config{Timeout: faultTimeout},
		call: func(c *kafkaio.IO) error {
			_, err := c.ReceiveFrame(deadlineIn(faultPatience), nil)
			return err
		},
		want: faultWant{took: faultSpan{faultTimeout, faultPatience}, state: faultOpen}, // past the IO timeout
	}}
	faultRunIORows(t, rows)
}

func TestContextDeadlineHoldsWhileQueued(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Stall())
	c := connect(t, p, kafkaio.Config{Timeout: deadlineIOTimeout})
	first := make(chan error, 1)
	go func() { // holds the receive side until the IO closes
		_, err := c.Receive(4)
		first <- err
	}()
	time.Sleep(100 * time.Millisecond) // let it take the lock and park

	began := time.Now()
	err := c.ReceiveInto(deadlineIn(faultTimeout), make([]byte, 4))
	took := time.Since(began)
	faultLogErr(t, err)
	faultCheckErr(t, err, took, faultWant{code: kafkaerr.CannotRecv, causes: []error{os.ErrDeadlineExceeded, context.DeadlineExceeded},
		phase: "queued behind another receive", as: faultBudget(faultTimeout), took: faultAt(faultTimeout)})
	wantErr(t, <-first, kafkaerr.NoConnection) // closed under it by the queued call's failure
	faultCheckState(t, c, faultClosed, err)
}

func TestContextDeadlineIsNewsDeadline(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	host, port := testpeer.FullBacklog(t, "tcp4")
	began := time.Now()
	c, err := kafkaio.NewContext(deadlineIn(faultTimeout), kafkaio.Config{Host: host, Port: port, Timeout: deadlineIOTimeout})
	took := time.Since(began)
	faultLogErr(t, err)
	faultCheckErr(t, err, took, faultWant{code: kafkaerr.CannotBind, phase: "connect",
		causes: []error{os.ErrDeadlineExceeded, context.DeadlineExceeded}, as: faultBudget(faultTimeout),
		took: faultAt(faultTimeout)})
	faultCheckState(t, c, faultNoIO, nil)
}

// faultBudget checks that the error's Budget is the context's: d, less
// the moment between making the context and the call's start.
func faultBudget(d time.Duration) func(error) error {
	return func(err error) error {
		var e *kafkaerr.Error
		if errors.As(err, &e) && (e.Budget > d || e.Budget < d-50*time.Millisecond) {
			return fmt.Errorf("Budget = %v, want the context's %v", e.Budget, d)
		}
		return nil
	}
}
