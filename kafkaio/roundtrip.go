package kafkaio

import (
	"context"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// RoundTrip sends req, a whole request frame (its int32 size, then a
// request header v1 or v2 and the body), and reads the response frame that
// answers it, all under one deadline: ctx's, or the IO's timeout from now.
// It checks that the response's correlation id is req's and returns the
// response body from the correlation id on, in dst when cap(dst) is large
// enough (as ReceiveFrame does).
//
// A response with another correlation id is kafkaerr.MismatchCorrelationID,
// naming both ids, and closes the IO: the stream is out of step. A failure
// of the send or of the receive is that call's error, with its Op ("send"
// or "receive frame"), so the rules of NoConnection tell whether the
// request was written. A req shorter than a request header, whose size
// prefix does not match its length, or over MaxRequestBytes, and a nil ctx,
// are kafkaerr.MismatchArgument and leave the IO as it was.
//
// RoundTrip holds the receive side from before it sends until the response
// is read, so that no other receive can take its response: concurrent
// RoundTrips on one IO run one after the other. Do not mix RoundTrip with
// separate Sends and Receives that are in flight at the same time.
func (c *IO) RoundTrip(ctx context.Context, req, dst []byte) ([]byte, error) {
	if err := checkMessage(opRoundTrip, ctx, req); err != nil {
		return nil, c.dbg().fail(err)
	}
	if len(req) < minRequestFrame {
		return nil, c.dbg().fail(kafkaerr.Argument(string(opRoundTrip),
			"request of "+strconv.Itoa(len(req))+" bytes is shorter than a request header ("+strconv.Itoa(minRequestFrame)+")"))
	}
	if size := int(int32(binary.BigEndian.Uint32(req))); size != len(req)-4 {
		return nil, c.dbg().fail(kafkaerr.Argument(string(opRoundTrip),
			"request's size prefix says "+strconv.Itoa(size)+" bytes, but "+strconv.Itoa(len(req)-4)+" follow it"))
	}
	want := int32(binary.BigEndian.Uint32(req[8:12]))

	start := time.Now()
	deadline, budget := callDeadline(ctx, start, c.timeout)
	rc := recvCall{c: c, what: opReceiveFrame, ctx: ctx, fixed: true, deadline: deadline,
		cl: call{start: start, budget: budget, total: 4}}
	if err := c.lockRecv(&rc); err != nil {
		return nil, err
	}
	sent := call{start: start, budget: budget, total: len(req)}
	if err := c.wlock.acquire(ctx, deadline); err != nil {
		c.rlock.release()
		return nil, c.failQueued(ctx, opSend, err, sent)
	}
	_, err := c.send(ctx, req, sent, deadline, true)
	c.wlock.release()
	if err != nil {
		c.rlock.release()
		return nil, err
	}
	body, err := c.receiveFrame(&rc, dst)
	if err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != want {
		return nil, c.mismatch(want, got, start, budget, 4+len(body))
	}
	return body, nil
}

// minRequestFrame is the shortest request frame RoundTrip accepts: the size
// prefix, api_key, api_version and correlation_id.
const minRequestFrame = 12

// mismatch is RoundTrip's error for a response that answers another
// request. It closes the IO: the responses are out of step with the
// requests, and the one this request is owed would be taken for another's.
func (c *IO) mismatch(want, got int32, start time.Time, budget time.Duration, n int) error {
	e := kafkaerr.New(kafkaerr.MismatchCorrelationID, string(opRoundTrip), c.Addr(), nil)
	e.Phase = "correlation id"
	e.Detail = "the response's correlation id is " + strconv.Itoa(int(got)) + ", the request's " + strconv.Itoa(int(want))
	e.Done, e.Total = n, n
	e.Budget = budget
	e.Elapsed = time.Since(start)
	c.close(failureReason(e))
	return c.dbg().fail(e)
}
