package kafkawire

// Special timestamps a ListOffsets request accepts in place of a time.
const (
	// LatestTimestamp asks for the end offset: the offset the next record
	// will get (the high watermark).
	LatestTimestamp int64 = -1
	// EarliestTimestamp asks for the log start offset.
	EarliestTimestamp int64 = -2
)

// ListOffsets builds a ListOffsets v1 request frame for one partition: the
// first offset whose timestamp is at or after timestamp, or one of the
// special LatestTimestamp / EarliestTimestamp values. The replica id is -1,
// as for any consumer.
func ListOffsets(corrID int32, clientID, topic string, partition int32, timestamp int64) []byte {
	e := newRequest(KeyListOffsets, 1, corrID, clientID, false)
	e.int32(-1) // replica_id
	e.arrayLen(1)
	e.string(topic)
	e.arrayLen(1)
	e.int32(partition)
	e.int64(timestamp)
	return e.frame()
}

// ListOffsetsResponse is a parsed ListOffsets v1 response, its topics and
// partitions flattened.
type ListOffsetsResponse struct {
	CorrelationID int32
	Partitions    []PartitionOffset
}

// PartitionOffset is one partition's answer in a ListOffsets response.
type PartitionOffset struct {
	Topic     string
	Partition int32
	ErrorCode int16
	Timestamp int64
	Offset    int64
}

// ParseListOffsets parses a ListOffsets v1 response body.
func ParseListOffsets(body []byte) (ListOffsetsResponse, error) {
	d := decoder{b: body}
	r := ListOffsetsResponse{CorrelationID: d.int32()}
	topics := d.arrayLen(6)
	for i := 0; i < topics && d.err == nil; i++ {
		topic := d.string()
		n := d.arrayLen(22)
		for j := 0; j < n && d.err == nil; j++ {
			r.Partitions = append(r.Partitions, PartitionOffset{
				Topic: topic, Partition: d.int32(), ErrorCode: d.int16(),
				Timestamp: d.int64(), Offset: d.int64(),
			})
		}
	}
	return r, d.finish("ListOffsets response")
}
