package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// ioTimeout is each client's per-exchange budget: never reached by a
// working server, it only keeps a broken one from hanging the run.
const ioTimeout = 30 * time.Second

// client is what a benchmark drives. Both implementations are used through
// this interface, so both pay the same dispatch cost.
type client interface {
	// roundTrip sends req with correlation id id and reads its response,
	// which must carry id and be of the size the request asked for.
	roundTrip(req []byte, id int32) error
	// send writes req and reads nothing.
	send(req []byte) error
	// pipeline sends total requests, copies of req numbered from first,
	// one write each, from a goroutine of its own that keeps at most
	// inFlight of them unanswered, and reads their responses in order.
	pipeline(req []byte, first int32, total, inFlight int) error
	Close() error
}

// dialer opens a client to the frame server at addr, ready for responses of
// up to responseBytes bytes on the wire.
type dialer func(tb testing.TB, addr string, responseBytes int) client

// namedDialer is a client implementation under the name its
// sub-benchmarks carry.
type namedDialer struct {
	name string
	dial dialer
}

// impls are the clients each benchmark runs, as sub-benchmarks
// impl=<name>, in this order unless -reverse is given; the ratio printer
// takes netconn as the baseline.
var impls = [2]namedDialer{
	{"kafkaio", dialKafkaio(nil)},
	{"netconn", dialNetconn},
}

// kafkaioClient is kafkaio.IO used the way a Kafka client uses it: Send,
// then ReceiveFrame into a buffer reused from call to call.
type kafkaioClient struct {
	io   *kafkaio.IO
	want int    // response body size
	buf  []byte // ReceiveFrame's dst
}

// background is the context of every ReceiveFrame: one that can never be
// cancelled, as a caller without a deadline of its own would pass.
var background = context.Background()

// dialKafkaio returns a dialer of kafkaio clients with logger as
// Config.Logger (nil: kafkaio's default).
func dialKafkaio(logger logrus.FieldLogger) dialer {
	return func(tb testing.TB, addr string, responseBytes int) client {
		tb.Helper()
		host, port := splitAddr(tb, addr)
		c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout, Logger: logger})
		if err != nil {
			tb.Fatal(err)
		}
		return &kafkaioClient{io: c, want: bodySize(responseBytes), buf: make([]byte, bodySize(responseBytes))}
	}
}

func (c *kafkaioClient) roundTrip(req []byte, id int32) error {
	framesrv.SetCorrelationID(req, id)
	if _, err := c.io.Send(req); err != nil {
		return err
	}
	body, err := c.io.ReceiveFrame(background, c.buf)
	if err != nil {
		return err
	}
	return checkResponse(body, id, c.want)
}

func (c *kafkaioClient) send(req []byte) error {
	_, err := c.io.Send(req)
	return err
}

func (c *kafkaioClient) pipeline(req []byte, first int32, total, inFlight int) error {
	return pipelineWith(c.send, func() ([]byte, error) { return c.io.ReceiveFrame(background, c.buf) },
		req, first, total, inFlight, c.want)
}

func (c *kafkaioClient) Close() error { return c.io.Close() }

// netconnClient is the baseline: what a careful client does with the
// standard library alone. One deadline per exchange, a Write, and
// io.ReadFull of the size prefix and then of the body into a reused buffer.
type netconnClient struct {
	conn   net.Conn
	want   int
	prefix [4]byte
	buf    []byte
}

func dialNetconn(tb testing.TB, addr string, responseBytes int) client {
	tb.Helper()
	conn, err := net.DialTimeout("tcp4", addr, ioTimeout)
	if err != nil {
		tb.Fatal(err)
	}
	return &netconnClient{conn: conn, want: bodySize(responseBytes), buf: make([]byte, bodySize(responseBytes))}
}

func (c *netconnClient) roundTrip(req []byte, id int32) error {
	framesrv.SetCorrelationID(req, id)
	if err := c.conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c.conn, c.prefix[:]); err != nil {
		return err
	}
	size := int(int32(binary.BigEndian.Uint32(c.prefix[:])))
	if size < 4 || size > cap(c.buf) {
		return fmt.Errorf("netconn: response size %d is outside 4..%d", size, cap(c.buf))
	}
	body := c.buf[:size]
	if _, err := io.ReadFull(c.conn, body); err != nil {
		return err
	}
	return checkResponse(body, id, c.want)
}

func (c *netconnClient) send(req []byte) error {
	if err := c.conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	_, err := c.conn.Write(req)
	return err
}

func (c *netconnClient) pipeline(req []byte, first int32, total, inFlight int) error {
	return c.pipelineFrom(c.conn, req, first, total, inFlight)
}

