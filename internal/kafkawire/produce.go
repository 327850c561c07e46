package kafkawire

import "slices"

// Acknowledgement levels for ProduceRequest.Acks.
const (
	// AcksNone asks for no response at all: the broker sends nothing back,
	// so a caller must not wait for one.
	AcksNone int16 = 0
	// AcksLeader is answered once the partition leader has the records.
	AcksLeader int16 = 1
	// AcksAll is answered once every in-sync replica has the records.
	AcksAll int16 = -1
)

// ProduceRequest describes a Produce v3 request carrying one RecordBatch v2
// to one partition.
type ProduceRequest struct {
	Topic     string
	Partition int32
	// Acks is AcksAll, AcksLeader or AcksNone. The zero value is AcksNone,
	// so set it explicitly whenever a response is expected.
	Acks      int16
	TimeoutMs int32
	Records   []Record
}

// Produce builds a Produce v3 request frame: a null transactional id, then
// the records encoded by RecordBatch.
func Produce(corrID int32, clientID string, req ProduceRequest) []byte {
	batch := RecordBatch(req.Records)
	e := newRequest(KeyProduce, 3, corrID, clientID, false)
	// Grow once so a large batch is copied once, not at every doubling.
	e.b = slices.Grow(e.b, 32+len(req.Topic)+len(batch))
	e.nullString() // transactional_id
	e.int16(req.Acks)
	e.int32(req.TimeoutMs)
	e.arrayLen(1)
	e.string(req.Topic)
	e.arrayLen(1)
	e.int32(req.Partition)
	e.bytes32(batch)
	return e.frame()
}

// ProduceResponse is a parsed Produce v3 response, its topics and partitions
// flattened.
type ProduceResponse struct {
	CorrelationID  int32
	Partitions     []ProducePartition
	ThrottleTimeMs int32
}

// ProducePartition is one partition's answer in a Produce response.
type ProducePartition struct {
	Topic         string
	Partition     int32
	ErrorCode     int16
	BaseOffset    int64 // offset of the first record of the batch
	LogAppendTime int64 // -1 unless the topic uses LogAppendTime
}

// ParseProduce parses a Produce v3 response body.
func ParseProduce(body []byte) (ProduceResponse, error) {
	d := decoder{b: body}
	r := ProduceResponse{CorrelationID: d.int32()}
	topics := d.arrayLen(6)
	for i := 0; i < topics && d.err == nil; i++ {
		topic := d.string()
		n := d.arrayLen(22)
		for j := 0; j < n && d.err == nil; j++ {
			r.Partitions = append(r.Partitions, ProducePartition{
				Topic: topic, Partition: d.int32(), ErrorCode: d.int16(),
				BaseOffset: d.int64(), LogAppendTime: d.int64(),
			})
		}
	}
	r.ThrottleTimeMs = d.int32()
	return r, d.finish("Produce response")
}
