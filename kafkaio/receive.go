package kafkaio

import (
	"context"
	"encoding/binary"
	"strconv"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// Receive reads exactly n bytes within the IO's timeout. See ReceiveContext.
func (c *IO) Receive(n int) ([]byte, error) {
	return c.ReceiveContext(context.Background(), n)
}

// ReceiveContext reads exactly n bytes before the call's deadline (ctx's
// when it has one, otherwise the IO's timeout from now) and returns them in
// a new slice. Bytes the IO has already read ahead come first (see IO).
//
// EOF, a reset or a Close before the first byte is kafkaerr.NoConnection
// with Op "receive": no byte of the response arrived, but the request it
// answers was written by an earlier Send and may have been carried out, so
// only an idempotent request may be sent again on a new connection. Any
// other failure, including EOF part way and every timeout, is
// kafkaerr.CannotRecv with the bytes received so far counted in the error.
// Either way the IO is closed and no bytes are returned. n <= 0, n over
// Config.MaxResponseBytes, or a nil ctx is kafkaerr.MismatchArgument and
// leaves the IO as it was.
func (c *IO) ReceiveContext(ctx context.Context, n int) ([]byte, error) {
	if ctx == nil {
		return nil, c.dbg().fail(errNilContext(opReceive))
	}
	if n <= 0 || n > int(c.maxResp) {
		return nil, c.dbg().fail(kafkaerr.Argument(string(opReceive),
			"length "+strconv.Itoa(n)+" is outside 1.."+strconv.Itoa(int(c.maxResp))))
	}
	if c.closed.Load() { // spare the allocation; receive checks again
		return nil, c.dbg().fail(c.closedError(opReceive, n))
	}
	p := make([]byte, n)
	if err := c.receive(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// ReceiveInto fills p completely, as ReceiveContext does for len(p) bytes,
// without allocating (a cancellable ctx adds context.AfterFunc's two when
// the call has to wait). A nil or empty p, or a nil ctx, is
// kafkaerr.MismatchArgument.
func (c *IO) ReceiveInto(ctx context.Context, p []byte) error {
	if ctx == nil {
		return c.dbg().fail(errNilContext(opReceive))
	}
	if len(p) == 0 {
		return c.dbg().fail(kafkaerr.Argument(string(opReceive), "buffer is nil or empty"))
	}
	return c.receive(ctx, p)
}

// receive fills p under one deadline, holding the receive lock.
func (c *IO) receive(ctx context.Context, p []byte) error {
	rc := newRecv(c, ctx, opReceive, len(p))
	if err := c.lockRecv(&rc); err != nil {
		return err
	}
	got, ok := rc.readFull(p)
	c.dbg().dump(false, p[:got], false)
	if !ok {
		rc.cl.done = got
		return c.failRecv(&rc)
	}
	c.finishRecv(&rc)
	return nil
}

// ReceiveFrame reads one Kafka response: an int32 big-endian size, then
// that many bytes, all under one deadline (ctx's, or the IO's timeout). It
// returns the body without the size, in dst when cap(dst) is large enough
// (no allocation, for a ctx that cannot be cancelled) and in a new slice
// otherwise. A response the IO has already read ahead is returned at once,
// without a syscall.
//
// A size that cannot be a Kafka response (negative, under 4 bytes for the
// correlation id, or over Config.MaxResponseBytes) is kafkaerr.CannotRecv
// whose message says what the four bytes look like, a TLS record or an HTTP
// reply, say: the usual sign of a wrong port. It closes the IO, as every
// receive failure does; EOF before the first byte is kafkaerr.NoConnection.
// A nil ctx is kafkaerr.MismatchArgument and leaves the IO as it was.
func (c *IO) ReceiveFrame(ctx context.Context, dst []byte) ([]byte, error) {
	if ctx == nil {
		return nil, c.dbg().fail(errNilContext(opReceiveFrame))
	}
	rc := newRecv(c, ctx, opReceiveFrame, 4)
	if err := c.lockRecv(&rc); err != nil {
		return nil, err
	}
	return c.receiveFrame(&rc, dst)
}

// receiveFrame reads one response frame for rc, which holds the receive
// lock; it ends the call, releasing the lock.
func (c *IO) receiveFrame(rc *recvCall, dst []byte) ([]byte, error) {
	if body, ok := c.bufferedFrame(dst); ok {
		c.finishRecv(rc)
		return body, nil
	}
	hdr := c.hdr[:] // a field: a local would escape through the transfer
	got, ok := rc.readFull(hdr)
	c.dbg().dump(false, hdr[:got], true)
	if !ok {
		rc.cl.done = got
		return nil, c.failRecv(rc)
	}
	size := int32(binary.BigEndian.Uint32(hdr))
	if size < 4 || size > c.maxResp {
		rc.cl.done = 4
		rc.cl = rc.cl.badFrame(c.hdr, size, int(c.maxResp))
		return nil, c.failRecv(rc)
	}
	body := dst[:0]
	if cap(body) < int(size) {
		body = make([]byte, size)
	}
	body = body[:size]
	rc.cl.total = 4 + int(size)
	got, ok = rc.readFull(body)
	c.dbg().dump(false, body[:got], false)
	if !ok {
		rc.cl.done = 4 + got
		return nil, c.failRecv(rc)
	}
	c.finishRecv(rc)
	return body, nil
}

// bufferedFrame returns the next frame when the read buffer holds all of
// it and it fits in dst: the pipelining client's common case, served with
// two copies and no syscall. Anything else, a bad size included, goes the
// general way.
func (c *IO) bufferedFrame(dst []byte) ([]byte, bool) {
	rb := &c.rb
	if rb.len() < 4 {
		return nil, false
	}
	size := int32(binary.BigEndian.Uint32(rb.b[rb.r:]))
	if size < 4 || size > c.maxResp || int(size) > cap(dst) || int(size) > rb.len()-4 {
		return nil, false
	}
	frame := rb.b[rb.r : rb.r+4+size]
	body := dst[:size]
	copy(body, frame[4:])
	rb.r += 4 + size
	if debugModule.Level() >= 2 {
		c.dbg().dump(false, frame[:4], true)
		c.dbg().dump(false, body, false)
	}
	if rb.r == rb.w {
		c.dropBuffer()
	}
	return body, true
}
