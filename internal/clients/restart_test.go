package clients

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// The broker stopped in the middle of a session: a producer and a consumer
// of each client run on, the broker goes away (embedded.Cluster.Down closes
// its listener and every connection) and comes back on the same port with
// its state (Up), as a restarted broker does. The clients must get
// kafkaio's typed errors at once (not wait out a deadline), give up on
// what they were doing within a bound, and carry on by dialing again once
// the broker is back.

const (
	// restartTopic has one partition, so that the consumer's position is
	// easy to reason about across the restart.
	restartTopic = "restarted"
	// downProduce bounds a produce made while the broker is down: the
	// client must give up (or be cut short) by then.
	downProduce = 3 * time.Second
	// settle bounds the waits for what follows at once from an event (an
	// error after the broker left); generous for a loaded machine.
	settle = 10 * time.Second
	// recoverBound bounds the client's recovery once the broker is back.
	recoverBound = 60 * time.Second
)

// observer wraps kafkaio's Dialer to see what kafkaio hands the client: every
// dial's outcome, and every error of a Read or Write of the connections.
type observer struct {
	d *kafkaio.Dialer

	mu     sync.Mutex
	events []observed
}

// observed is one dial or one failed call, as the client got it.
type observed struct {
	at   time.Time
	dial bool  // a dial (err nil: it succeeded), or else a Read or Write
	err  error // nil for a successful dial
}

func (o *observer) note(dial bool, err error) {
	o.mu.Lock()
	o.events = append(o.events, observed{at: time.Now(), dial: dial, err: err})
	o.mu.Unlock()
}

// since returns the events from t on.
func (o *observer) since(t time.Time) []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []observed
	for _, e := range o.events {
		if !e.at.Before(t) {
			out = append(out, e)
		}
	}
	return out
}

// DialContext is what franz-go and kafka-go are given.
func (o *observer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := o.d.DialContext(ctx, network, address)
	o.note(true, err)
	if err != nil {
		return nil, err
	}
	return &observedConn{Conn: c, o: o}, nil
}

// Dial is what sarama is given.
func (o *observer) Dial(network, address string) (net.Conn, error) {
	return o.DialContext(context.Background(), network, address)
}

// observedConn reports the errors of kafkaio's net.Conn view.
type observedConn struct {
	net.Conn
	o *observer
}

func (c *observedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.o.note(false, err)
	}
	return n, err
}

func (c *observedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.o.note(false, err)
	}
	return n, err
}

// brokerGone reports whether a call's error says the broker went away.
func brokerGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// restartable is one client under the test: a producer, and a consumer in a
// consumer group running in the background from the start.
type restartable interface {
	// produce produces recs, returning the client's own error.
	produce(ctx context.Context, recs []record) error
	// consumed returns what the consumer has received so far.
	consumed() []record
	close()
}

// consumerLog collects a background consumer's records.
type consumerLog struct {
	mu  sync.Mutex
	got []record
}

func (l *consumerLog) add(r record) {
	l.mu.Lock()
	l.got = append(l.got, r)
	l.mu.Unlock()
}

func (l *consumerLog) consumed() []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]record(nil), l.got...)
}

var restartClients = []struct {
	name  string
	start func(t *testing.T, addrs []string, o *observer) restartable
}{
	{"franz-go", startFranzGoRestart},
	{"sarama", startSaramaRestart},
	{"kafka-go", startKafkaGoRestart},
}

