package kafkawire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Record is one Kafka record. Nil Key or Value travel as null, which is not
// the same as empty.
type Record struct {
	// Offset is the record's absolute offset. Parsers fill it in; the
	// builder ignores it, because the broker assigns offsets.
	Offset int64
	// Timestamp is the record's create time in milliseconds since the
	// Unix epoch.
	Timestamp int64
	Key       []byte
	Value     []byte
	Headers   []Header
}

// Header is one record header. A nil Value is a null header value.
type Header struct {
	Key   string
	Value []byte
}

// castagnoli is the CRC-32C table: RecordBatch v2 checksums use the
// Castagnoli polynomial, unlike the IEEE CRC of the older message sets.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// RecordBatch v2 layout: everything up to and including the CRC is fixed,
// the CRC covers attributes through the end of the batch.
const (
	batchLengthOffset = 8  // after base_offset int64
	batchCRCOffset    = 17 // after batch_length int32, leader_epoch int32, magic int8
	batchCRCStart     = 21 // the CRC itself is 4 bytes
	batchHeaderSize   = 61 // every fixed field, through the int32 record count
	batchOverhead     = 12 // base_offset + batch_length, not counted by batch_length
	recordBatchMagic  = 2
)

// Attribute bits of a RecordBatch v2 the parser cares about.
const (
	attrCompressionMask = 0x07
	attrControl         = 0x20
)

// RecordBatch encodes records as one uncompressed RecordBatch v2 with base
// offset 0, no producer id (-1, epoch -1, sequence -1) and CreateTime
// timestamps. The first record's Timestamp is the batch's base timestamp;
// each record stores its delta from it. The CRC-32C over attributes through
// the last record is computed here, so brokers accept the batch as is.
func RecordBatch(records []Record) []byte {
	var base, maxTS int64
	if len(records) > 0 {
		base, maxTS = records[0].Timestamp, records[0].Timestamp
	}
	e := &encoder{b: make([]byte, 0, batchHeaderSize+recordsSizeHint(records))}
	e.int64(0)  // base_offset: the broker assigns the real one
	e.int32(0)  // batch_length, patched below
	e.int32(-1) // partition_leader_epoch: producers send -1
	e.int8(recordBatchMagic)
	e.int32(0) // crc, patched below
	e.int16(0) // attributes: no compression, CreateTime, not transactional
	e.int32(int32(len(records) - 1))
	e.int64(base)
	tsAt := len(e.b)
	e.int64(maxTS) // max_timestamp, patched below
	e.int64(-1)    // producer_id
	e.int16(-1)    // producer_epoch
	e.int32(-1)    // base_sequence
	e.arrayLen(len(records))
	for i, r := range records {
		maxTS = max(maxTS, r.Timestamp)
		appendRecord(e, int64(i), r.Timestamp-base, r)
	}
	b := e.b
	binary.BigEndian.PutUint64(b[tsAt:], uint64(maxTS))
	binary.BigEndian.PutUint32(b[batchLengthOffset:], uint32(len(b)-batchOverhead))
	binary.BigEndian.PutUint32(b[batchCRCOffset:], crc32.Checksum(b[batchCRCStart:], castagnoli))
	return b
}

// recordsSizeHint estimates the encoded size of records, to allocate once.
func recordsSizeHint(records []Record) int {
	n := 0
	for _, r := range records {
		n += 32 + len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			n += 10 + len(h.Key) + len(h.Value)
		}
	}
	return n
}

// appendRecord writes one record: a varint length, then attributes,
// timestamp delta, offset delta, key, value and headers, all varint-framed.
func appendRecord(e *encoder, offsetDelta, tsDelta int64, r Record) {
	body := &encoder{}
	body.int8(0) // record attributes: unused
	body.varint(tsDelta)
	body.varint(offsetDelta)
	body.varBytes(r.Key)
	body.varBytes(r.Value)
	body.varint(int64(len(r.Headers)))
	for _, h := range r.Headers {
		body.varBytes([]byte(h.Key))
		body.varBytes(h.Value)
	}
	e.varint(int64(len(body.b)))
	e.b = append(e.b, body.b...)
}

