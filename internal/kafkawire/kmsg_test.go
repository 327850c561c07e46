package kafkawire

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// This file holds helpers that produce reference encodings with franz-go's
// kmsg package, an independent implementation of the protocol, so the tests
// compare against bytes this package did not write.

// kmsgRequest frames r the way a franz-go client would send it.
func kmsgRequest(r kmsg.Request, corrID int32, clientID string) []byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))
	return f.AppendRequest(nil, r, corrID)
}

// kmsgResponse encodes r as a broker would, minus the size prefix: the
// correlation id, a tagged-field byte for flexible responses (except
// ApiVersions, whose header is always v0), then the body.
func kmsgResponse(r kmsg.Response, corrID int32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(corrID))
	if r.IsFlexible() && r.Key() != kmsg.ApiVersions.Int16() {
		b = append(b, 0)
	}
	return r.AppendTo(b)
}

// kmsgBatch encodes records as a RecordBatch v2 through kmsg, computing the
// length and CRC-32C fields the way the spec defines them.
func kmsgBatch(tb testing.TB, records []Record) []byte {
	tb.Helper()
	var encoded []byte
	base, maxTS := records[0].Timestamp, records[0].Timestamp
	for i, r := range records {
		maxTS = max(maxTS, r.Timestamp)
		encoded = appendKmsgRecord(encoded, kmsg.Record{
			TimestampDelta64: r.Timestamp - base,
			OffsetDelta:      int32(i),
			Key:              r.Key,
			Value:            r.Value,
			Headers:          kmsgHeaders(r.Headers),
		})
	}
	batch := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(records) - 1),
		FirstTimestamp:       base,
		MaxTimestamp:         maxTS,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(len(records)),
		Records:              encoded,
	}
	b := batch.AppendTo(nil)
	batch.Length = int32(len(b) - 12)
	b = batch.AppendTo(b[:0])
	batch.CRC = int32(crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return batch.AppendTo(b[:0])
}

// appendKmsgRecord appends r with its Length field filled in: kmsg writes
// Length as given, so encode once to measure, then for real.
func appendKmsgRecord(dst []byte, r kmsg.Record) []byte {
	probe := r.AppendTo(nil) // Length 0 encodes as a 1-byte varint
	r.Length = int32(len(probe) - 1)
	return r.AppendTo(dst)
}

func kmsgHeaders(hs []Header) []kmsg.Header {
	var out []kmsg.Header
	for _, h := range hs {
		out = append(out, kmsg.Header{Key: h.Key, Value: h.Value})
	}
	return out
}
