package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const largeValue = 10 << 20 // 10 MiB

// A 10 MiB record goes out in one Produce through kafkaio and comes back
// whole through Fetch. The topic raises max.message.bytes, which defaults
// to about 1 MiB on brokers and kfake alike.
func TestProduce10MiB(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	bootstrap := kafkatest.Brokers(t, 1)
	limit := strconv.Itoa(largeValue + 1<<20)
	topic, leader := createTopic(t, bootstrap[0], 1, map[string]string{"max.message.bytes": limit})
	value := make([]byte, largeValue)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(value) // incompressible, and every byte matters

	b := dial(t, leader)
	offset := b.produce(topic, 0, []kafkawire.Record{{Key: []byte("big"), Value: value}})
	p := b.fetch(kafkawire.FetchRequest{
		Topic: topic, Offset: offset, MaxWaitMs: 1000, MinBytes: 1,
		MaxBytes: 2 * largeValue, PartitionMaxBytes: 2 * largeValue,
	})
	if len(p.Records) != 1 || p.Records[0].Offset != offset || !bytes.Equal(p.Records[0].Value, value) {
		t.Fatalf("fetched %d records back, want the one 10 MiB record at offset %d", len(p.Records), offset)
	}
}

// A frame over MaxRequestBytes is refused with MismatchArgument before any
// byte is written: the same connection then completes a round trip, which
// it could not if part of the frame had reached the broker (the broker
// would read the next request as the rest of the big one, or hang up).
func TestOver100MiBRefusedBeforeSending(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	b := dial(t, kafkatest.Brokers(t, 1)[0])
	// The size prefix says what follows, so the body alone is over the
	// limit, whether the limit counts the prefix or not.
	frame := make([]byte, kafkaio.MaxRequestBytes+5)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	copy(frame[4:], kafkawire.ApiVersions(0, clientID, 0)[4:]) // a plausible header

	n, err := b.io.Send(frame)
	if !errors.Is(err, kafkaerr.MismatchArgument) {
		t.Fatalf("Send(%d bytes) = %d, %v; want MismatchArgument", len(frame), n, err)
	}
	if n != 0 {
		t.Fatalf("Send reported %d bytes written for a refused frame", n)
	}
	if !b.io.IsAlive() {
		t.Fatal("connection closed by an argument error")
	}
	checkApiVersions(t, b.apiVersions(0), 0)
}