func TestBrokerRestart(t *testing.T) {
	for _, rc := range restartClients {
		t.Run(rc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			broker := kafkatest.Embedded(t, 1, embedded.SeedTopics(1, restartTopic))
			addrs := broker.Addrs()
			o := &observer{d: newDialer(kafkaio.Config{})}
			cl := rc.start(t, addrs, o)
			defer cl.close()

			// Before: a batch goes through and is consumed.
			before := makeRecords("before", 20)
			ctx, cancel := context.WithTimeout(context.Background(), recoverBound)
			defer cancel()
			if err := cl.produce(ctx, before); err != nil {
				t.Fatalf("produce before the restart: %v", err)
			}
			awaitConsumed(t, cl, "before", len(before), before)

			// The broker goes away while the consumer waits on a Fetch.
			stopped := time.Now()
			if err := broker.Down(); err != nil {
				t.Fatal(err)
			}
			downCtx, downCancel := context.WithTimeout(context.Background(), downProduce)
			err := cl.produce(downCtx, makeRecords("down", 5))
			downCancel()
			gaveUp := time.Since(stopped)
			t.Logf("produce while the broker was down returned after %v: %v", gaveUp.Round(time.Millisecond), err)
			if err == nil {
				t.Fatal("a produce with no broker up succeeded")
			}
			if gaveUp > downProduce+settle {
				t.Errorf("the produce with no broker took %v, over its %v bound", gaveUp, downProduce)
			}
			// Each client passes kafkaio's error on in its own.
			if ke := (*kafkaerr.Error)(nil); !errors.As(err, &ke) {
				t.Errorf("the client's error does not carry kafkaio's: %v", err)
			}
			down := o.since(stopped)
			checkDown(t, down, stopped)

			// The broker is back on the same port: the same clients dial
			// again and carry on.
			restarted := time.Now()
			if err := broker.Up(); err != nil {
				t.Fatal(err)
			}
			after := makeRecords("after", 100)
			for {
				err := cl.produce(ctx, after)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("no produce succeeded within %v of the broker's return: %v", recoverBound, err)
				}
				t.Logf("produce after the restart: %v; again", err)
				time.Sleep(200 * time.Millisecond)
			}
			awaitConsumed(t, cl, "after", 1, after)
			redialed := false
			for _, e := range o.since(restarted) {
				redialed = redialed || (e.dial && e.err == nil)
			}
			if !redialed {
				t.Error("the client carried on without a new dial")
			}
			t.Logf("recovered %v after the broker's return", time.Since(restarted).Round(time.Millisecond))
		})
	}
}

// checkDown checks what kafkaio gave the client once the broker left: only
// *kafkaerr.Error, at least one failed Read or Write saying the broker went
// away, soon, and, if the client dialed while the broker was down, refused
// dials.
func checkDown(t *testing.T, events []observed, stopped time.Time) {
	t.Helper()
	var firstGone time.Time
	refused := 0
	for _, e := range events {
		if e.err == nil {
			t.Errorf("a dial succeeded while the broker was down")
			continue
		}
		var ke *kafkaerr.Error
		if !errors.As(e.err, &ke) {
			t.Errorf("the client got an error that is not kafkaio's: %v (%T)", e.err, e.err)
			continue
		}
		switch {
		case e.dial:
			if ke.Code != kafkaerr.CannotBind || !errors.Is(e.err, syscall.ECONNREFUSED) {
				t.Errorf("a dial with the broker down: %v, want CannotBind with ECONNREFUSED", e.err)
			}
			refused++
		case brokerGone(e.err) && firstGone.IsZero():
			firstGone = e.at
			t.Logf("first error %v after the stop: %v", e.at.Sub(stopped).Round(time.Microsecond), e.err)
		}
	}
	if firstGone.IsZero() {
		t.Fatalf("no Read or Write reported the broker gone; the client got: %v", events)
	}
	if d := firstGone.Sub(stopped); d > settle {
		t.Errorf("the broker's departure was reported %v after it, not at once", d)
	}
	t.Logf("%d calls failed and %d dials were refused while the broker was down", len(events)-refused, refused)
}

// awaitConsumed waits until the consumer has at least n records of tag,
// and checks that every one of them is one of want, byte for byte.
func awaitConsumed(t *testing.T, cl restartable, tag string, n int, want []record) {
	t.Helper()
	byKey := map[string][]byte{}
	for _, r := range want {
		byKey[string(r.key)] = r.value
	}
	deadline := time.Now().Add(recoverBound)
	for {
		count := 0
		for _, r := range cl.consumed() {
			if !strings.HasPrefix(string(r.key), tag+"-") {
				continue
			}
			if v, ok := byKey[string(r.key)]; !ok || !bytes.Equal(v, r.value) {
				t.Fatalf("consumed %q with a value that was not produced", r.key)
			}
			count++
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumed %d %q records in %v, want %d", count, tag, recoverBound, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// franz-go: one client produces, another consumes in a group.
type franzGoRestart struct {
	consumerLog
	prod, cons *kgo.Client
	stop       context.CancelFunc
	done       chan struct{}
}

func startFranzGoRestart(t *testing.T, addrs []string, o *observer) restartable {
	opts := []kgo.Opt{kgo.SeedBrokers(addrs...), kgo.Dialer(o.DialContext), kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond })}
	// An idempotent producer cannot fail records it has sent once, so a
	// context does not cut short a produce whose request went out to the
	// broker that left (franz-go's documented rule, with any dialer): it
	// waits for the broker's return. Without idempotence the context
	// bounds the produce made while the broker is down.
	prod, err := kgo.NewClient(append(opts, kgo.DisableIdempotentWrite())...)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := kgo.NewClient(append(opts, kgo.ConsumerGroup("restart-group"), kgo.ConsumeTopics(restartTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(time.Second))...)
	if err != nil {
		prod.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &franzGoRestart{prod: prod, cons: cons, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for ctx.Err() == nil {
			cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				f.add(record{key: r.Key, value: r.Value, partition: r.Partition, offset: r.Offset})
			})
		}
	}()
	return f
}

func (f *franzGoRestart) produce(ctx context.Context, recs []record) error {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Topic: restartTopic, Key: r.key, Value: r.value}
	}
	return f.prod.ProduceSync(ctx, krs...).FirstErr()
}

