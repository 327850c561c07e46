package integration

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Fetch below may wait this long for data that never comes; the
// receive deadline is longer still. A receive that fails before MaxWait
// has run out can only have been ended by the broker going away.
const (
	fetchMaxWait   = 30 * time.Second
	receiveTimeout = fetchMaxWait + 15*time.Second
)

// A broker that disappears while a Fetch waits: the pending ReceiveFrame
// fails with NoConnection or CannotRecv long before any deadline, instead of
// hanging. This always uses the embedded cluster, the only one a test may
// stop.
func TestBrokerDisappearsDuringFetch(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	const topic = "kafkaio-disappearing"
	c := kafkatest.Embedded(t, 1, embedded.SeedTopics(1, topic))
	fetchArrived := notifyOnFetch(c)

	b := dial(t, c.Addrs()[0])
	// The receive starts first (kafkaio allows one Send and one Receive at
	// once), so it is already waiting when the broker goes away.
	received := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), receiveTimeout)
		defer cancel()
		_, err := b.io.ReceiveFrame(ctx, nil)
		received <- err
	}()
	b.send(kafkawire.Fetch(b.nextCorr(), clientID, kafkawire.FetchRequest{
		Topic: topic, Offset: 0, MaxWaitMs: int32(fetchMaxWait / time.Millisecond), MinBytes: 1,
	}))

	select {
	case <-fetchArrived:
	case err := <-received:
		t.Fatalf("ReceiveFrame returned before the broker had the Fetch: %v", err)
	case <-time.After(callTimeout):
		t.Fatal("the broker never received the Fetch")
	}
	stopped := time.Now()
	c.Close()

	err := <-received // bounded by receiveTimeout in the worst case
	elapsed := time.Since(stopped)
	if err == nil {
		t.Fatal("ReceiveFrame succeeded although the broker was stopped")
	}
	if !errors.Is(err, kafkaerr.NoConnection) && !errors.Is(err, kafkaerr.CannotRecv) {
		t.Fatalf("ReceiveFrame error %v, want NoConnection or CannotRecv", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || elapsed >= fetchMaxWait {
		t.Fatalf("ReceiveFrame failed only after %v (%v): it waited out a deadline instead of noticing the broker left", elapsed, err)
	}
	if b.io.IsAlive() {
		t.Fatal("IsAlive is true after the receive failed")
	}
	t.Logf("receive failed %v after the cluster stopped: %v", elapsed.Round(time.Millisecond), err)
}

// notifyOnFetch returns a channel closed when the cluster first sees a Fetch.
// The control function only observes: it declines the request, so the
// cluster handles it as usual (and parks it, as the partition is empty).
func notifyOnFetch(c *embedded.Cluster) <-chan struct{} {
	arrived := make(chan struct{})
	var once sync.Once
	c.Kfake().ControlKey(kmsg.Fetch.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		once.Do(func() { close(arrived) })
		return nil, nil, false
	})
	return arrived
}
