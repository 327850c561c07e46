package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const (
	clientID = "kafkaio-integration"
	// callTimeout bounds each Send and Receive that does not wait on the
	// broker on purpose; generous because CI machines are slow under -race.
	callTimeout = 15 * time.Second
	// readyTimeout bounds waiting for a new topic to get leaders, which a
	// real cluster takes a moment to do.
	readyTimeout = 30 * time.Second
)

// broker is one kafkaio connection under test.
type broker struct {
	t    *testing.T
	io   *kafkaio.IO
	addr string
	corr int32
}

// dial connects to addr ("host:port", IPv6 in brackets) through kafkaio and
// closes the connection when the test ends.
func dial(t *testing.T, addr string) *broker {
	t.Helper()
	host, port := splitAddr(t, addr)
	return dialConfig(t, kafkaio.Config{Host: host, Port: port})
}

// dialConfig connects with cfg, defaulting its timeout to callTimeout.
func dialConfig(t *testing.T, cfg kafkaio.Config) *broker {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = callTimeout
	}
	c, err := kafkaio.New(cfg)
	if err != nil {
		t.Fatalf("connect to %s:%d: %v", cfg.Host, cfg.Port, err)
	}
	t.Cleanup(func() { c.Close() })
	return &broker{t: t, io: c, addr: c.Addr(), corr: rand.Int32N(1 << 20)}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("broker address %q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("broker address %q: %v", addr, err)
	}
	return host, port
}

// nextCorr returns a fresh correlation id. They start at a random value so a
// response matched to the wrong request cannot pass by coincidence.
func (b *broker) nextCorr() int32 {
	b.corr++
	return b.corr
}

// send writes one frame through kafkaio and fails the test on error.
func (b *broker) send(frame []byte) {
	b.t.Helper()
	n, err := b.io.Send(frame)
	if err != nil {
		b.t.Fatalf("send %d bytes to %s: %v", len(frame), b.addr, err)
	}
	if n != len(frame) {
		b.t.Fatalf("send to %s: wrote %d of %d bytes without an error", b.addr, n, len(frame))
	}
}

// receive reads one response frame within timeout and checks that it
// answers correlation id want.
func (b *broker) receive(want int32, timeout time.Duration) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, err := b.io.ReceiveFrame(ctx, nil)
	if err != nil {
		b.t.Fatalf("receive from %s: %v", b.addr, err)
	}
	got, err := kafkawire.CorrelationID(body)
	if err != nil {
		b.t.Fatal(err)
	}
	if got != want {
		b.t.Fatalf("response from %s answers correlation id %d, want %d", b.addr, got, want)
	}
	return body
}

// roundTrip sends the frame build makes for a fresh correlation id and
// returns the response body, checked to answer that id.
func (b *broker) roundTrip(build func(corrID int32) []byte) []byte {
	b.t.Helper()
	id := b.nextCorr()
	b.send(build(id))
	return b.receive(id, callTimeout)
}

func (b *broker) apiVersions(version int16) kafkawire.ApiVersionsResponse {
	b.t.Helper()
	body := b.roundTrip(func(id int32) []byte { return kafkawire.ApiVersions(id, clientID, version) })
	r, err := kafkawire.ParseApiVersions(body, version)
	if err != nil {
		b.t.Fatalf("ApiVersions v%d from %s: %v", version, b.addr, err)
	}
	if r.ErrorCode != kafkawire.ErrNone {
		b.t.Fatalf("ApiVersions v%d from %s: error code %d", version, b.addr, r.ErrorCode)
	}
	return r
}

// metadata asks for topics (nil: all, empty: none) with Metadata v1.
func (b *broker) metadata(topics []string) kafkawire.MetadataResponse {
	b.t.Helper()
	body := b.roundTrip(func(id int32) []byte { return kafkawire.Metadata(id, clientID, 1, topics) })
	md, err := kafkawire.ParseMetadata(body)
	if err != nil {
		b.t.Fatalf("Metadata from %s: %v", b.addr, err)
	}
	return md
}

func (b *broker) listOffset(topic string, partition int32, timestamp int64) int64 {
	b.t.Helper()
	body := b.roundTrip(func(id int32) []byte {
		return kafkawire.ListOffsets(id, clientID, topic, partition, timestamp)
	})
	r, err := kafkawire.ParseListOffsets(body)
	if err != nil {
		b.t.Fatalf("ListOffsets from %s: %v", b.addr, err)
	}
	if len(r.Partitions) != 1 || r.Partitions[0].ErrorCode != kafkawire.ErrNone {
		b.t.Fatalf("ListOffsets %s/%d from %s: %+v", topic, partition, b.addr, r.Partitions)
	}
	return r.Partitions[0].Offset
}

