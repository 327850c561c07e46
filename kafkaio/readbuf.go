package kafkaio

import (
	"context"
	"sync"
	"time"
)

// Reading ahead. A receive asks the socket for as much as fits in the IO's
// read buffer, not only for the bytes it needs, so that one syscall brings
// in the rest of a frame and the frames behind it: a pipelining client then
// reads dozens of small responses per syscall, as a bufio.Reader does, and
// a response already in the buffer is returned without any syscall or
// deadline at all. What reading ahead must not change:
//
//   - Bytes come out in order and exactly as asked: every receive returns
//     the buffered bytes first.
//   - A response that arrives after its receive gave up is never returned:
//     a failed receive closes the IO, and the buffer goes with it.
//   - An idle connection holds no buffer: it is taken from a pool when a
//     receive needs one and given back when the receive leaves it empty.
//   - Bytes larger than the buffer go straight into the caller's memory,
//     read exactly, so that a large response is copied once, by the kernel.

// readBufSize is the read-ahead buffer's size: room for dozens of small
// responses, and for a whole TLS record (16 KiB of plaintext).
const readBufSize = 16 << 10

// readBufs recycles read buffers between receives of every IO.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// readBuf holds bytes read from the connection and not yet returned:
// b[r:w]. It is guarded by the IO's receive lock.
type readBuf struct {
	b    *[readBufSize]byte // nil while empty
	r, w int32
}

// recvCall is one receive in progress. It fixes its deadline, and takes
// and arms a transfer, only when it first has to wait: a receive the
// buffer serves reads no clock and makes no syscall.
type recvCall struct {
	c        *IO
	what     op
	ctx      context.Context
	fixed    bool      // cl.start, cl.budget and deadline are set
	deadline time.Time // zero: none (a net.Conn view without a deadline)
	cl       call
	t        *transfer // nil until the call needs the socket
	waitErr  error     // what ended the last move, for fail
}

// fix sets the call's start and deadline, once: the IO's timeout from now,
// or ctx's deadline. A view's call comes with its deadline and sets only
// its start.
func (rc *recvCall) fix() {
	switch {
	case !rc.fixed:
		rc.fixed = true
		rc.cl.start = time.Now()
		rc.deadline, rc.cl.budget = callDeadline(rc.ctx, rc.cl.start, rc.c.timeout)
	case rc.cl.start.IsZero(): // a view's call: its deadline came with it
		rc.cl.start = time.Now()
		if !rc.deadline.IsZero() {
			rc.cl.budget = max(rc.deadline.Sub(rc.cl.start), 0)
		}
	}
}

// newRecv returns a receive of total bytes (4 for a frame, as far as it
// knows), to be started with lockRecv.
func newRecv(c *IO, ctx context.Context, what op, total int) recvCall {
	return recvCall{c: c, what: what, ctx: ctx, cl: call{total: total}}
}

// lockRecv starts rc: it takes the receive side, waiting within the
// call's deadline if another receive holds it, and refuses a closed IO or
// an ended context. The uncontended path reads no clock; a call that has
// to queue fixes its deadline first, since the whole-call deadline
// includes the wait for its turn. On success the caller holds the receive
// lock and ends the call with finishRecv or failRecv.
func (c *IO) lockRecv(rc *recvCall) error {
	if !c.rlock.held.CompareAndSwap(false, true) {
		rc.fix()
		if err := c.rlock.wait(rc.ctx, rc.deadline); err != nil {
			return c.failQueued(rc.ctx, rc.what, err, rc.cl)
		}
	}
	if c.closed.Load() {
		c.rlock.release()
		return c.dbg().fail(c.closedError(rc.what, rc.cl.total))
	}
	if rc.ctx.Done() != nil {
		if err := rc.ctx.Err(); err != nil { // ended before any byte moved
			rc.fix()
			rc.waitErr = err
			return c.failRecv(rc)
		}
	}
	return nil
}

// finishRecv ends a receive that succeeded.
func (c *IO) finishRecv(rc *recvCall) {
	rc.end()
	c.rlock.release()
}

// failRecv ends a receive that failed: the error closes the IO (see fail),
// and whatever was read ahead is discarded with it.
func (c *IO) failRecv(rc *recvCall) error {
	t := rc.t
	if t == nil {
		t = &transfer{} // the call failed before it needed the socket
	}
	rc.fix()
	err := c.fail(rc.ctx, rc.what, t, rc.waitErr, rc.cl)
	rc.end()
	c.dropBuffer()
	c.rlock.release()
	return err
}

// take copies buffered bytes into p and returns how many, giving the
// buffer back once it is empty.
func (c *IO) take(p []byte) int {
	rb := &c.rb
	if rb.b == nil {
		return 0
	}
	n := copy(p, rb.b[rb.r:rb.w])
	rb.r += int32(n)
	if rb.r == rb.w {
		c.dropBuffer()
	}
	return n
}

