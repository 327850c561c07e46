package kafkaio

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
	"golang.org/x/sys/unix"
)

// IO is one blocking connection to a Kafka broker.
//
// Send and Receive calls block until they have moved every byte, failed, or
// run out of time; each call has one deadline for the whole of it. After any
// Send or Receive failure the IO closes itself: the stream may be out of
// step, and a late response must never be read as the answer to the next
// request. Argument errors close nothing.
//
// Concurrency: one Send and one Receive (of any kind) may run at the same
// time from two goroutines, which is how a pipelining client uses a
// connection. Concurrent Sends are serialised, as are concurrent Receives,
// each call moving its bytes as one unit. Close, IsAlive and the accessors
// are safe at any time; Close unblocks calls in progress.
type IO struct {
	s      settings
	addr   string // "host:port" as connected, IPv6 in brackets
	local  string // the local "host:port", which tells connections apart in logs
	sock   *conn
	closed atomic.Bool
	once   sync.Once
	cerr   error

	wlock callLock // serialises senders; guards w
	w     transfer
	rlock callLock // serialises receivers; guards r and hdr
	r     transfer
	hdr   [4]byte // the size prefix ReceiveFrame reads

	dbg debugger
}

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

// localAddr returns the socket's local address for logs; "" if unknown.
func localAddr(c *conn) string {
	var local string
	_ = c.rc.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		if err != nil {
			return
		}
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			local = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
		case *unix.SockaddrInet6:
			local = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
		}
	})
	return local
}

// Addr returns the broker's address as connected, "host:port" with an IPv6
// host in brackets.
func (c *IO) Addr() string { return c.addr }

// LocalAddr returns the connection's local "host:port".
func (c *IO) LocalAddr() string { return c.local }

// Timeout returns the default budget of each Send and Receive call.
func (c *IO) Timeout() time.Duration { return c.s.timeout }

// Close closes the connection. It unblocks any Send or Receive in progress,
// which then fail with net.ErrClosed in the chain: kafkaerr.NoConnection if
// nothing of that call had moved yet, CannotSend or CannotRecv if some of it
// had. Close is idempotent: later calls return the first call's result.
func (c *IO) Close() error {
	c.once.Do(func() {
		c.closed.Store(true)
		c.cerr = c.sock.f.Close()
		c.dbg.closed()
	})
	return c.cerr
}

// IsAlive reports whether the connection is open, has no pending error,
// and the peer has neither closed nor reset it. It never waits and never
// opens a second connection.
//
// It asks the kernel for the connection's TCP state (TCP_INFO) instead of
// reading SO_ERROR or peeking: both of those clear a pending error, so a
// reset seen by IsAlive would reach the next Receive as a plain EOF. A peer
// that sent FIN leaves the state ESTABLISHED for CLOSE_WAIT, a reset or
// socket error for CLOSE: only ESTABLISHED is alive.
func (c *IO) IsAlive() bool {
	if c.closed.Load() {
		return false
	}
	alive := false
	err := c.sock.rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		alive = err == nil && info.State == tcpEstablished
	})
	return err == nil && alive
}

// tcpEstablished is Linux's TCP_ESTABLISHED state in tcp_info.
const tcpEstablished = 1
