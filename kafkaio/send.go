package kafkaio

import (
	"context"
	"strconv"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// Send writes all of msg within the IO's timeout and returns len(msg). See
// SendContext.
func (c *IO) Send(msg []byte) (int, error) {
	return c.SendContext(context.Background(), msg)
}

// SendContext writes all of msg, a complete Kafka request, before the
// call's deadline: ctx's deadline when it has one, otherwise the IO's
// timeout from now. Cancelling ctx aborts the call.
//
// It first peeks at the connection without waiting: a peer that has
// already closed or reset it (a broker that reaped an idle connection, say)
// fails the call before any byte is written, as kafkaerr.NoConnection with
// Op "send": nothing of the request was written, so reconnecting and
// sending it again is safe. The peek sees a close
// only when no unread response is queued ahead of it. Any later failure
// is kafkaerr.CannotSend with the number of bytes written. Either way the
// IO is closed. An empty message or one over MaxRequestBytes is
// kafkaerr.MismatchArgument and leaves the IO as it was, as does a nil ctx.
//
// On error, n is the number of bytes the kernel accepted.
func (c *IO) SendContext(ctx context.Context, msg []byte) (n int, err error) {
	if err := checkMessage(opSend, ctx, msg); err != nil {
		return 0, c.dbg().fail(err)
	}
	cl, deadline, err := c.begin(ctx, opSend, &c.wlock, len(msg))
	if err != nil {
		return 0, err
	}
	defer c.wlock.release()
	return c.send(ctx, msg, cl, deadline, false)
}

// checkMessage refuses what no Send may write, as an argument of what.
func checkMessage(what op, ctx context.Context, msg []byte) error {
	switch {
	case ctx == nil:
		return errNilContext(what)
	case len(msg) == 0:
		return kafkaerr.Argument(string(what), "message is empty")
	case len(msg) > MaxRequestBytes:
		return kafkaerr.Argument(string(what),
			"message of "+strconv.Itoa(len(msg))+" bytes is over MaxRequestBytes ("+strconv.Itoa(MaxRequestBytes)+")")
	}
	return nil
}

// send writes msg before deadline, holding the send lock, and the receive
// lock too when holdsRecv says so (RoundTrip).
func (c *IO) send(ctx context.Context, msg []byte, cl call, deadline time.Time, holdsRecv bool) (int, error) {
	c.dbg().dump(true, msg, true)
	t := c.takeTransfer(true)
	defer t.put()
	t.start(msg)
	t.holdsRecv = holdsRecv
	// The peek is spared when it could not tell more than is known: bytes
	// read ahead and not yet returned are a response queued ahead of any
	// close, as unread bytes in the kernel are, which the peek cannot see
	// past; and a receive reading from the socket at this moment sees a
	// close itself, as EOF or a reset, and closes the IO, so that this
	// Send fails without writing (only a close that arrives while that
	// receive is waking up slips past, as one arriving just after a peek
	// does). That keeps a pipelining client, whose reader is always
	// waiting, from paying a syscall per request for the check.
	t.peerCheck = !c.buffered.Load() && !c.waiting.Load()
	waitErr := t.run(ctx, deadline)
	if waitErr == nil && !t.failed() {
		return len(msg), nil
	}
	cl.done = t.done
	return t.done, c.fail(ctx, opSend, t, waitErr, cl)
}
