package kafkaio

import (
	"context"
	"net"
	"net/netip"
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
// other attempts in its Others; a literal address of the wrong family is
// kafkaerr.IncompatibleHostIPVersion; an invalid Config is
// kafkaerr.MismatchArgument.
func NewContext(ctx context.Context, cfg Config) (*IO, error) {
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
	c := &IO{s: s, addr: ap.String(), sock: sock, local: localAddr(sock), wlock: newCallLock(), rlock: newCallLock()}
	c.dbg = dbg.connected(c.addr, c.local)
	c.w.init(c, opSend)
	c.r.init(c, opReceive)
	return c, nil
}

// newError builds the CannotBind (or IncompatibleHostIPVersion) error of New.
func newError(code kafkaerr.Code, s *settings, phase string, cause error, start time.Time, budget time.Duration) error {
	if ke, ok := cause.(*kafkaerr.Error); ok {
		return ke // already typed: an incompatible literal, say
	}
	var others []error
	if m, ok := cause.(*multiError); ok {
		cause, others = m.errs[0], m.errs[1:]
	}
	e := kafkaerr.New(code, "new", net.JoinHostPort(s.host, strconv.Itoa(s.port)), cause)
	e.Phase = phase
	e.Others = others
	e.Budget = budget
	e.Elapsed = time.Since(start)
	return e
}

// dialAll tries each address in turn until one connects, giving each the
// remaining time divided by the addresses left, so that one black-holed
// address cannot use up the budget of the ones after it.
func dialAll(ctx context.Context, addrs []netip.AddrPort, deadline time.Time, s *settings, dbg debugger) (*conn, netip.AddrPort, error) {
	var errs []error
	for i, ap := range addrs {
		if ctx.Err() != nil {
			if len(errs) == 0 { // the budget ended before any attempt
				errs = append(errs, dialError(ap, ctx.Err()))
			}
			break
		}
		attemptStart := time.Now()
		share := deadline.Sub(attemptStart) / time.Duration(len(addrs)-i)
		c, err := dialOne(ctx, ap, attemptStart.Add(share), s)
		dbg.attempt(ap, err, time.Since(attemptStart))
		if err == nil {
			return c, ap, nil
		}
		errs = append(errs, err)
	}
	return nil, netip.AddrPort{}, &multiError{errs: errs}
}

// multiError carries every connect attempt's error from dialAll to newError.
type multiError struct{ errs []error }

func (m *multiError) Error() string { return m.errs[0].Error() }
func (m *multiError) Unwrap() error { return m.errs[0] }
