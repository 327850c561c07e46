package kafkaio

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// op names a call in errors and logs.
type op string

const (
	opSend         op = "send"
	opReceive      op = "receive"
	opReceiveFrame op = "receive frame"
	opNew          op = "new"
	opRoundTrip    op = "round trip"
	// opReauthenticate names Reauthenticate's errors.
	opReauthenticate op = "reauthenticate"
)

// writes reports whether the operation sends: a Send, or a Write of the
// net.Conn view.
func (o op) writes() bool { return o == opSend || o == opWrite }

// errNoProgress is the cause when MaxRetries consecutive attempts moved no
// byte although the poller said the socket was ready.
var errNoProgress = errors.New("no progress after MaxRetries attempts")

// transfer is the state of one Send or Receive as the poller runs its step
// function. A call takes one from a pool and gives it back at its end, so
// that an idle IO carries none; the step functions and the cancellation
// hook are bound once per pooled transfer, so that a call hands the poller
// method values instead of new closures: that is what keeps Send and
// Receive free of allocations.
type transfer struct {
	conn    *IO
	sending bool // the transfer writes

	// Bound once, when the pool makes the transfer.
	sendStepFn  func(fd uintptr) bool
	recvStepFn  func(fd uintptr) bool
	checkPeerFn func(fd uintptr) // checkPeer, for the TLS Send's peer check
	onCancel    func()           // for context.AfterFunc: interrupts the wait
	cancelling  sync.WaitGroup   // counts an onCancel that may be running
	stopCancel  func() bool      // set by arm for a cancellable context

	// sec is the TLS stream that moves this direction's bytes, or nil on
	// a plaintext connection, where the step function runs on the socket.
	sec *tls.Conn
	// raw is, under TLS, the socket transfer of this direction beneath
	// sec, whose counters this call reports.
	raw *transfer

	deadline      time.Time // the armed deadline of the call in progress
	buf           []byte    // what this step function moves
	done          int       // bytes of buf moved so far
	need          int       // the loop ends once done >= need (len(buf) unless reading ahead)
	noWait        bool      // give up at the first EAGAIN instead of waiting
	lazy          bool      // buf is the IO\'s read buffer, taken only to read (see IO.fill)
	holdsRecv     bool      // a Send made by a RoundTrip, which holds the receive lock
	retries       int       // consecutive wake-ups that found nothing to move
	woke          bool      // the poller has woken this call since its last progress
	interrupts    int       // EINTRs seen; they are retried and not counted
	peerCheck     bool      // sendStep: check the peer has not closed, first
	checkFailed   bool      // that check found the peer gone
	unreadAtClose bool      // it did so behind unread bytes (see checkPeer)
	eof           bool      // the peer closed its side
	err           error     // the syscall error that ended the loop, if any
}

// transfers recycles the transfers of finished calls.
var transfers = sync.Pool{New: func() any { return newTransfer() }}

// newTransfer makes a transfer with its functions bound.
func newTransfer() *transfer {
	t := &transfer{}
	t.bindFuncs()
	return t
}

// bindFuncs binds the functions a call hands the poller and the context to
// t, once for the transfer's life.
func (t *transfer) bindFuncs() {
	t.sendStepFn, t.recvStepFn, t.checkPeerFn = t.sendStep, t.recvStep, t.checkPeer
	t.onCancel = func() {
		_ = t.setDeadline(aLongTimeAgo) // wakes the parked call at once
		t.cancelling.Done()
	}
}

// init binds a transfer that is not pooled, one of the socket transfers
// beneath a TLS stream, to c for good.
func (t *transfer) init(c *IO, sending bool) {
	t.bindFuncs()
	t.conn, t.sending = c, sending
}

// takeTransfer returns a transfer for a call of c in one direction. Give
// it back with put.
func (c *IO) takeTransfer(sending bool) *transfer {
	t := transfers.Get().(*transfer)
	t.bind(c, sending)
	return t
}

// bind points t at c's socket (or its TLS stream) in one direction.
func (t *transfer) bind(c *IO, sending bool) {
	t.conn, t.sending = c, sending
	t.sec, t.raw = nil, nil
	if c.sec != nil {
		t.sec, t.raw = c.sec.conn, &c.sec.raw.r
		if sending {
			t.raw = &c.sec.raw.w
		}
	}
}

// put gives t back to the pool, holding on to nothing of its call.
func (t *transfer) put() {
	t.conn, t.sec, t.raw, t.buf, t.err = nil, nil, nil, nil, nil
	transfers.Put(t)
}

// wait runs the step function in the runtime poller until it reports the
// loop is over, parking the goroutine while the socket is not ready.
func (t *transfer) wait() error {
	if t.sending {
		return t.conn.rc.Write(t.sendStepFn)
	}
	return t.conn.rc.Read(t.recvStepFn)
}

// setDeadline sets the deadline of this transfer's direction on the file.
func (t *transfer) setDeadline(d time.Time) error {
	if t.sending {
		return t.conn.f.SetWriteDeadline(d)
	}
	return t.conn.f.SetReadDeadline(d)
}

// run moves buf under deadline, cut short when ctx ends. It returns the
// poller's error (deadline passed, file closed); the loop's own outcome is
// in t.
func (t *transfer) run(ctx context.Context, deadline time.Time) error {
	if err := t.arm(ctx, deadline); err != nil {
		return err
	}
	err := t.move()
	t.disarm()
	return err
}

// move runs the loop on the connection's transport, under whatever
// deadline is armed: the step function in the poller on a plaintext
// socket, or the TLS stream over the same socket.
func (t *transfer) move() error {
	if t.sec != nil {
		return t.moveTLS()
	}
	return t.wait()
}