// pipelineFrom is the net.Conn clients' pipeline: one deadline for the
// whole of it, a Write per request, each response's size and body read
// from r.
func (c *netconnClient) pipelineFrom(r io.Reader, req []byte, first int32, total, inFlight int) error {
	if err := c.conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	send := func(req []byte) error { _, err := c.conn.Write(req); return err }
	recv := func() ([]byte, error) {
		if _, err := io.ReadFull(r, c.prefix[:]); err != nil {
			return nil, err
		}
		size := int(int32(binary.BigEndian.Uint32(c.prefix[:])))
		if size < 4 || size > cap(c.buf) {
			return nil, fmt.Errorf("response size %d is outside 4..%d", size, cap(c.buf))
		}
		body := c.buf[:size]
		_, err := io.ReadFull(r, body)
		return body, err
	}
	return pipelineWith(send, recv, req, first, total, inFlight, c.want)
}

func (c *netconnClient) Close() error { return c.conn.Close() }

// bufioClient is the baseline of pipelined reads: a net.Conn read through
// a bufio.Reader, which brings in as many responses as have arrived with
// each read. With perCall set it sets its deadlines as sarama's broker.go
// does: a write deadline before each request's Write, a read deadline
// before each io.ReadFull (a response's size, then its body); without it,
// one deadline for the whole pipeline, which is cheaper than any Kafka
// client we know of does.
type bufioClient struct {
	netconnClient
	r       *bufio.Reader
	perCall bool
}

func dialBufio(perCall bool) dialer {
	return func(tb testing.TB, addr string, responseBytes int) client {
		tb.Helper()
		nc := dialNetconn(tb, addr, responseBytes).(*netconnClient)
		return &bufioClient{netconnClient: *nc, r: bufio.NewReader(nc.conn), perCall: perCall}
	}
}

func (c *bufioClient) roundTrip(req []byte, id int32) error {
	return c.pipeline(req, id, 1, 1)
}

func (c *bufioClient) pipeline(req []byte, first int32, total, inFlight int) error {
	if !c.perCall {
		return c.pipelineFrom(c.r, req, first, total, inFlight)
	}
	send := func(req []byte) error {
		if err := c.conn.SetWriteDeadline(time.Now().Add(ioTimeout)); err != nil {
			return err
		}
		_, err := c.conn.Write(req)
		return err
	}
	readFull := func(p []byte) error {
		if err := c.conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
			return err
		}
		_, err := io.ReadFull(c.r, p)
		return err
	}
	recv := func() ([]byte, error) {
		if err := readFull(c.prefix[:]); err != nil {
			return nil, err
		}
		size := int(int32(binary.BigEndian.Uint32(c.prefix[:])))
		if size < 4 || size > cap(c.buf) {
			return nil, fmt.Errorf("response size %d is outside 4..%d", size, cap(c.buf))
		}
		body := c.buf[:size]
		return body, readFull(body)
	}
	return pipelineWith(send, recv, req, first, total, inFlight, c.want)
}

// pipelineWith drives a pipeline: a writer goroutine sends total requests,
// waiting for a free slot of inFlight before each, while the caller reads
// the responses in order, checking each, and frees a slot per response.
// Both kinds of client run exactly this, so the pipeline's own cost (the
// goroutine, the slot channel) is the same for both.
func pipelineWith(send func([]byte) error, recv func() ([]byte, error), req []byte, first int32, total, inFlight, want int) error {
	slots := make(chan struct{}, inFlight)
	sent := make(chan error, 1)
	go func() {
		for i := range int32(total) {
			slots <- struct{}{}
			framesrv.SetCorrelationID(req, first+i)
			if err := send(req); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range int32(total) {
		body, err := recv()
		if err == nil {
			err = checkResponse(body, first+i, want)
		}
		if err != nil {
			return err // the writer is left blocked on a slot or failing: the benchmark stops
		}
		<-slots
	}
	return <-sent
}

// checkResponse verifies that a response body answers request id: without
// it a benchmark could time a client that reads the wrong bytes.
func checkResponse(body []byte, id int32, want int) error {
	got, ok := framesrv.ResponseCorrelationID(body)
	if !ok || got != id || len(body) != want {
		return fmt.Errorf("response of %d bytes with correlation id %d, want %d bytes with id %d", len(body), got, want, id)
	}
	return nil
}

// bodySize is the body of a frame of frameBytes bytes on the wire; 0 for a
// send-only request.
func bodySize(frameBytes int) int {
	if frameBytes == 0 {
		return 0
	}
	return frameBytes - 4
}

// splitAddr splits "127.0.0.1:port" for kafkaio.Config.
func splitAddr(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		tb.Fatal(err)
	}
	return host, port
}

// discardLogger is a configured logrus logger, at the level where
// KAFKA_DEBUG output would show, writing nowhere: what an application that
// passes its own logger and leaves debugging off gives kafkaio.
func discardLogger() *logrus.Logger {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.InfoLevel
	return l
}
