package kafkaerr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	pkgerrors "github.com/pkg/errors"
)

// Error is the detailed error kafkaio returns. Code says what class of failure
// it is; the other fields say where and how far the call got, so that the
// message alone is enough to tell a stalled broker from a refused port.
//
// Error satisfies net.Error. errors.Is matches its Code, its cause chain, and
// in addition context.DeadlineExceeded and os.ErrDeadlineExceeded for every
// timeout, whichever of the two the cause was.
type Error struct {
	Code Code   // the class of failure
	Op   string // the operation: "new", "send", "receive", "receive frame", ...
	Addr string // the peer, "host:port" (IPv6 in brackets); empty for argument errors
	Err  error  // the cause; nil for argument errors

	// Diagnostics: each is printed only when set.
	Phase      string        // the step that failed: "resolve", "connect", "wait writable", "recv", ...
	Detail     string        // what was wrong, in words ("message is empty", "frame size 352518912 ...")
	Done       int           // bytes done before the failure
	Total      int           // bytes the call was asked to move (0: not a transfer)
	Budget     time.Duration // the time the call was allowed (its timeout)
	Retries    int           // attempts that made no progress
	Interrupts int           // EINTR seen (not counted as retries)
	Elapsed    time.Duration // time from the call's start to the failure
	Others     []error       // further causes, e.g. one per address tried after the first

	timedOut bool // the call ran out of time, whatever the cause's own type
	stack    pkgerrors.StackTrace
}

// New returns an *Error with the given code, operation, address and cause,
// recording the caller's stack for %+v.
func New(code Code, op, addr string, cause error) *Error {
	e := &Error{Code: code, Op: op, Addr: addr, Err: cause}
	e.stack = callers()
	e.timedOut = isTimeout(cause)
	return e
}

// Argument returns a MismatchArgument error for operation op whose detail
// names the offending argument.
func Argument(op, detail string) *Error {
	e := New(MismatchArgument, op, "", nil)
	e.Detail = detail
	return e
}

// MarkTimeout records that the call ran out of its time budget, for causes
// that do not say so themselves (for example a resolver that gave up early).
func (e *Error) MarkTimeout() *Error {
	e.timedOut = true
	return e
}

// Error returns "<code text>: <description>", the description naming the
// operation, address, phase, progress, budget and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code.Error())
	b.WriteString(": ")
	b.WriteString(e.Op)
	if e.Addr != "" {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	if e.Phase != "" {
		b.WriteString(" (")
		b.WriteString(e.Phase)
		b.WriteString(")")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	e.writeDiagnostics(&b)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if len(e.Others) > 0 {
		fmt.Fprintf(&b, " (and %d more:", len(e.Others))
		for i, o := range e.Others {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			b.WriteString(o.Error())
		}
		b.WriteString(")")
	}
	return b.String()
}

// budgetPrecision rounds a budget taken from a context deadline (computed,
// so "299.997036ms") to what a person set: milliseconds, or microseconds
// for budgets under one.
func budgetPrecision(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return time.Millisecond
	}
	return time.Microsecond
}

// writeDiagnostics appends the call's counters, omitting those never set so
// that an argument error stays one short sentence.
func (e *Error) writeDiagnostics(b *strings.Builder) {
	var parts []string
	if e.Total > 0 {
		parts = append(parts, strconv.Itoa(e.Done)+" of "+strconv.Itoa(e.Total)+" bytes")
	}
	if e.Budget > 0 {
		parts = append(parts, "timeout "+e.Budget.Round(budgetPrecision(e.Budget)).String())
	}
	if e.Total > 0 || e.Retries > 0 || e.Interrupts > 0 {
		parts = append(parts, "retries "+strconv.Itoa(e.Retries), "interrupts "+strconv.Itoa(e.Interrupts))
	}
	if e.Elapsed > 0 {
		parts = append(parts, "elapsed "+e.Elapsed.Round(time.Microsecond).String())
	}
	if len(parts) > 0 {
		b.WriteString(" [")
		b.WriteString(strings.Join(parts, ", "))
		b.WriteString("]")
	}
}

// Unwrap returns the cause, so errors.Is and errors.As see through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Code, or a deadline sentinel
// (context.DeadlineExceeded, os.ErrDeadlineExceeded) while the error is a
// timeout. Both deadline sentinels match because the runtime poller reports
// one and a context the other, and callers should not have to know which
// clock ran out.
func (e *Error) Is(target error) bool {
	switch target {
	case e.Code:
		return true
	case context.DeadlineExceeded, os.ErrDeadlineExceeded:
		return e.Timeout()
	}
	return false
}

// Timeout reports whether the operation failed because its deadline passed.
func (e *Error) Timeout() bool { return e.timedOut || isTimeout(e.Err) }

// Temporary is part of net.Error. As the standard library's errors do, it
// reports true for a timeout (the poller's deadline error says it is
// temporary) and false for everything else; clients that decide on
// retries by it (franz-go does) then treat a kafkaio timeout as they treat
// net.Conn's.
//
// Deprecated: use Timeout, or errors.Is with a Code.
func (e *Error) Temporary() bool { return e.Timeout() }

// StackTrace returns where the error was created (the pkg/errors interface).
func (e *Error) StackTrace() pkgerrors.StackTrace { return e.stack }

// Format implements fmt.Formatter: %s and %v print Error(), %q quotes it, and
// %+v adds the stack trace of where the error was created.
func (e *Error) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		_, _ = io.WriteString(s, e.Error())
		fmt.Fprintf(s, "%+v", e.stack)
	case verb == 'q':
		fmt.Fprintf(s, "%q", e.Error())
	default:
		_, _ = io.WriteString(s, e.Error())
	}
}

// isTimeout reports whether err says a deadline passed. Only the two
// deadline sentinels count: a syscall.Errno such as ETIMEDOUT also claims
// Timeout() (the kernel gave up on the peer, keepalive or retransmissions),
// but that is no deadline of the caller's and must not be reported as one.
func isTimeout(err error) bool {
	return err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded))
}

// callers captures the stack above New (or Argument) using pkg/errors, so that
// %+v prints frames in the format its users know.
func callers() pkgerrors.StackTrace {
	st := pkgerrors.New("").(interface{ StackTrace() pkgerrors.StackTrace }).StackTrace()
	// Drop callers() itself and the kafkaerr constructor that called it.
	for len(st) > 0 && strings.HasPrefix(frameFunc(st[0]), "github.com/kafkaio/kafkaio/kafkaerr.") {
		st = st[1:]
	}
	return st
}

// frameFunc returns the fully qualified function name of f.
func frameFunc(f pkgerrors.Frame) string {
	fn := runtime.FuncForPC(uintptr(f) - 1) // a Frame is a return address
	if fn == nil {
		return ""
	}
	return fn.Name()
}
