package clients

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// sarama over kafkaio: Net.Proxy.Enable and Net.Proxy.Dialer = &kafkaio.Dialer{...}.

// saramaConfig is sarama's configuration with kafkaio as the dialer.
func saramaConfig(d *kafkaio.Dialer) *sarama.Config {
	conf := sarama.NewConfig()
	conf.ClientID = "sarama-over-kafkaio"
	conf.Net.Proxy.Enable, conf.Net.Proxy.Dialer = true, d // the one line
	conf.Producer.Return.Successes = true                  // a SyncProducer needs them
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Partitioner = sarama.NewRoundRobinPartitioner
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Return.Errors = true
	conf.Metadata.Retry.Backoff = 100 * time.Millisecond
	return conf
}

// saramaProduce sends recs with a SyncProducer, in one batch.
func saramaProduce(t *testing.T, addrs []string, conf *sarama.Config, topic string, recs []record) {
	t.Helper()
	prod, err := sarama.NewSyncProducer(addrs, conf)
	if err != nil {
		t.Fatalf("sarama producer: %v", err)
	}
	defer prod.Close()
	msgs := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(r.key), Value: sarama.ByteEncoder(r.value)}
	}
	if err := prod.SendMessages(msgs); err != nil {
		var perrs sarama.ProducerErrors
		if errors.As(err, &perrs) && len(perrs) > 0 {
			t.Fatalf("sarama produce: %d of %d failed, the first: %v", len(perrs), len(msgs), perrs[0].Err)
		}
		t.Fatalf("sarama produce: %v", err)
	}
}

// saramaCollector is a consumer group handler that collects records until
// it has n, then cancels the session.
type saramaCollector struct {
	n      int
	cancel context.CancelFunc
	mu     sync.Mutex
	got    []record
}

func (*saramaCollector) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*saramaCollector) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *saramaCollector) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		sess.MarkMessage(m, "")
		h.mu.Lock()
		h.got = append(h.got, record{key: m.Key, value: m.Value, partition: m.Partition, offset: m.Offset})
		done := len(h.got) >= h.n
		h.mu.Unlock()
		if done {
			h.cancel()
		}
	}
	return nil
}

// saramaConsume consumes n records of topic in consumer group group.
func saramaConsume(ctx context.Context, t *testing.T, addrs []string, conf *sarama.Config, group, topic string, n int) []record {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, group, conf)
	if err != nil {
		t.Fatalf("sarama consumer group: %v", err)
	}
	defer func() {
		if err := cg.Close(); err != nil {
			t.Errorf("sarama consumer group close: %v", err)
		}
	}()
	go func() {
		for err := range cg.Errors() {
			t.Errorf("sarama consumer: %v", err)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := &saramaCollector{n: n, cancel: cancel}
	for ctx.Err() == nil {
		if err := cg.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
			t.Fatalf("sarama consume: %v", err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.got) < n {
		t.Fatalf("sarama consumed %d of %d records before its deadline", len(h.got), n)
	}
	return h.got
}

func TestSarama(t *testing.T) {
	for _, sec := range securities {
		t.Run(sec.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			const topic = "sarama"
			c := startCluster(t, topic, sec.cluster...)
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			conf := saramaConfig(newDialer(sec.config()))
			want := makeRecords("sarama", recordCount)
			saramaProduce(t, c.Addrs(), conf, topic, want)
			got := saramaConsume(ctx, t, c.Addrs(), conf, "sarama-group", topic, len(want))
			checkRecords(t, "sarama", want, got)
		})
	}
}
