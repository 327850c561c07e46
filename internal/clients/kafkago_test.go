package clients

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// kafka-go over kafkaio: Transport.Dial for the Writer, Dialer.DialFunc for
// the Reader, both (&kafkaio.Dialer{...}).DialContext.

// kafkaGoWriter is a Writer to topic with kafkaio as its transport's
// dialer. Close it with closeWriter: a Writer does not close the
// connections of a Transport it was given.
func kafkaGoWriter(addrs []string, d *kafkaio.Dialer, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(addrs...),
		Topic:        topic,
		Balancer:     &kafka.RoundRobin{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    500,
		BatchTimeout: 10 * time.Millisecond,
		Transport:    &kafka.Transport{Dial: d.DialContext, ClientID: "kafka-go-over-kafkaio"}, // the one line
	}
}

// closeWriter closes w, then its transport's connections.
func closeWriter(t *testing.T, w *kafka.Writer) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Errorf("kafka-go writer close: %v", err)
	}
	w.Transport.(*kafka.Transport).CloseIdleConnections()
}

// kafkaGoReader is a consumer group Reader of topic with kafkaio as its
// dialer.
func kafkaGoReader(addrs []string, d *kafkaio.Dialer, group, topic string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:        addrs,
		GroupID:        group,
		Topic:          topic,
		Dialer:         &kafka.Dialer{DialFunc: d.DialContext, ClientID: "kafka-go-over-kafkaio", Timeout: dialTimeout}, // the one line
		StartOffset:    kafka.FirstOffset,
		MaxWait:        200 * time.Millisecond,
		CommitInterval: 100 * time.Millisecond,
	})
}

// kafkaGoProduce writes recs with a Writer.
func kafkaGoProduce(ctx context.Context, t *testing.T, w *kafka.Writer, recs []record) {
	t.Helper()
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Key: r.key, Value: r.value}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("kafka-go produce: %v", err)
	}
}

// kafkaGoConsume reads n records with r, committing them.
func kafkaGoConsume(ctx context.Context, t *testing.T, r *kafka.Reader, n int) []record {
	t.Helper()
	var got []record
	for len(got) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("kafka-go consumed %d of %d records: %v", len(got), n, err)
		}
		got = append(got, record{key: m.Key, value: m.Value, partition: int32(m.Partition), offset: m.Offset})
	}
	return got
}

func TestKafkaGo(t *testing.T) {
	for _, sec := range securities {
		t.Run(sec.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			const topic = "kafka-go"
			c := startCluster(t, topic, sec.cluster...)
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			d := newDialer(sec.config())
			want := makeRecords("kafka-go", recordCount)
			w := kafkaGoWriter(c.Addrs(), d, topic)
			kafkaGoProduce(ctx, t, w, want)
			closeWriter(t, w)
			r := kafkaGoReader(c.Addrs(), d, "kafka-go-group", topic)
			got := kafkaGoConsume(ctx, t, r, len(want))
			if err := r.Close(); err != nil {
				t.Errorf("kafka-go reader close: %v", err)
			}
			checkRecords(t, "kafka-go", want, got)
		})
	}
}
