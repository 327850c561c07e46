package kafkawire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func apiVersionsKmsg(version int16, errCode int16) *kmsg.ApiVersionsResponse {
	r := kmsg.NewPtrApiVersionsResponse()
	r.Version = version
	r.ErrorCode = errCode
	r.ThrottleMillis = 17
	for _, k := range []kmsg.ApiVersionsResponseApiKey{
		{ApiKey: 0, MinVersion: 3, MaxVersion: 13},
		{ApiKey: 18, MinVersion: 0, MaxVersion: 4},
	} {
		r.ApiKeys = append(r.ApiKeys, k)
	}
	if version >= 3 {
		// Tagged fields the parser must skip over.
		r.SupportedFeatures = []kmsg.ApiVersionsResponseSupportedFeature{{Name: "metadata.version", MinVersion: 1, MaxVersion: 20}}
		r.FinalizedFeaturesEpoch = 5
	}
	return r
}

func TestParseApiVersions(t *testing.T) {
	for _, v := range []int16{0, 1, 2, 3} {
		body := kmsgResponse(apiVersionsKmsg(v, 0), 31)
		got, err := ParseApiVersions(body, v)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		want := ApiVersionsResponse{
			CorrelationID: 31,
			APIKeys:       []APIKeyRange{{0, 3, 13}, {18, 0, 4}},
		}
		if v >= 1 {
			want.ThrottleTimeMs = 17
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("v%d: got %+v, want %+v", v, got, want)
		}
		if r, ok := got.Find(KeyApiVersions); !ok || r.MaxVersion != 4 {
			t.Fatalf("v%d: Find(ApiVersions) = %+v, %v", v, r, ok)
		}
		if _, ok := got.Find(KeyFetch); ok {
			t.Fatalf("v%d: Find(Fetch) found a key the response does not list", v)
		}
	}
}

