package kafkawire

import "encoding/binary"

// encoder appends Kafka primitive types to a byte slice. Builders use one
// encoder per frame; the first four bytes are reserved for the size prefix,
// which frame patches in once the length is known.
type encoder struct {
	b []byte
}

// newRequest starts a request frame: a placeholder size prefix followed by a
// request header. Header v1 is api_key, api_version, correlation_id and an
// int16-length client_id; the flexible header v2 adds an (empty) tagged-field
// section. The client id keeps its non-compact encoding even in v2.
func newRequest(key, version int16, corrID int32, clientID string, flexible bool) *encoder {
	e := &encoder{b: make([]byte, 4, 64)}
	e.int16(key)
	e.int16(version)
	e.int32(corrID)
	e.string(clientID)
	if flexible {
		e.emptyTags()
	}
	return e
}

// frame patches the size prefix (the length of everything after it) and
// returns the finished frame.
func (e *encoder) frame() []byte {
	binary.BigEndian.PutUint32(e.b[:4], uint32(len(e.b)-4))
	return e.b
}

func (e *encoder) int8(v int8)   { e.b = append(e.b, byte(v)) }
func (e *encoder) int16(v int16) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(v)) }
func (e *encoder) int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

// arrayLen writes a classic int32 array length.
func (e *encoder) arrayLen(n int) { e.int32(int32(n)) }

// string writes an int16-length string.
func (e *encoder) string(s string) {
	e.int16(int16(len(s)))
	e.b = append(e.b, s...)
}

// nullString writes the int16 length -1 that stands for a null string.
func (e *encoder) nullString() { e.int16(-1) }

// compactString writes a flexible-version string: uvarint(len+1), then bytes.
func (e *encoder) compactString(s string) {
	e.uvarint(uint64(len(s)) + 1)
	e.b = append(e.b, s...)
}

// bytes32 writes int32-length bytes.
func (e *encoder) bytes32(p []byte) {
	e.int32(int32(len(p)))
	e.b = append(e.b, p...)
}

// compactBytes writes flexible-version bytes: uvarint(len+1), then bytes.
func (e *encoder) compactBytes(p []byte) {
	e.uvarint(uint64(len(p)) + 1)
	e.b = append(e.b, p...)
}

// emptyTags writes a tagged-field section holding no fields.
func (e *encoder) emptyTags() { e.uvarint(0) }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// varint writes a zig-zag encoded signed integer, as record fields use.
func (e *encoder) varint(v int64) { e.b = binary.AppendVarint(e.b, v) }

// varBytes writes record-style bytes: a zig-zag varint length (-1 for nil),
// then the bytes.
func (e *encoder) varBytes(p []byte) {
	if p == nil {
		e.varint(-1)
		return
	}
	e.varint(int64(len(p)))
	e.b = append(e.b, p...)
}
