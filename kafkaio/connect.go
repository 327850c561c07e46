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
	case *attempts:
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
	f := &attempts{what: "New", labels: make([]string, len(addrs))}
	for i, ap := range addrs {
		f.labels[i] = ap.String()
	}
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
	f.notStarted = func(i int, ended error) error { return dialError(addrs[i], ended) }
	return nil, netip.AddrPort{}, f
}

// endedBy returns what has ended a budget, if anything: its context's error
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

// attempts carries the errors of tries made in turn under one budget (New's
// connects to each address, Bootstrap's to each broker) to the error that
// reports them, with what ended the budget when it ran out or its context
// was cancelled.
type attempts struct {
	what       string   // whose budget: "New", "Bootstrap"
	labels     []string // what each try was, in order: an address, a broker
	errs       []error  // one per try made, in order
	ended      error    // set when the budget or its context ended the tries
	notStarted func(i int, ended error) error
}

func (f *attempts) Error() string { c, _, _ := f.explain(0); return c.Error() }
func (f *attempts) Unwrap() error { c, _, _ := f.explain(0); return c }

// explain picks the cause, the other tries' errors, and a detail naming the
// try that the end cut short. The cause is the first try's error, except
// when the budget ran out or its context was cancelled after the first try
// had failed: then it is the try that the end cut short (or the one it kept
// from starting), so that errors.Is finds the deadline or the cancellation,
// and the detail says which one that was.
func (f *attempts) explain(budget time.Duration) (cause error, others []error, detail string) {
	n, tried := len(f.labels), len(f.errs)
	if f.ended == nil || n == 1 {
		if tried == 0 { // ended before the only try
			return f.notStarted(0, f.ended), nil, ""
		}
		return f.errs[0], f.errs[1:], ""
	}
	what := f.what + "'s " + budget.String() + " budget ran out"
	if errors.Is(f.ended, context.Canceled) {
		what = f.what + "'s context was cancelled"
	}
	last := tried - 1
	untried := n - tried // the tries never made
	if tried > 0 && endedAttempt(f.errs[last], f.ended) {
		// The end came during the last try made.
		cause = f.errs[last]
		others = f.errs[:last]
		detail = fmt.Sprintf("%s during attempt %d of %d (%s)", what, tried, n, f.labels[last])
	} else {
		// The last try failed on its own; the end came before the next.
		cause = f.notStarted(tried, f.ended)
		others = f.errs
		detail = fmt.Sprintf("%s before attempt %d of %d (%s)", what, tried+1, n, f.labels[tried])
		untried-- // that one is named already
	}
	if untried > 0 {
		detail += fmt.Sprintf("; %d more not tried", untried)
	}
	return cause, others, detail
}

// endedAttempt reports whether a try's error is the budget's own end, the
// cancellation or the deadline that ended reports, rather than a failure of
// the try itself (its share of the budget running out, say, which is not
// the budget's end).
func endedAttempt(err, ended error) bool {
	if errors.Is(ended, context.Canceled) {
		return errors.Is(err, context.Canceled)
	}
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}