// arm sets the call's deadline on the socket and has ctx's cancellation
// move it into the past. A call that moves several buffers (ReceiveFrame)
// arms once and waits once per buffer. An already ended ctx fails the call
// before any byte moves. Every successful arm must be followed by disarm.
func (t *transfer) arm(ctx context.Context, deadline time.Time) error {
	if err := t.setDeadline(deadline); err != nil {
		return err
	}
	t.deadline = deadline
	if t.raw != nil {
		t.raw.deadline = deadline // for a write crypto/tls makes from this call (see rawConn.Write)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx.Done() != nil { // nothing to hook for a context that cannot end
		t.cancelling.Add(1)
		t.stopCancel = context.AfterFunc(ctx, t.onCancel)
	}
	return nil
}

// disarm unhooks ctx's cancellation. If the hook has already started it
// waits for it, so that the past deadline it sets cannot land on the next
// call.
func (t *transfer) disarm() {
	if t.stopCancel == nil {
		return
	}
	if t.stopCancel() {
		t.cancelling.Done() // onCancel will never run
	} else {
		t.cancelling.Wait()
	}
	t.stopCancel = nil
}

// reset prepares the transfer to move all of buf. Counters that describe
// the whole call (retries, interrupts) are kept when a call moves several
// buffers, as ReceiveFrame does; start clears them.
func (t *transfer) reset(buf []byte) {
	t.buf, t.done, t.need, t.eof, t.err = buf, 0, len(buf), false, nil
}

// start prepares the transfer for a new call.
func (t *transfer) start(buf []byte) {
	t.reset(buf)
	t.retries, t.interrupts, t.woke = 0, 0, false
	t.peerCheck, t.checkFailed, t.unreadAtClose, t.holdsRecv = false, false, false, false
	if t.raw != nil {
		t.raw.retries, t.raw.interrupts, t.raw.woke = 0, 0, false
	}
}

// failed reports whether the loop ended short of what it needed.
func (t *transfer) failed() bool { return t.eof || t.err != nil || t.done < t.need }

// sendStep writes as much of buf as the socket takes. It returns false to
// ask the poller to wait for writability, true when the loop is over
// (all written, or an error recorded in t).
func (t *transfer) sendStep(fd uintptr) bool {
	if t.peerCheck {
		t.peerCheck = false
		if t.checkPeer(fd); t.checkFailed {
			return true
		}
	}
	for t.done < t.need {
		n, err := sendNoSignal(int(fd), t.buf[t.done:])
		if !t.advance(n, err, false) {
			return t.err != nil || t.noWait
		}
	}
	return true
}

// checkPeer looks, without waiting, for a close or a reset from the peer
// that no unread byte is queued ahead of. A request written to a connection
// the broker already closed would be lost silently, so Send finds out
// before writing anything; what it finds is recorded in t.
//
// Unread bytes hide a close behind them from a peek, but not from the TCP
// state: a broker that closed after sending them has moved the connection
// to CLOSE_WAIT, and Kafka brokers never half-close. The case matters over
// TLS, where a broker that reaps an idle connection sends a close_notify
// alert before its FIN: the alert is unread data, and without the state a
// Send would write a request that can only be lost. Asking costs a second
// syscall, but only when unread bytes are queued. The check then fails as
// for a close it sees directly, and the IO closes: responses the broker
// sent before closing and nobody had read are discarded with it.
func (t *transfer) checkPeer(fd uintptr) {
	n, err := peekState(int(fd))
	switch {
	case n == 0 && err == nil:
		t.eof, t.checkFailed = true, true
	case err == unix.ECONNRESET:
		t.err, t.checkFailed = err, true
	case n > 0:
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil && info.State != tcpEstablished {
			t.eof, t.checkFailed, t.unreadAtClose = true, true, true
		}
	}
}

// recvStep reads into the rest of buf until it holds need bytes. Each read
// offers all of the rest, so a buffer longer than need reads ahead.
//
// A lazy fill (see IO.fill) starts without a buffer: the step takes the
// read buffer before reading and gives it back before waiting, as long as
// nothing has been read into it.
func (t *transfer) recvStep(fd uintptr) bool {
	for t.done < t.need {
		if t.lazy && t.buf == nil {
			t.takeBuffer()
		}
		n, err := recvInto(int(fd), t.buf[t.done:])
		if !t.advance(n, err, true) {
			if t.lazy && t.done == 0 {
				t.returnBuffer()
			}
			return t.err != nil || t.eof || t.noWait
		}
	}
	return true
}

// advance accounts for one syscall's result. It returns true to try again
// at once, false to stop trying for now: either to wait for readiness
// (t.err and t.eof unset) or because the loop is over.
func (t *transfer) advance(n int, err error, reading bool) bool {
	switch {
	case err == nil && n > 0:
		t.done += n
		t.retries, t.woke = 0, false
		return true
	case err == nil && reading: // a read of 0 bytes is EOF
		t.eof = true
		t.conn.dbg().eof(t.done)
		return false
	case err == unix.EINTR:
		t.interrupts++
		t.conn.dbg().interrupted(t.done, len(t.buf))
		return true
	case err == nil || err == unix.EAGAIN:
		// Nothing moved. The first time, that just means waiting for
		// readiness. Being woken to nothing MaxRetries times in a row
		// means the poller and the socket disagree, and spinning on would
		// burn a CPU.
		if t.woke {
			t.retries++
			if t.retries > MaxRetries {
				t.err = errNoProgress
				return false
			}
		}
		t.woke = true
		t.conn.dbg().wait(reading, t.done, len(t.buf), t.retries)
		return false
	default:
		t.err = err
		return false
	}
}