// dropBuffer gives the read buffer back to the pool, with whatever it held.
func (c *IO) dropBuffer() {
	rb := &c.rb
	if rb.b != nil {
		readBufs.Put(rb.b)
		rb.b, rb.r, rb.w = nil, 0, 0
		c.buffered.Store(false)
	}
}

// len is how many bytes the read buffer holds.
func (rb *readBuf) len() int { return int(rb.w - rb.r) }

// arm takes the call's transfer and arms its deadline and cancellation on
// the socket, the first time the call needs the socket.
func (rc *recvCall) arm() error {
	if rc.t != nil {
		return nil
	}
	rc.fix()
	rc.t = rc.c.takeTransfer(false)
	rc.t.start(nil)
	return rc.t.arm(rc.ctx, rc.deadline)
}

// end disarms and returns the call's transfer, if it took one.
func (rc *recvCall) end() {
	if rc.t != nil {
		rc.t.disarm()
		rc.t.put()
		rc.t = nil
	}
}

// readFull fills p: the buffered bytes first, then from the socket, reading
// ahead into the buffer unless what is missing is at least a buffer's worth,
// which goes straight into p. It returns how many bytes of p it filled; on
// a failure rc.waitErr and rc.t say what ended it.
func (rc *recvCall) readFull(p []byte) (int, bool) {
	c := rc.c
	got := c.take(p)
	for got < len(p) {
		if err := rc.arm(); err != nil {
			rc.waitErr = err
			return got, false
		}
		t, rest := rc.t, p[got:]
		c.waiting.Store(true)
		if len(rest) >= readBufSize {
			t.reset(rest)
			rc.waitErr = t.move()
			got += t.done
		} else {
			rc.waitErr = c.fill(t, len(rest))
			got += c.take(rest)
		}
		c.waiting.Store(false)
		if t.done > 0 {
			c.answered = true
		}
		if rc.waitErr != nil || t.failed() {
			return got, false
		}
	}
	return got, true
}

// readSome reads what is there into p, at least one byte: the buffered
// bytes if any, else one read from the socket (into p itself when p is at
// least a buffer long). It is net.Conn's Read.
func (rc *recvCall) readSome(p []byte) (int, bool) {
	c := rc.c
	if n := c.take(p); n > 0 {
		return n, true
	}
	if err := rc.arm(); err != nil {
		rc.waitErr = err
		return 0, false
	}
	t := rc.t
	var n int
	c.waiting.Store(true)
	if len(p) >= readBufSize {
		t.reset(p)
		t.need = 1
		rc.waitErr = t.move()
		n = t.done
	} else {
		rc.waitErr = c.fill(t, 1)
		n = c.take(p)
	}
	c.waiting.Store(false)
	if t.done > 0 {
		c.answered = true
	}
	return n, rc.waitErr == nil && !t.failed()
}

// fill reads from the socket until the buffer holds at least need bytes
// (need is less than readBufSize), offering the socket all the room the
// buffer has. A failure leaves what did arrive in the buffer.
//
// An empty buffer is not held while the call waits: on a plaintext
// connection the step function takes it from the pool just before each
// read and gives it back when the socket has nothing, so that a receive
// parked on an idle connection (a pipelining client's reader, always
// waiting) holds no buffer. TLS reads through crypto/tls, which is handed
// the buffer once.
func (c *IO) fill(t *transfer, need int) error {
	rb := &c.rb
	if rb.b == nil && c.sec == nil {
		t.reset(nil)
		t.need, t.lazy = need, true
		err := t.move()
		t.lazy = false
		rb.w = int32(t.done)
		if rb.len() > 0 {
			c.buffered.Store(true)
		}
		return err
	}
	if rb.b == nil {
		rb.b = readBufs.Get().(*[readBufSize]byte)
	}
	if int(rb.r)+need > readBufSize {
		rb.w = int32(copy(rb.b[:], rb.b[rb.r:rb.w]))
		rb.r = 0
	}
	t.reset(rb.b[rb.w:])
	t.need = need - rb.len()
	err := t.move()
	rb.w += int32(t.done)
	if rb.len() > 0 {
		c.buffered.Store(true)
	}
	return err
}

// takeBuffer gives an empty read buffer to a lazy fill's step function.
func (t *transfer) takeBuffer() {
	rb := &t.conn.rb
	rb.b, rb.r, rb.w = readBufs.Get().(*[readBufSize]byte), 0, 0
	t.buf = rb.b[:]
}

// returnBuffer gives it back while the fill waits with nothing read.
func (t *transfer) returnBuffer() {
	rb := &t.conn.rb
	readBufs.Put(rb.b)
	rb.b, t.buf = nil, nil
}