// A broker that cannot serve the requested version answers in the v0 layout.
func TestParseApiVersionsUnsupportedVersionReply(t *testing.T) {
	body := kmsgResponse(apiVersionsKmsg(0, ErrUnsupportedVersion), 2)
	got, err := ParseApiVersions(body, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErrorCode != ErrUnsupportedVersion || len(got.APIKeys) != 2 {
		t.Fatalf("got %+v", got)
	}
}

func metadataKmsg() *kmsg.MetadataResponse {
	r := kmsg.NewPtrMetadataResponse()
	r.Version = 1
	r.ControllerID = 2
	r.Brokers = []kmsg.MetadataResponseBroker{
		{NodeID: 0, Host: "127.0.0.1", Port: 40001},
		{NodeID: 2, Host: "::1", Port: 40003, Rack: kmsg.StringPtr("r1")},
	}
	p := kmsg.NewMetadataResponseTopicPartition()
	p.Partition, p.Leader, p.Replicas, p.ISR = 0, 2, []int32{2, 0}, []int32{2}
	r.Topics = []kmsg.MetadataResponseTopic{
		{Topic: kmsg.StringPtr("events"), Partitions: []kmsg.MetadataResponseTopicPartition{p}},
		{ErrorCode: ErrUnknownTopicOrPartition, Topic: kmsg.StringPtr("missing"), IsInternal: true},
	}
	return r
}

func TestParseMetadata(t *testing.T) {
	got, err := ParseMetadata(kmsgResponse(metadataKmsg(), 5))
	if err != nil {
		t.Fatal(err)
	}
	rack := "r1"
	want := MetadataResponse{
		CorrelationID: 5,
		Brokers:       []Broker{{NodeID: 0, Host: "127.0.0.1", Port: 40001}, {NodeID: 2, Host: "::1", Port: 40003, Rack: &rack}},
		ControllerID:  2,
		Topics: []TopicMetadata{
			{Name: "events", Partitions: []PartitionMetadata{{Partition: 0, Leader: 2, Replicas: []int32{2, 0}, ISR: []int32{2}}}},
			{ErrorCode: ErrUnknownTopicOrPartition, Name: "missing", Internal: true, Partitions: []PartitionMetadata{}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func listOffsetsKmsg() *kmsg.ListOffsetsResponse {
	r := kmsg.NewPtrListOffsetsResponse()
	r.Version = 1
	p := kmsg.NewListOffsetsResponseTopicPartition()
	p.Partition, p.Timestamp, p.Offset = 3, -1, 42
	r.Topics = []kmsg.ListOffsetsResponseTopic{{Topic: "events", Partitions: []kmsg.ListOffsetsResponseTopicPartition{p}}}
	return r
}

func TestParseListOffsets(t *testing.T) {
	got, err := ParseListOffsets(kmsgResponse(listOffsetsKmsg(), 6))
	if err != nil {
		t.Fatal(err)
	}
	want := ListOffsetsResponse{CorrelationID: 6, Partitions: []PartitionOffset{{Topic: "events", Partition: 3, Timestamp: -1, Offset: 42}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func produceKmsg() *kmsg.ProduceResponse {
	r := kmsg.NewPtrProduceResponse()
	r.Version = 3
	r.ThrottleMillis = 9
	p := kmsg.NewProduceResponseTopicPartition()
	p.Partition, p.BaseOffset, p.LogAppendTime = 1, 100, -1
	r.Topics = []kmsg.ProduceResponseTopic{{Topic: "events", Partitions: []kmsg.ProduceResponseTopicPartition{p}}}
	return r
}

func TestParseProduce(t *testing.T) {
	got, err := ParseProduce(kmsgResponse(produceKmsg(), 7))
	if err != nil {
		t.Fatal(err)
	}
	want := ProduceResponse{CorrelationID: 7, ThrottleTimeMs: 9,
		Partitions: []ProducePartition{{Topic: "events", Partition: 1, BaseOffset: 100, LogAppendTime: -1}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// withBaseOffset returns a copy of batch as a broker would store it at base.
// The base offset sits before the CRC-covered bytes, so the CRC stays valid.
func withBaseOffset(batch []byte, base int64) []byte {
	b := bytes.Clone(batch)
	for i := range 8 {
		b[i] = byte(base >> (56 - 8*i))
	}
	return b
}

// fetchKmsg answers with two complete batches and the start of a third, as a
// broker does when the byte limit falls inside a batch.
func fetchKmsg() *kmsg.FetchResponse {
	first := withBaseOffset(RecordBatch(sampleRecords()), 10)
	second := withBaseOffset(RecordBatch([]Record{{Timestamp: 5, Value: []byte("last")}}), 14)
	set := append(append(first, second...), first[:30]...)

	r := kmsg.NewPtrFetchResponse()
	r.Version = 4
	r.ThrottleMillis = 1
	p := kmsg.NewFetchResponseTopicPartition()
	p.Partition, p.HighWatermark, p.LastStableOffset = 0, 15, 15
	p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 4, FirstOffset: 2}}
	p.RecordBatches = set
	empty := kmsg.NewFetchResponseTopicPartition()
	empty.Partition, empty.ErrorCode = 1, ErrOffsetOutOfRange
	r.Topics = []kmsg.FetchResponseTopic{{Topic: "events", Partitions: []kmsg.FetchResponseTopicPartition{p, empty}}}
	return r
}

func TestParseFetch(t *testing.T) {
	got, err := ParseFetch(kmsgResponse(fetchKmsg(), 8))
	if err != nil {
		t.Fatal(err)
	}
	if got.CorrelationID != 8 || got.ThrottleTimeMs != 1 || len(got.Partitions) != 2 {
		t.Fatalf("got %+v", got)
	}
	p := got.Partitions[0]
	if p.Topic != "events" || p.HighWatermark != 15 || p.LastStableOffset != 15 || p.ErrorCode != 0 {
		t.Fatalf("partition 0: %+v", p)
	}
	want := sampleRecords()
	for i := range want {
		want[i].Offset = 10 + int64(i)
	}
	want = append(want, Record{Offset: 14, Timestamp: 5, Value: []byte("last")})
	if !reflect.DeepEqual(p.Records, want) {
		t.Fatalf("records:\n got %+v\nwant %+v", p.Records, want)
	}
	if q := got.Partitions[1]; q.ErrorCode != ErrOffsetOutOfRange || q.Records != nil {
		t.Fatalf("partition 1: %+v", q)
	}
}

// kfake's own batch decoder reads our batches the same way.
func TestRecordBatchReadByKfake(t *testing.T) {
	var b kmsg.RecordBatch
	if err := b.ReadFrom(RecordBatch(sampleRecords())); err != nil {
		t.Fatal(err)
	}
	recs, err := kfake.BatchRecords(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range sampleRecords() {
		got := recs[i]
		if !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) || len(got.Headers) != len(want.Headers) {
			t.Fatalf("record %d: kfake read %+v, want %+v", i, got, want)
		}
		if ts := b.FirstTimestamp + got.TimestampDelta64; ts != want.Timestamp {
			t.Fatalf("record %d: timestamp %d, want %d", i, ts, want.Timestamp)
		}
	}
}

func TestParseRecordBatchesRejectsBadCRC(t *testing.T) {
	b := RecordBatch(sampleRecords())
	b[len(b)-1] ^= 0xff
	if _, err := ParseRecordBatches(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("corrupted batch: err = %v, want ErrMalformed", err)
	}
}

func TestCorrelationID(t *testing.T) {
	if id, err := CorrelationID([]byte{0x7f, 0, 0, 1, 0xee}); err != nil || id != 0x7f000001 {
		t.Fatalf("CorrelationID = %#x, %v", id, err)
	}
	if _, err := CorrelationID([]byte{1, 2, 3}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short body: err = %v, want ErrMalformed", err)
	}
}

func createTopicsKmsg() *kmsg.CreateTopicsResponse {
	r := kmsg.NewPtrCreateTopicsResponse()
	r.Version = 2
	r.ThrottleMillis = 3
	ok := kmsg.NewCreateTopicsResponseTopic()
	ok.Topic = "fresh"
	dup := kmsg.NewCreateTopicsResponseTopic()
	dup.Topic, dup.ErrorCode, dup.ErrorMessage = "old", ErrTopicAlreadyExists, kmsg.StringPtr("exists")
	r.Topics = []kmsg.CreateTopicsResponseTopic{ok, dup}
	return r
}

func TestParseCreateTopics(t *testing.T) {
	got, err := ParseCreateTopics(kmsgResponse(createTopicsKmsg(), 4))
	if err != nil {
		t.Fatal(err)
	}
	msg := "exists"
	want := CreateTopicsResponse{CorrelationID: 4, ThrottleTimeMs: 3, Topics: []TopicResult{
		{Name: "fresh"}, {Name: "old", ErrorCode: ErrTopicAlreadyExists, ErrorMessage: &msg},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