// ParseRecordBatches decodes the records of a record set as Fetch returns it:
// RecordBatch v2 after RecordBatch v2. A partial batch at the end is normal
// (the broker cuts the set at the byte limit) and is ignored. Control
// batches (transaction markers) are skipped. Every complete batch must carry
// a correct CRC-32C, magic 2 and no compression; anything else is an error,
// because the tests only ever exchange such batches.
func ParseRecordBatches(set []byte) ([]Record, error) {
	var out []Record
	for len(set) >= batchOverhead {
		size := int64(int32(binary.BigEndian.Uint32(set[batchLengthOffset:]))) + batchOverhead
		if size > int64(len(set)) {
			break // truncated final batch
		}
		if size < batchHeaderSize {
			return out, fmt.Errorf("record batch: %w: %d bytes, smaller than its header", ErrMalformed, size)
		}
		records, err := parseBatch(set[:size])
		if err != nil {
			return out, err
		}
		out = append(out, records...)
		set = set[size:]
	}
	return out, nil
}

// parseBatch decodes one complete RecordBatch v2.
func parseBatch(b []byte) ([]Record, error) {
	d := decoder{b: b}
	baseOffset := d.int64()
	d.int32() // batch_length, already used to cut b
	d.int32() // partition_leader_epoch
	magic := d.int8()
	crc := uint32(d.int32())
	attrs := d.int16()
	d.int32() // last_offset_delta
	baseTS := d.int64()
	d.int64()          // max_timestamp
	d.take(8 + 2 + 4)  // producer_id, producer_epoch, base_sequence
	n := d.arrayLen(7) // the smallest record is 7 bytes
	if err := d.err; err != nil {
		return nil, fmt.Errorf("record batch header: %w", err)
	}
	if err := checkBatch(b, magic, crc, attrs); err != nil {
		return nil, err
	}
	if attrs&attrControl != 0 {
		return nil, nil
	}
	records := make([]Record, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		records = append(records, readRecord(&d, baseOffset, baseTS))
	}
	return records, d.finish("record batch")
}

// checkBatch rejects batches this package cannot or must not decode.
func checkBatch(b []byte, magic int8, crc uint32, attrs int16) error {
	if magic != recordBatchMagic {
		return fmt.Errorf("record batch: %w: magic %d, want %d", ErrMalformed, magic, recordBatchMagic)
	}
	if got := crc32.Checksum(b[batchCRCStart:], castagnoli); got != crc {
		return fmt.Errorf("record batch: %w: CRC-32C %#08x, header says %#08x", ErrMalformed, got, crc)
	}
	if c := attrs & attrCompressionMask; c != 0 {
		return fmt.Errorf("record batch: %w: compression codec %d not supported", ErrMalformed, c)
	}
	return nil
}

// readRecord decodes one record; its varint length frames the fields, and a
// record whose fields disagree with that length is malformed.
func readRecord(d *decoder, baseOffset, baseTS int64) Record {
	size := d.varint()
	if d.err != nil {
		return Record{}
	}
	if size < 0 || size > int64(d.remaining()) {
		d.fail("record of %d bytes, have %d", size, d.remaining())
		return Record{}
	}
	rd := decoder{b: d.take(int(size))}
	rd.int8() // attributes
	r := Record{Timestamp: baseTS + rd.varint()}
	r.Offset = baseOffset + rd.varint()
	r.Key = rd.varBytes()
	r.Value = rd.varBytes()
	nh := rd.varint()
	if nh < 0 || nh > int64(rd.remaining()/2) {
		rd.fail("header count %d", nh)
	}
	for i := int64(0); i < nh && rd.err == nil; i++ {
		r.Headers = append(r.Headers, Header{Key: string(rd.varBytes()), Value: rd.varBytes()})
	}
	if err := rd.finish("record"); err != nil {
		d.err = err
	}
	return r
}
