package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// New connects to the broker cfg describes, within cfg.Timeout for the
// whole of it: resolution and every connect attempt share that one budget.
func New(cfg Config) (*IO, error) {
	return NewContext(context.Background(), cfg)
}

// NewContext is New with a context. A deadline on ctx replaces cfg.Timeout
// as New's budget; cancelling ctx aborts resolution or the connect at once.
//
// Every failure to connect is a kafkaerr.CannotBind whose cause is the first
// attempt's error (errors.Is(err, syscall.ECONNREFUSED) works), with the
// other attempts in its Others. When New's budget runs out or ctx is
// cancelled after an earlier attempt has failed, the cause is instead the
// attempt that this cut short, so that whatever ended New is in the chain
// (os.ErrDeadlineExceeded and context.DeadlineExceeded, or
// context.Canceled), and the Detail names that attempt ("New's 1.5s budget
// ran out during attempt 2 of 2 (127.0.0.1:9092)"). A literal address of
// the wrong family is kafkaerr.IncompatibleHostIPVersion; an invalid Config
// or a nil ctx is kafkaerr.MismatchArgument.
func NewContext(ctx context.Context, cfg Config) (*IO, error) {
	if ctx == nil {
		return nil, errNilContext(opNew)
	}
	s, err := cfg.check()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	deadline, budget := callDeadline(ctx, start, s.timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	dbg := newDebugger(s.logger, s.host, s.port)
	addrs, err := resolve(ctx, &s)
	dbg.resolved(s.host, addrs, err, time.Since(start))
	if err != nil {
		return nil, dbg.fail(newError(kafkaerr.CannotBind, &s, "resolve", err, start, budget))
	}
	sock, ap, err := dialAll(ctx, addrs, deadline, &s, dbg)
	if err != nil {
		return nil, dbg.fail(newError(kafkaerr.CannotBind, &s, "connect", err, start, budget))
	}
	c := &IO{f: sock.f, rc: sock.rc, remote: ap, timeout: s.timeout, maxResp: int32(s.maxResp)}
	if s.logger != nil {
		c.ext = &extras{log: s.logger}
	}
	c.dbg().connected()
	if s.tls != nil {
		if s.keyLog != "" {
			c.dbg().keyLog(s.keyLog)
		}
		if err := c.handshake(ctx, deadline, s.tls); err != nil {
			c.close("the TLS handshake failed")
			return nil, dbg.fail(newError(kafkaerr.CannotBind, &s, "tls handshake", err, start, budget))
		}
	}
	if s.negotiate {
		if c.ext == nil {
			c.ext = &extras{}
		}
		c.ext.neg = &negotiation{mech: s.sasl, clientID: s.clientID}
		sc := &setupCall{c: c, op: opNew, addr: net.JoinHostPort(s.host, strconv.Itoa(s.port)), start: start, budget: budget}
		if err := c.negotiateVersions(ctx, sc); err != nil {
			return nil, err
		}
		if s.sasl != nil {
			if err := c.authenticate(ctx, sc); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// newError builds the CannotBind (or IncompatibleHostIPVersion) error of New.
func newError(code kafkaerr.Code, s *settings, phase string, cause error, start time.Time, budget time.Duration) error {
	if ke, ok := cause.(*kafkaerr.Error); ok {
		return ke // already typed: an incompatible literal, say
	}
	var others []error
	var detail string
	switch f := cause.(type) {
	case *dialFailure:
		cause, others, detail = f.explain(budget)
	case *handshakeFailure:
		cause, detail = f.err, f.detail
	}
	e := kafkaerr.New(code, "new", net.JoinHostPort(s.host, strconv.Itoa(s.port)), cause)
	e.Phase = phase
	e.Detail = detail
	e.Others = others
	e.Budget = budget
	e.Elapsed = time.Since(start)
	return e
}

// dialAll tries each address in turn until one connects, giving each the
// remaining time divided by the addresses left, so that one black-holed
// address cannot use up the budget of the ones after it.
func dialAll(ctx context.Context, addrs []netip.AddrPort, deadline time.Time, s *settings, dbg debugger) (*conn, netip.AddrPort, error) {
	f := &dialFailure{addrs: addrs}
	for i, ap := range addrs {
		if f.ended = endedBy(ctx, deadline); f.ended != nil {
			break
		}
		attemptStart := time.Now()
		share := deadline.Sub(attemptStart) / time.Duration(len(addrs)-i)
		c, err := dialOne(ctx, ap, attemptStart.Add(share), s)
		dbg.attempt(ap, err, time.Since(attemptStart))
		if err == nil {
			return c, ap, nil
		}
		f.errs = append(f.errs, err)
	}
	if f.ended == nil {
		f.ended = endedBy(ctx, deadline)
	}
	return nil, netip.AddrPort{}, f
}

// endedBy returns what has ended New, if anything: its context's error
// (cancelled, or its deadline seen by the context's timer), or
// os.ErrDeadlineExceeded once the deadline has passed and the timer has not
// fired yet.
func endedBy(ctx context.Context, deadline time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !time.Now().Before(deadline) {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// dialFailure carries every connect attempt's error from dialAll to
// newError, with what ended New when its budget ran out or its context was
// cancelled.
type dialFailure struct {
	addrs []netip.AddrPort // every address, in the order tried
	errs  []error          // one per attempt made, in order
	ended error            // set when New's budget or context ended the loop
}

func (f *dialFailure) Error() string { c, _, _ := f.explain(0); return c.Error() }
func (f *dialFailure) Unwrap() error { c, _, _ := f.explain(0); return c }

// explain picks New's cause, the other attempts, and a detail naming the
// attempt that New's end cut short. The cause is the first attempt's error,
// except when New's budget ran out or its context was cancelled after the
// first attempt had failed: then it is the attempt that the end cut short
// (or the attempt it kept from starting), so that errors.Is finds the
// deadline or the cancellation, and the detail says which one that was.
func (f *dialFailure) explain(budget time.Duration) (cause error, others []error, detail string) {
	n, tried := len(f.addrs), len(f.errs)
	if f.ended == nil || n == 1 {
		if tried == 0 { // ended before the only attempt
			return dialError(f.addrs[0], f.ended), nil, ""
		}
		return f.errs[0], f.errs[1:], ""
	}
	what := "New's " + budget.String() + " budget ran out"
	if errors.Is(f.ended, context.Canceled) {
		what = "New's context was cancelled"
	}
	last := tried - 1
	if tried > 0 && endedAttempt(f.errs[last], f.ended) {
		// The end came during the last attempt made.
		cause = f.errs[last]
		others = append(append(others, f.errs[:last]...), f.errs[last+1:]...)
		detail = fmt.Sprintf("%s during attempt %d of %d (%v)", what, tried, n, f.addrs[last])
	} else {
		// The last attempt failed on its own; the end came before the next.
		cause = dialError(f.addrs[tried], f.ended)
		others = f.errs
		detail = fmt.Sprintf("%s before attempt %d of %d (%v)", what, tried+1, n, f.addrs[tried])
	}
	if untried := n - tried - 1; untried > 0 {
		detail += fmt.Sprintf("; %d more not tried", untried)
	}
	return cause, others, detail
}

// endedAttempt reports whether an attempt's error is New's own end, the
// cancellation or the deadline that ended reports, rather than a failure of
// the attempt itself (its share of the budget running out, say, which is
// not New's end).
func endedAttempt(err, ended error) bool {
	if errors.Is(ended, context.Canceled) {
		return errors.Is(err, context.Canceled)
	}
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}