func (f *franzGoRestart) close() {
	f.stop()
	<-f.done
	f.cons.Close()
	f.prod.Close()
}

// sarama: a SyncProducer and a consumer group.
type saramaRestart struct {
	consumerLog
	prod sarama.SyncProducer
	cg   sarama.ConsumerGroup
	stop context.CancelFunc
	done sync.WaitGroup
}

func startSaramaRestart(t *testing.T, addrs []string, o *observer) restartable {
	conf := sarama.NewConfig()
	conf.Net.Proxy.Enable, conf.Net.Proxy.Dialer = true, o
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Retry.Backoff = 100 * time.Millisecond
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Return.Errors = true
	conf.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	prod, err := sarama.NewSyncProducer(addrs, conf)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := sarama.NewConsumerGroup(addrs, "restart-group", conf)
	if err != nil {
		prod.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &saramaRestart{prod: prod, cg: cg, stop: cancel}
	s.done.Go(func() {
		for range cg.Errors() { // the broker's departure shows here too; what matters is the consuming
		}
	})
	s.done.Go(func() {
		h := &saramaHandler{add: s.add}
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{restartTopic}, h); err != nil && ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond) // no coordinator yet: try again
			}
		}
	})
	return s
}

// saramaHandler hands every message to add.
type saramaHandler struct{ add func(record) }

func (*saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		sess.MarkMessage(m, "")
		h.add(record{key: m.Key, value: m.Value, partition: m.Partition, offset: m.Offset})
	}
	return nil
}

func (s *saramaRestart) produce(_ context.Context, recs []record) error {
	msgs := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		msgs[i] = &sarama.ProducerMessage{Topic: restartTopic, Key: sarama.ByteEncoder(r.key), Value: sarama.ByteEncoder(r.value)}
	}
	err := s.prod.SendMessages(msgs)
	var perrs sarama.ProducerErrors
	if errors.As(err, &perrs) && len(perrs) > 0 {
		return perrs[0]
	}
	return err
}

func (s *saramaRestart) close() {
	s.stop()
	s.cg.Close() // ends Errors, and Consume
	s.done.Wait()
	s.prod.Close()
}

// kafka-go: a Writer and a consumer group Reader.
type kafkaGoRestart struct {
	consumerLog
	w    *kafka.Writer
	r    *kafka.Reader
	stop context.CancelFunc
	done chan struct{}
}

func startKafkaGoRestart(t *testing.T, addrs []string, o *observer) restartable {
	w := &kafka.Writer{
		Addr:         kafka.TCP(addrs...),
		Topic:        restartTopic,
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 10 * time.Millisecond,
		MaxAttempts:  3,
		Transport:    &kafka.Transport{Dial: o.DialContext},
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        addrs,
		GroupID:        "restart-group",
		Topic:          restartTopic,
		Dialer:         &kafka.Dialer{DialFunc: o.DialContext, Timeout: dialTimeout},
		StartOffset:    kafka.FirstOffset,
		MaxWait:        time.Second,
		CommitInterval: 100 * time.Millisecond,
		ReadBackoffMax: 200 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	k := &kafkaGoRestart{w: w, r: r, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		for ctx.Err() == nil {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				time.Sleep(100 * time.Millisecond) // ReadMessage retries on its own
				continue
			}
			k.add(record{key: m.Key, value: m.Value, partition: int32(m.Partition), offset: m.Offset})
		}
	}()
	return k
}

func (k *kafkaGoRestart) produce(ctx context.Context, recs []record) error {
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Key: r.key, Value: r.value}
	}
	err := k.w.WriteMessages(ctx, msgs...)
	var werrs kafka.WriteErrors // one per message, and no Unwrap
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil {
				return e
			}
		}
	}
	return err
}

func (k *kafkaGoRestart) close() {
	k.stop()
	<-k.done
	k.r.Close()
	k.w.Close()
	k.w.Transport.(*kafka.Transport).CloseIdleConnections()
}
