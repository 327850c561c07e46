package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// call describes one Send or Receive for its error message.
type call struct {
	start  time.Time
	budget time.Duration
	done   int    // bytes of the call moved (returned, for a receive) before it failed
	total  int    // bytes the call has to move, as far as it knows
	detail string // set for a bad frame size
	phase  string // overrides the phase classify would name
}

// fail turns the end of a failed transfer into a typed error and closes
// the IO: after a partial or timed-out exchange the next bytes on the
// stream may belong to an answer the caller gave up on.
func (c *IO) fail(ctx context.Context, what op, t *transfer, waitErr error, cl call) error {
	code, phase, cause := c.classify(ctx, what, t, waitErr, cl)
	if cl.phase != "" {
		phase = cl.phase
	}
	e := kafkaerr.New(code, string(what), c.Addr(), cause)
	e.Phase = phase
	e.Detail = cl.detail
	if code == kafkaerr.NoConnection {
		e.Detail = noConnectionDetail(what, c.closeReason())
		if !what.writes() && !c.answered && !c.closed.Load() {
			e.Detail = c.unansweredHint() + "; " + e.Detail
		}
		if t.unreadAtClose {
			e.Detail = "the broker has closed the connection (its TCP state is CLOSE_WAIT), " +
				"behind bytes it sent before and nobody read (a TLS close_notify, or responses, which are discarded); " + e.Detail
		}
	}
	e.Done = cl.done
	e.Total = cl.total
	e.Budget = cl.budget
	e.Retries = t.retries
	e.Interrupts = t.interrupts
	e.Elapsed = time.Since(cl.start)
	c.close(failureReason(e))
	return c.dbg().fail(e)
}

// noConnectionDetail says what a NoConnection of operation what means for
// the request, which differs by direction: a Send that moved nothing wrote
// nothing, while a Receive's request was written by an earlier Send and may
// have been carried out. closed is why the IO had closed, when it had.
func noConnectionDetail(what op, closed string) string {
	d := "no byte of the response arrived; its request was already sent and may have been carried out: " +
		"resend it on a new connection only if it is idempotent"
	if what.writes() {
		d = "nothing of the request was written: sending it again on a new connection is safe"
	}
	if closed != "" {
		d = "the IO had closed (" + closed + "); " + d
	}
	return d
}

// unansweredHint explains a connection the broker closed before sending
// a single byte on it: the usual sign of a listener that wants another
// protocol, which a blind reconnect would only repeat.
func (c *IO) unansweredHint() string {
	const closed = "the broker closed the connection before sending a single byte on it: "
	if c.sec == nil {
		return closed + "a TLS listener does that to a plaintext client (set Config.TLS), " +
			"a SASL listener to an unauthenticated request (set Config.SASL), and any broker to a request it cannot read"
	}
	return closed + "a SASL listener does that to an unauthenticated request (set Config.SASL), " +
		"and any broker to a request it cannot read"
}

// failureReason is the short account of a failure that a closed IO gives
// later calls: the operation, its phase and the cause.
func failureReason(e *kafkaerr.Error) string {
	why := e.Detail
	if e.Err != nil {
		why = e.Err.Error()
	}
	return fmt.Sprintf("%s failed (%s): %s", e.Op, e.Phase, why)
}

// failQueued reports a call that timed out or was cancelled while queued
// behind another call of the same direction. It closes the IO like any
// other failure: a Receive that gives up has abandoned a response that
// would otherwise be read as the answer to the next one.
func (c *IO) failQueued(ctx context.Context, what op, waitErr error, cl call) error {
	cl.phase = "queued behind another " + string(what)
	return c.fail(ctx, what, &transfer{}, waitErr, cl)
}

