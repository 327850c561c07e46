package kafkawire

import (
	"bytes"
	"encoding/hex"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const testClient = "test"

// The reference frame from the protocol notes: ApiVersions v0, correlation
// id 1, client id "test".
func TestApiVersionsV0KnownBytes(t *testing.T) {
	want, _ := hex.DecodeString("0000000e00120000000000010004" + "74657374")
	if got := ApiVersions(1, testClient, 0); !bytes.Equal(got, want) {
		t.Fatalf("ApiVersions v0 = % x\nwant             % x", got, want)
	}
}

func TestApiVersionsV3KnownBytes(t *testing.T) {
	want := []byte{
		0, 0, 0, 0x26, // size: 38 bytes follow
		0, 18, 0, 3, 0, 0, 0, 7, 0, 4, 't', 'e', 's', 't', // header v1 part
		0,    // header v2 tagged fields
		0x12, // compact string length 17+1
	}
	want = append(want, SoftwareName...)
	want = append(want, 4) // compact length 3+1
	want = append(want, SoftwareVersion...)
	want = append(want, 0) // body tagged fields
	if got := ApiVersions(7, testClient, 3); !bytes.Equal(got, want) {
		t.Fatalf("ApiVersions v3 = % x\nwant             % x", got, want)
	}
}

// sameBytes fails the test when got differs from kmsg's encoding.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from kmsg:\n got % x\nwant % x", what, got, want)
	}
}

func TestApiVersionsMatchesKmsg(t *testing.T) {
	for _, v := range []int16{0, 1, 2, 3} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName = SoftwareName
		req.ClientSoftwareVersion = SoftwareVersion
		sameBytes(t, "ApiVersions", ApiVersions(42, "kafkaio", v), kmsgRequest(req, 42, "kafkaio"))
	}
}

func TestMetadataMatchesKmsg(t *testing.T) {
	cases := map[string][]string{"all topics": nil, "no topics": {}, "two topics": {"a", "topic-b"}}
	for name, topics := range cases {
		t.Run(name, func(t *testing.T) {
			req := kmsg.NewPtrMetadataRequest()
			req.Version = 1
			if topics != nil {
				req.Topics = []kmsg.MetadataRequestTopic{}
			}
			for _, topic := range topics {
				mt := kmsg.NewMetadataRequestTopic()
				mt.Topic = kmsg.StringPtr(topic)
				req.Topics = append(req.Topics, mt)
			}
			sameBytes(t, "Metadata v1", Metadata(9, testClient, 1, topics), kmsgRequest(req, 9, testClient))
		})
	}
}

func TestListOffsetsMatchesKmsg(t *testing.T) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = 1
	req.ReplicaID = -1
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Partition = 3
	p.Timestamp = LatestTimestamp
	req.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: "events", Partitions: []kmsg.ListOffsetsRequestTopicPartition{p}}}
	got := ListOffsets(-5, testClient, "events", 3, LatestTimestamp)
	sameBytes(t, "ListOffsets v1", got, kmsgRequest(req, -5, testClient))
}

// sampleRecords covers the record encoding's corners: null and empty keys
// and values, headers with null values, and timestamps that go backwards.
func sampleRecords() []Record {
	return []Record{
		{Timestamp: 1_700_000_000_000, Key: []byte("k1"), Value: []byte("hello")},
		{Timestamp: 1_700_000_000_250, Key: nil, Value: []byte{}, Headers: []Header{{Key: "h", Value: []byte("v")}, {Key: "n", Value: nil}}},
		{Timestamp: 1_699_999_999_000, Key: []byte{}, Value: nil},
		{Timestamp: 1_700_000_000_100, Key: []byte("k4"), Value: bytes.Repeat([]byte{0xab}, 300)},
	}
}

func TestRecordBatchMatchesKmsg(t *testing.T) {
	sameBytes(t, "RecordBatch v2", RecordBatch(sampleRecords()), kmsgBatch(t, sampleRecords()))
}