// produce sends records with acks=all and returns the base offset.
func (b *broker) produce(topic string, partition int32, records []kafkawire.Record) int64 {
	b.t.Helper()
	body := b.roundTrip(func(id int32) []byte {
		return kafkawire.Produce(id, clientID, kafkawire.ProduceRequest{
			Topic: topic, Partition: partition, Acks: kafkawire.AcksAll, TimeoutMs: 10000, Records: records,
		})
	})
	r, err := kafkawire.ParseProduce(body)
	if err != nil {
		b.t.Fatalf("Produce to %s: %v", b.addr, err)
	}
	if len(r.Partitions) != 1 || r.Partitions[0].ErrorCode != kafkawire.ErrNone {
		b.t.Fatalf("Produce to %s/%d on %s: %+v", topic, partition, b.addr, r.Partitions)
	}
	return r.Partitions[0].BaseOffset
}

// fetch reads records from offset on, with a receive deadline well past
// the broker's MaxWait.
func (b *broker) fetch(req kafkawire.FetchRequest) kafkawire.FetchPartition {
	b.t.Helper()
	id := b.nextCorr()
	b.send(kafkawire.Fetch(id, clientID, req))
	body := b.receive(id, callTimeout+time.Duration(req.MaxWaitMs)*time.Millisecond)
	r, err := kafkawire.ParseFetch(body)
	if err != nil {
		b.t.Fatalf("Fetch from %s: %v", b.addr, err)
	}
	if len(r.Partitions) != 1 || r.Partitions[0].ErrorCode != kafkawire.ErrNone {
		b.t.Fatalf("Fetch %s/%d from %s: %+v", req.Topic, req.Partition, b.addr, r.Partitions)
	}
	return r.Partitions[0]
}

// brokerAddr formats a Metadata broker as "host:port".
func brokerAddr(b kafkawire.Broker) string {
	return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
}

// nodeAddr returns the address Metadata gives for node id.
func nodeAddr(t *testing.T, md kafkawire.MetadataResponse, id int32) string {
	t.Helper()
	for _, b := range md.Brokers {
		if b.NodeID == id {
			return brokerAddr(b)
		}
	}
	t.Fatalf("node %d is not among the brokers Metadata lists: %+v", id, md.Brokers)
	return ""
}

// topicName makes a topic name unique to this test and run, using only the
// characters Kafka allows.
func topicName(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("kafkaio-%s-%08x", name, rand.Uint32())
}

// createTopic creates a fresh single-replica topic through kafkaio (on the
// controller, where every Kafka version accepts CreateTopics), waits until
// each partition has a leader, and returns the topic's name and the address
// of partition 0's leader, where produce and fetch must go.
func createTopic(t *testing.T, bootstrap string, partitions int32, configs map[string]string) (topic, leader string) {
	t.Helper()
	topic = topicName(t)
	boot := dial(t, bootstrap)
	md := boot.metadata([]string{})
	controller := dial(t, nodeAddr(t, md, md.ControllerID))
	body := controller.roundTrip(func(id int32) []byte {
		return kafkawire.CreateTopics(id, clientID, kafkawire.NewTopic{
			Name: topic, Partitions: partitions, Replication: 1, Configs: configs,
		}, 10000)
	})
	r, err := kafkawire.ParseCreateTopics(body)
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	if len(r.Topics) != 1 || r.Topics[0].ErrorCode != kafkawire.ErrNone {
		t.Fatalf("CreateTopics %s: %+v", topic, r.Topics)
	}
	return topic, waitForLeader(t, boot, topic)
}

// waitForLeader polls Metadata until every partition of topic has a leader
// and returns partition 0's leader address.
func waitForLeader(t *testing.T, boot *broker, topic string) string {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		md := boot.metadata([]string{topic})
		if leader, ok := partitionZeroLeader(md); ok {
			return nodeAddr(t, md, leader)
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s has no leader after %v: %+v", topic, readyTimeout, md.Topics)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func partitionZeroLeader(md kafkawire.MetadataResponse) (int32, bool) {
	if len(md.Topics) != 1 || md.Topics[0].ErrorCode != kafkawire.ErrNone || len(md.Topics[0].Partitions) == 0 {
		return 0, false
	}
	leader := int32(-1)
	for _, p := range md.Topics[0].Partitions {
		if p.ErrorCode != kafkawire.ErrNone || p.Leader < 0 {
			return 0, false
		}
		if p.Partition == 0 {
			leader = p.Leader
		}
	}
	return leader, leader >= 0
}
