package kafkaclients

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaio/kafkaio/kafkaio"
)

// The clients under benchmark, each opened either over kafkaio (a Dialer)
// or over its own default dialer (nil), and otherwise configured alike.

// opTimeout bounds every operation: never reached by a working broker.
const opTimeout = 30 * time.Second

// recordValue is every produced record's value: 1 KiB.
var recordValue = func() []byte {
	v := make([]byte, 1024)
	for i := range v {
		v[i] = byte(i)
	}
	return v
}()

// recordKey is every produced record's key.
var recordKey = []byte("kafkaio-bench-key")

// recordBytes is what one record carries, for b.SetBytes.
var recordBytes = int64(len(recordKey) + len(recordValue))

// client is one Kafka client connected to the broker.
type client interface {
	// apiVersions makes one ApiVersions round trip.
	apiVersions(ctx context.Context) error
	// produce produces n records and waits for every acknowledgement.
	produce(ctx context.Context, n int) error
	close()
}

// kind is a Kafka client library: its name in the benchmarks, and how to
// open it over d (nil: the library's default dialer).
type kind struct {
	name string
	open func(tb testing.TB, addr string, d *kafkaio.Dialer) client
}

var kinds = []kind{
	{"FranzGo", openFranzGo},
	{"Sarama", openSarama},
	{"KafkaGo", openKafkaGo},
}

// impl is one way of dialing: kafkaio, or the client's own (the baseline,
// named netconn as in internal/bench: it hands the client a net.Conn).
type impl struct {
	name string
	d    *kafkaio.Dialer
}

var impls = [2]impl{
	{"kafkaio", &kafkaio.Dialer{Config: kafkaio.Config{Timeout: opTimeout}}},
	{"netconn", nil},
}

// franz-go

type franzGo struct{ cl *kgo.Client }

func openFranzGo(tb testing.TB, addr string, d *kafkaio.Dialer) client {
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(benchTopic), kgo.ProducerLinger(0)}
	if d != nil {
		opts = append(opts, kgo.Dialer(d.DialContext))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	c := &franzGo{cl: cl}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := c.apiVersions(ctx); err != nil { // connect before timing
		cl.Close()
		tb.Fatal(err)
	}
	return c
}

func (c *franzGo) apiVersions(ctx context.Context) error {
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, c.cl)
	if err == nil && resp.ErrorCode != 0 {
		err = fmt.Errorf("ApiVersions error code %d", resp.ErrorCode)
	}
	return err
}

func (c *franzGo) produce(ctx context.Context, n int) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	wg.Add(n)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			first = cmp(first, err)
			mu.Unlock()
		}
		wg.Done()
	}
	for range n {
		c.cl.Produce(ctx, &kgo.Record{Key: recordKey, Value: recordValue}, promise)
	}
	wg.Wait()
	return first
}

func (c *franzGo) close() { c.cl.Close() }

// sarama

type saramaClient struct {
	br   *sarama.Broker
	prod sarama.AsyncProducer
	done chan error // one per acknowledged or failed message
	stop sync.WaitGroup
}

func init() {
	sarama.Logger = log.New(io.Discard, "", 0)
}

func openSarama(tb testing.TB, addr string, d *kafkaio.Dialer) client {
	conf := sarama.NewConfig()
	if d != nil {
		conf.Net.Proxy.Enable, conf.Net.Proxy.Dialer = true, d
	}
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Return.Successes = true
	conf.Producer.Return.Errors = true
	br := sarama.NewBroker(addr)
	if err := br.Open(conf); err != nil {
		tb.Fatal(err)
	}
	if ok, err := br.Connected(); !ok {
		tb.Fatalf("sarama broker: %v", err)
	}
	prod, err := sarama.NewAsyncProducer([]string{addr}, conf)
	if err != nil {
		br.Close()
		tb.Fatal(err)
	}
	c := &saramaClient{br: br, prod: prod, done: make(chan error, 1024)}
	c.stop.Go(func() {
		for range prod.Successes() {
			c.done <- nil
		}
	})
	c.stop.Go(func() {
		for pe := range prod.Errors() {
			c.done <- pe.Err
		}
	})
	return c
}

func (c *saramaClient) apiVersions(context.Context) error {
	resp, err := c.br.ApiVersions(&sarama.ApiVersionsRequest{})
	if err == nil && resp.ErrorCode != 0 {
		err = fmt.Errorf("ApiVersions error code %d", resp.ErrorCode)
	}
	return err
}

func (c *saramaClient) produce(ctx context.Context, n int) error {
	var first error
	sent, acked := 0, 0
	for acked < n {
		var in chan<- *sarama.ProducerMessage
		if sent < n {
			in = c.prod.Input()
		}
		select {
		case in <- &sarama.ProducerMessage{Topic: benchTopic, Key: sarama.ByteEncoder(recordKey), Value: sarama.ByteEncoder(recordValue)}:
			sent++
		case err := <-c.done:
			acked++
			first = cmp(first, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

func (c *saramaClient) close() {
	c.prod.AsyncClose()
	c.stop.Wait()
	c.br.Close()
}

// kafka-go

type kafkaGo struct {
	tr   *kafka.Transport
	cl   *kafka.Client
	w    *kafka.Writer
	done chan error // one per acknowledged or failed message
}

func openKafkaGo(tb testing.TB, addr string, d *kafkaio.Dialer) client {
	tr := &kafka.Transport{}
	if d != nil {
		tr.Dial = d.DialContext
	}
	c := &kafkaGo{tr: tr, cl: &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}, done: make(chan error, 4096)}
	c.w = &kafka.Writer{
		Addr: kafka.TCP(addr), Topic: benchTopic, Transport: tr,
		RequiredAcks: kafka.RequireAll, Async: true, BatchSize: 100, BatchTimeout: time.Millisecond,
		Completion: func(msgs []kafka.Message, err error) {
			for range msgs {
				c.done <- err
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := c.apiVersions(ctx); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (c *kafkaGo) apiVersions(ctx context.Context) error {
	resp, err := c.cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	return err
}

func (c *kafkaGo) produce(ctx context.Context, n int) error {
	msgs := make([]kafka.Message, min(n, 100))
	for i := range msgs {
		msgs[i] = kafka.Message{Key: recordKey, Value: recordValue}
	}
	var first error
	acked := 0
	for sent := 0; sent < n; {
		k := min(len(msgs), n-sent)
		if err := c.w.WriteMessages(ctx, msgs[:k]...); err != nil {
			return err
		}
		sent += k
		for acked < sent-4*len(msgs) { // keep a few batches in flight, not all of them
			first = cmp(first, <-c.done)
			acked++
		}
	}
	for ; acked < n; acked++ {
		select {
		case err := <-c.done:
			first = cmp(first, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

func (c *kafkaGo) close() {
	c.w.Close()
	c.tr.CloseIdleConnections()
}

// cmp keeps the first error.
func cmp(first, err error) error {
	if first == nil && err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return first
}