// The CRC-32C check value from the CRC catalogue, so the table is known to be
// Castagnoli and not IEEE.
func TestCastagnoliCheckValue(t *testing.T) {
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Fatalf("CRC-32C(123456789) = %#x, want 0xe3069283", got)
	}
}

func TestProduceMatchesKmsg(t *testing.T) {
	records := sampleRecords()
	req := kmsg.NewPtrProduceRequest()
	req.Version = 3
	req.Acks = AcksAll
	req.TimeoutMillis = 5000
	req.Topics = []kmsg.ProduceRequestTopic{{
		Topic:      "events",
		Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 2, Records: kmsgBatch(t, records)}},
	}}
	got := Produce(77, testClient, ProduceRequest{Topic: "events", Partition: 2, Acks: AcksAll, TimeoutMs: 5000, Records: records})
	sameBytes(t, "Produce v3", got, kmsgRequest(req, 77, testClient))
}

func TestFetchMatchesKmsg(t *testing.T) {
	req := kmsg.NewPtrFetchRequest()
	req.Version = 4
	req.ReplicaID = -1
	req.MaxWaitMillis = 500
	req.MinBytes = 1
	req.MaxBytes = DefaultFetchMaxBytes
	req.IsolationLevel = 1
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition = 1
	p.FetchOffset = 12345
	p.PartitionMaxBytes = 4096
	req.Topics = []kmsg.FetchRequestTopic{{Topic: "events", Partitions: []kmsg.FetchRequestTopicPartition{p}}}
	got := Fetch(8, testClient, FetchRequest{
		Topic: "events", Partition: 1, Offset: 12345, MaxWaitMs: 500, MinBytes: 1,
		PartitionMaxBytes: 4096, IsolationLevel: 1,
	})
	sameBytes(t, "Fetch v4", got, kmsgRequest(req, 8, testClient))
}

// Every builder's size prefix must count exactly the bytes after it.
func TestSizePrefix(t *testing.T) {
	frames := map[string][]byte{
		"ApiVersions":         ApiVersions(1, "", 3),
		"Metadata":            Metadata(1, "x", 1, []string{"t"}),
		"ListOffsets":         ListOffsets(1, "x", "t", 0, EarliestTimestamp),
		"Produce":             Produce(1, "x", ProduceRequest{Topic: "t", Acks: AcksLeader, Records: sampleRecords()}),
		"Fetch":               Fetch(1, "x", FetchRequest{Topic: "t"}),
		"SaslHandshake":       SaslHandshake(1, "x", 1, "PLAIN"),
		"SaslAuthenticate v1": SaslAuthenticate(1, "x", 1, []byte("\x00u\x00p")),
		"SaslAuthenticate v2": SaslAuthenticate(1, "x", 2, make([]byte, 200)),
	}
	for name, f := range frames {
		size := int(uint32(f[0])<<24 | uint32(f[1])<<16 | uint32(f[2])<<8 | uint32(f[3]))
		if size != len(f)-4 {
			t.Errorf("%s: size prefix %d, frame has %d bytes after it", name, size, len(f)-4)
		}
	}
}

func TestCreateTopicsMatchesKmsg(t *testing.T) {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version = 2
	req.TimeoutMillis = 10000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "fresh", 3, 1
	for _, kv := range [][2]string{{"cleanup.policy", "compact"}, {"max.message.bytes", "20971520"}} {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = kv[0], kmsg.StringPtr(kv[1])
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = []kmsg.CreateTopicsRequestTopic{rt}
	got := CreateTopics(4, testClient, NewTopic{
		Name: "fresh", Partitions: 3, Replication: 1,
		Configs: map[string]string{"max.message.bytes": "20971520", "cleanup.policy": "compact"},
	}, 10000)
	sameBytes(t, "CreateTopics v2", got, kmsgRequest(req, 4, testClient))
}
