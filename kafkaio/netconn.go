package kafkaio

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// NetConn returns a net.Conn over the IO's connection: plaintext, or the
// TLS stream, with SASL already done if Config asked for it. It is how a Go
// Kafka client that takes a dial function (franz-go, sarama, kafka-go; see
// Dialer) runs on kafkaio, and gets its deadlines, typed errors and
// KAFKA_DEBUG=IO:2 dumps.
//
// The view follows net.Conn's contract, not the IO's call budget:
//
//   - Read waits for at least one byte and returns what is there, up to
//     len(p): bytes the IO has read ahead first, then one read from the
//     connection. Write writes all of p.
//   - SetDeadline, SetReadDeadline and SetWriteDeadline take absolute
//     times; the zero time means no deadline; a change applies at once to
//     a Read or Write waiting on the connection (one queued behind another
//     Read or Write of the view picks it up when its turn comes).
//   - LocalAddr and RemoteAddr are *net.TCPAddr.
//   - Errors are *kafkaerr.Error (so net.Error, with Timeout and
//     os.ErrDeadlineExceeded for a deadline that passed, and io.EOF in the
//     chain at the end of the stream), with Op "read" or "write".
//
// The IO's rule stays: after a failed Read or Write, a timeout included,
// the connection is closed, and every later call fails with
// kafkaerr.NoConnection. The clients above close a connection on any error
// anyway. Write does not run Send's peer check. Close closes the IO. Every
// chunk the view moves is dumped at KAFKA_DEBUG=IO:2, with SASL frames
// redacted whoever sends them. A waiting Read or Write parks its goroutine
// in the runtime poller, and neither allocates.
//
// Each call returns a new view without deadlines; use one at a time, and
// do not mix the view with the IO's own Send and Receive calls.
func (c *IO) NetConn() net.Conn {
	return &netConn{c: c, laddr: c.localTCPAddr(), raddr: c.remoteTCPAddr()}
}

// netConn is the net.Conn view of an IO.
type netConn struct {
	c            *IO
	laddr, raddr *net.TCPAddr

	// mu guards the deadlines, and is held while one is put on the
	// socket, by a setter or by a call about to wait.
	mu sync.Mutex
	rd time.Time
	wd time.Time
}

// The view's operations, as its errors name them.
const (
	opRead  op = "read"
	opWrite op = "write"
)

// Read reads at least one byte into p, as net.Conn's Read does.
func (v *netConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c := v.c
	v.mu.Lock()
	deadline := v.rd
	v.mu.Unlock()
	rc := recvCall{c: c, what: opRead, ctx: context.Background(), fixed: true, deadline: deadline}
	rc.cl.total = len(p)
	if err := c.lockRecv(&rc); err != nil {
		return 0, err
	}
	if c.rb.len() == 0 {
		// The socket is needed: arm the deadline under the view's lock,
		// so that a SetReadDeadline made meanwhile either comes first and
		// is the one armed, or comes after and replaces it on the socket.
		v.mu.Lock()
		rc.deadline = v.rd
		err := rc.arm()
		v.mu.Unlock()
		if err != nil {
			rc.waitErr = err
			return 0, c.failRecv(&rc)
		}
	}
	n, ok := rc.readSome(p)
	c.dbg().dump(false, p[:n], false)
	if !ok {
		rc.cl.done = n
		return n, c.failRecv(&rc)
	}
	c.finishRecv(&rc)
	return n, nil
}

// Write writes all of p, as net.Conn's Write does.
func (v *netConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c := v.c
	v.mu.Lock()
	deadline := v.wd
	v.mu.Unlock()
	start := time.Now()
	cl := call{start: start, total: len(p)}
	if !deadline.IsZero() {
		cl.budget = max(deadline.Sub(start), 0)
	}
	ctx := context.Background()
	if err := c.wlock.acquire(ctx, deadline); err != nil {
		return 0, c.failQueued(ctx, opWrite, err, cl)
	}
	defer c.wlock.release()
	if c.closed.Load() {
		return 0, c.dbg().fail(c.closedError(opWrite, len(p)))
	}
	c.dbg().dump(true, p, false)
	t := c.takeTransfer(true)
	defer t.put()
	t.start(p)
	// Armed under the view's lock, for the reason Read's is.
	v.mu.Lock()
	waitErr := t.arm(ctx, v.wd)
	v.mu.Unlock()
	if waitErr == nil {
		waitErr = t.move()
		t.disarm()
	}
	if waitErr == nil && !t.failed() {
		return len(p), nil
	}
	cl.done = t.done
	return t.done, c.fail(ctx, opWrite, t, waitErr, cl)
}

// Close closes the IO.
func (v *netConn) Close() error { return v.c.Close() }

// LocalAddr returns the connection's local address.
func (v *netConn) LocalAddr() net.Addr { return v.laddr }

// RemoteAddr returns the broker's address.
func (v *netConn) RemoteAddr() net.Addr { return v.raddr }

// SetDeadline sets the read and the write deadline.
func (v *netConn) SetDeadline(t time.Time) error {
	if err := v.SetReadDeadline(t); err != nil {
		return err
	}
	return v.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline of Reads, and of the one waiting now.
func (v *netConn) SetReadDeadline(t time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rd = t
	if err := v.usable(); err != nil {
		return err
	}
	return v.deadlineError(v.c.f.SetReadDeadline(t))
}

// SetWriteDeadline sets the deadline of Writes, and of the one waiting now.
func (v *netConn) SetWriteDeadline(t time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.wd = t
	if err := v.usable(); err != nil {
		return err
	}
	return v.deadlineError(v.c.f.SetWriteDeadline(t))
}

// opSetDeadline names the deadline setters in errors.
const opSetDeadline op = "set deadline"

// usable refuses a closed IO, as net.Conn's setters do. The deadline goes
// on the socket's file itself, where a waiting call sees it at once (each
// call also arms its own when it needs the socket).
func (v *netConn) usable() error {
	if v.c.closed.Load() {
		return v.c.dbg().fail(v.c.closedError(opSetDeadline, 0))
	}
	return nil
}

// deadlineError types an error of the file's deadline setter.
func (v *netConn) deadlineError(err error) error {
	if err != nil {
		return kafkaerr.New(kafkaerr.NoConnection, string(opSetDeadline), v.c.Addr(), err)
	}
	return nil
}