// classify picks the code, phase and cause of a failed transfer. Its order
// matters: a local Close explains any error that follows it, and a
// cancelled context explains the deadline the cancellation set.
func (c *IO) classify(ctx context.Context, what op, t *transfer, waitErr error, cl call) (kafkaerr.Code, string, error) {
	failCode := kafkaerr.CannotRecv
	syscallName, waitPhase := "recv", "wait readable"
	if what.writes() {
		failCode, syscallName, waitPhase = kafkaerr.CannotSend, "send", "wait writable"
	}
	done := cl.done
	// "Nothing moved and the peer is gone" is the one failure after which
	// sending the request again on a new connection is safe.
	peerGone := func(code kafkaerr.Code) kafkaerr.Code {
		if done == 0 {
			return kafkaerr.NoConnection
		}
		return code
	}
	switch {
	case cl.detail != "":
		return failCode, "frame size", nil
	case c.closed.Load():
		// Closed under the call (by Close, or by the other direction's
		// failure): safe to retry only if nothing of this call moved.
		return peerGone(failCode), waitPhase, net.ErrClosed
	case waitErr != nil && ctx.Err() != nil:
		return failCode, waitPhase, ctx.Err()
	case errors.Is(waitErr, os.ErrDeadlineExceeded):
		return failCode, waitPhase, os.ErrDeadlineExceeded
	case waitErr != nil:
		return failCode, waitPhase, waitErr
	case t.eof:
		phase := syscallName
		if t.checkFailed {
			phase = "peer check"
		}
		if done == 0 {
			return kafkaerr.NoConnection, phase, io.EOF
		}
		return failCode, phase, io.ErrUnexpectedEOF
	case t.checkFailed:
		return peerGone(failCode), "peer check", syscallError("recv", t.err)
	case errors.Is(t.err, syscall.EPIPE), errors.Is(t.err, syscall.ECONNRESET):
		return peerGone(failCode), syscallName, syscallError(syscallName, t.err)
	case errors.Is(t.err, errNoProgress):
		return failCode, syscallName, errNoProgress
	}
	var errno syscall.Errno
	if t.sec != nil && !errors.As(t.err, &errno) {
		return failCode, "tls " + syscallName, t.err // a TLS alert or record error
	}
	return failCode, syscallName, syscallError(syscallName, t.err)
}

// syscallError names the syscall that failed, for an error of the socket
// itself; an error that crypto/tls passed up from the socket is unwrapped
// to its errno first.
func syscallError(name string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return os.NewSyscallError(name, errno)
	}
	return err
}

// closedError is the error of a call of total bytes made after the IO was
// closed; nothing of it moved. It says why the IO closed.
func (c *IO) closedError(what op, total int) error {
	e := kafkaerr.New(kafkaerr.NoConnection, string(what), c.Addr(), net.ErrClosed)
	e.Detail = "attempt to work with a closed socket: " + c.closeReason() + "; " + noConnectionDetail(what, "")
	e.Total = total
	return e
}

// badFrame returns c describing a size prefix that cannot start a Kafka
// response, with a guess at what the peer really is.
func (c call) badFrame(hdr [4]byte, size int32, limit int) call {
	var why string
	switch {
	case size < 0:
		why = "is negative"
	case size < 4:
		why = "is too small to hold a correlation id"
	default:
		why = fmt.Sprintf("is over the %d-byte response limit", limit)
	}
	c.detail = fmt.Sprintf("frame size %d (bytes % x) %s%s", size, hdr[:], why, lookalike(hdr))
	return c
}

// lookalike names the protocol four bytes most likely come from, for a
// frame size that is not Kafka's: a plaintext client on a TLS or HTTP port
// reads the other protocol's first bytes as a size.
func lookalike(hdr [4]byte) string {
	switch {
	case hdr[0] == 0x15 && hdr[1] == 0x03 && hdr[2] <= 0x04:
		return "; they look like a TLS alert record: is this a TLS listener?"
	case hdr[0] == 0x16 && hdr[1] == 0x03 && hdr[2] <= 0x04:
		return "; they look like a TLS handshake record: is this a TLS listener?"
	case string(hdr[:]) == "HTTP":
		return "; they look like an HTTP response: is this an HTTP port?"
	case printable(hdr[:]):
		return fmt.Sprintf("; they read as text %q: is this a Kafka port?", hdr[:])
	}
	return ""
}

// printable reports whether every byte of b is printable ASCII.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
