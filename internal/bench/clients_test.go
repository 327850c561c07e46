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
	// pipeline writes batch, n requests back to back whose correlation ids
	// run from first, in one write, then reads their n responses in order.
	pipeline(batch []byte, first int32, n int) error
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

func (c *kafkaioClient) pipeline(batch []byte, first int32, n int) error {
	if _, err := c.io.Send(batch); err != nil {
		return err
	}
	for i := range int32(n) {
		body, err := c.io.ReceiveFrame(background, c.buf)
		if err != nil {
			return err
		}
		if err := checkResponse(body, first+i, c.want); err != nil {
			return err
		}
	}
	return nil
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

func (c *netconnClient) pipeline(batch []byte, first int32, n int) error {
	return pipelineOver(c.conn, c.conn, c.prefix[:], c.buf, batch, first, n, c.want)
}

func (c *netconnClient) Close() error { return c.conn.Close() }

// bufioClient is the baseline of pipelined reads: what sarama and kafka-go
// do, a net.Conn read through a bufio.Reader, which brings in as many
// responses as have arrived with each read.
type bufioClient struct {
	netconnClient
	r *bufio.Reader
}

func dialBufio(tb testing.TB, addr string, responseBytes int) client {
	tb.Helper()
	nc := dialNetconn(tb, addr, responseBytes).(*netconnClient)
	return &bufioClient{netconnClient: *nc, r: bufio.NewReader(nc.conn)}
}

func (c *bufioClient) roundTrip(req []byte, id int32) error {
	return c.pipeline(req, id, 1)
}

func (c *bufioClient) pipeline(batch []byte, first int32, n int) error {
	return pipelineOver(c.conn, c.r, c.prefix[:], c.buf, batch, first, n, c.want)
}

// pipelineOver is the net.Conn clients' pipeline: one deadline for the
// batch, one write, then each response's size and body read from r.
func pipelineOver(conn net.Conn, r io.Reader, prefix, buf, batch []byte, first int32, n, want int) error {
	if err := conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	if _, err := conn.Write(batch); err != nil {
		return err
	}
	for i := range int32(n) {
		if _, err := io.ReadFull(r, prefix); err != nil {
			return err
		}
		size := int(int32(binary.BigEndian.Uint32(prefix)))
		if size < 4 || size > cap(buf) {
			return fmt.Errorf("response size %d is outside 4..%d", size, cap(buf))
		}
		body := buf[:size]
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		if err := checkResponse(body, first+i, want); err != nil {
			return err
		}
	}
	return nil
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
