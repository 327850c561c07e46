package clients

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// franz-go's kgo over kafkaio: kgo.Dialer((&kafkaio.Dialer{...}).DialContext).

// franzGoOpts is kgo's configuration: the seeds, and kafkaio as the dialer.
func franzGoOpts(addrs []string, d *kafkaio.Dialer, more ...kgo.Opt) []kgo.Opt {
	return append([]kgo.Opt{
		kgo.SeedBrokers(addrs...),
		kgo.Dialer(d.DialContext), // the one line
	}, more...)
}

// franzGoProduce produces recs to topic, round robin over its partitions,
// and waits for every acknowledgement.
func franzGoProduce(ctx context.Context, t *testing.T, opts []kgo.Opt, topic string, recs []record) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Topic: topic, Key: r.key, Value: r.value}
	}
	if err := cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		t.Fatalf("franz-go produce: %v", err)
	}
}

// franzGoConsume consumes n records of topic in consumer group group, from
// the start, and leaves the group.
func franzGoConsume(ctx context.Context, t *testing.T, opts []kgo.Opt, group, topic string, n int) []record {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("franz-go consumed %d of %d records: %v", len(got), n, err)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("franz-go fetch from %s/%d: %v", fe.Topic, fe.Partition, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got = append(got, record{key: r.Key, value: r.Value, partition: r.Partition, offset: r.Offset})
		})
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("franz-go commit: %v", err)
	}
	return got
}

func TestFranzGo(t *testing.T) {
	for _, sec := range securities {
		t.Run(sec.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			const topic = "franz-go"
			c := startCluster(t, topic, sec.cluster...)
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			opts := franzGoOpts(c.Addrs(), newDialer(sec.config()))
			want := makeRecords("franz-go", recordCount)
			franzGoProduce(ctx, t, opts, topic, want)
			got := franzGoConsume(ctx, t, opts, "franz-go-group", topic, len(want))
			checkRecords(t, "franz-go", want, got)
		})
	}
}
