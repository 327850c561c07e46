package kafkawire

import "fmt"

// DefaultFetchMaxBytes is the byte limit Fetch uses for a zero MaxBytes or
// PartitionMaxBytes.
const DefaultFetchMaxBytes = 1 << 20

// FetchRequest describes a Fetch v4 request for one partition.
type FetchRequest struct {
	Topic     string
	Partition int32
	Offset    int64 // first offset wanted
	// MaxWaitMs is how long the broker may hold the request while fewer
	// than MinBytes are available. The caller's receive deadline must be
	// longer, or a quiet partition looks like a dead broker.
	MaxWaitMs int32
	MinBytes  int32
	// MaxBytes and PartitionMaxBytes bound the response and this
	// partition's share of it; zero means DefaultFetchMaxBytes. Brokers
	// still return at least one whole batch even if it is larger.
	MaxBytes          int32
	PartitionMaxBytes int32
	// IsolationLevel 0 reads uncommitted records, 1 only committed ones.
	IsolationLevel int8
}

// Fetch builds a Fetch v4 request frame as a consumer (replica id -1).
func Fetch(corrID int32, clientID string, req FetchRequest) []byte {
	e := newRequest(KeyFetch, 4, corrID, clientID, false)
	e.int32(-1) // replica_id
	e.int32(req.MaxWaitMs)
	e.int32(req.MinBytes)
	e.int32(orDefault(req.MaxBytes))
	e.int8(req.IsolationLevel)
	e.arrayLen(1)
	e.string(req.Topic)
	e.arrayLen(1)
	e.int32(req.Partition)
	e.int64(req.Offset)
	e.int32(orDefault(req.PartitionMaxBytes))
	return e.frame()
}

func orDefault(limit int32) int32 {
	if limit == 0 {
		return DefaultFetchMaxBytes
	}
	return limit
}

// FetchResponse is a parsed Fetch v4 response, its topics and partitions
// flattened.
type FetchResponse struct {
	CorrelationID  int32
	ThrottleTimeMs int32
	Partitions     []FetchPartition
}

// FetchPartition is one partition's answer in a Fetch response.
type FetchPartition struct {
	Topic            string
	Partition        int32
	ErrorCode        int16
	HighWatermark    int64
	LastStableOffset int64
	// Records are decoded from the partition's record set. A batch can
	// start before the requested offset, so records below it may appear;
	// callers filter by Offset.
	Records []Record
}

// ParseFetch parses a Fetch v4 response body, decoding its record batches
// with ParseRecordBatches. Aborted-transaction lists are skipped.
func ParseFetch(body []byte) (FetchResponse, error) {
	d := decoder{b: body}
	r := FetchResponse{CorrelationID: d.int32(), ThrottleTimeMs: d.int32()}
	topics := d.arrayLen(6)
	for i := 0; i < topics && d.err == nil; i++ {
		topic := d.string()
		n := d.arrayLen(30)
		for j := 0; j < n && d.err == nil; j++ {
			p, err := readFetchPartition(&d, topic)
			if err != nil {
				return r, err
			}
			r.Partitions = append(r.Partitions, p)
		}
	}
	return r, d.finish("Fetch response")
}

// readFetchPartition reads one partition entry and decodes its records.
func readFetchPartition(d *decoder, topic string) (FetchPartition, error) {
	p := FetchPartition{
		Topic: topic, Partition: d.int32(), ErrorCode: d.int16(),
		HighWatermark: d.int64(), LastStableOffset: d.int64(),
	}
	aborted := d.arrayLen(16)
	d.take(aborted * 16) // producer_id int64, first_offset int64 each
	set := d.nullableBytes32()
	if d.err != nil {
		return p, nil // reported by finish
	}
	records, err := ParseRecordBatches(set)
	if err != nil {
		return p, fmt.Errorf("Fetch response, %s/%d: %w", topic, p.Partition, err)
	}
	p.Records = records
	return p, nil
}
