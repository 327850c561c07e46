package integration

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// kcatTimeout bounds one kcat run; it normally takes well under a second.
const kcatTimeout = 60 * time.Second

// runKcat runs kcat with args and stdin, returning its standard output. The
// librdkafka settings make it a strict peer: check.crcs verifies every
// batch's CRC-32C on consume.
func runKcat(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kcatTimeout)
	defer cancel()
	args = append([]string{"-q", "-X", "check.crcs=true"}, args...)
	cmd := exec.CommandContext(ctx, kafkatest.Kcat(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// allBytes is a value holding every byte value, so any escaping or
// truncation on either side shows up.
func allBytes() []byte {
	v := make([]byte, 0, 512)
	for i := range 512 {
		v = append(v, byte(i))
	}
	return v
}

// A record produced through kafkaio (Produce v3, RecordBatch v2 with our
// CRC-32C) is consumed by kcat byte for byte: offset, timestamp, header,
// key and a binary value.
func TestKafkaioProducesKcatConsumes(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	kafkatest.Kcat(t)              // skip before starting a cluster when kcat is absent
	bootstrap := kafkatest.Brokers(t, 1)
	topic, leader := createTopic(t, bootstrap[0], 1, nil)
	rec := kafkawire.Record{
		Timestamp: 1_700_000_000_123,
		Key:       []byte("key-ü"),
		Value:     allBytes(),
		Headers:   []kafkawire.Header{{Key: "trace", Value: []byte("abc-123")}},
	}
	offset := dial(t, leader).produce(topic, 0, []kafkawire.Record{rec})

	got := runKcat(t, nil, "-C", "-b", strings.Join(bootstrap, ","), "-t", topic, "-p", "0",
		"-o", "beginning", "-e", "-c", "1", "-f", "%o|%T|%h|%K:%k|%S:%s")
	want := fmt.Sprintf("%d|%d|trace=abc-123|%d:%s|%d:%s",
		offset, rec.Timestamp, len(rec.Key), rec.Key, len(rec.Value), rec.Value)
	if !bytes.Equal(got, []byte(want)) {
		t.Fatalf("kcat consumed\n%q\nwant\n%q", got, want)
	}
}

// Records produced by kcat (librdkafka's own batches) are found by a Fetch
// through kafkaio, and ListOffsets reports the end offset after them.
func TestKcatProducesKafkaioFetches(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	kafkatest.Kcat(t)
	bootstrap := kafkatest.Brokers(t, 1)
	topic, leader := createTopic(t, bootstrap[0], 1, nil)
	var input bytes.Buffer
	var want []kafkawire.Record
	for i := range 5 {
		r := kafkawire.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "value %d, ünïcode", i)}
		if i == 3 {
			r.Value = nil // an empty line after the key delimiter
		}
		fmt.Fprintf(&input, "%s;%s\n", r.Key, r.Value)
		want = append(want, r)
	}
	before := time.Now().Add(-time.Minute).UnixMilli()
	runKcat(t, input.Bytes(), "-P", "-b", strings.Join(bootstrap, ","), "-t", topic, "-p", "0", "-K", ";")
	after := time.Now().Add(time.Minute).UnixMilli()

	b := dial(t, leader)
	if end := b.listOffset(topic, 0, kafkawire.LatestTimestamp); end != int64(len(want)) {
		t.Fatalf("ListOffsets latest = %d, want %d", end, len(want))
	}
	if start := b.listOffset(topic, 0, kafkawire.EarliestTimestamp); start != 0 {
		t.Fatalf("ListOffsets earliest = %d, want 0", start)
	}
	p := b.fetch(kafkawire.FetchRequest{Topic: topic, Offset: 0, MaxWaitMs: 1000, MinBytes: 1})
	if p.HighWatermark != int64(len(want)) {
		t.Fatalf("Fetch high watermark = %d, want %d", p.HighWatermark, len(want))
	}
	if len(p.Records) != len(want) {
		t.Fatalf("Fetch returned %d records, want %d: %+v", len(p.Records), len(want), p.Records)
	}
	for i, got := range p.Records {
		if got.Offset != int64(i) || !bytes.Equal(got.Key, want[i].Key) || !bytes.Equal(got.Value, want[i].Value) {
			t.Fatalf("record %d: offset %d key %q value %q, want offset %d key %q value %q",
				i, got.Offset, got.Key, got.Value, i, want[i].Key, want[i].Value)
		}
		if got.Timestamp < before || got.Timestamp > after {
			t.Fatalf("record %d: timestamp %d is not around now", i, got.Timestamp)
		}
	}
}
