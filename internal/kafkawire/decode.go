package kafkawire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every parse error: the input is too short, holds
// an impossible length or count, or has bytes left over after the message.
var ErrMalformed = errors.New("kafkawire: malformed message")

// decoder reads Kafka primitive types from a byte slice. The first failure is
// sticky: later reads return zero values, so a parser can read a whole
// structure and check d.err once, and garbage never causes a panic or an
// allocation sized by an untrusted count.
type decoder struct {
	b   []byte
	off int
	err error
}

// fail records the first error with the offset where it happened.
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d", ErrMalformed, fmt.Sprintf(format, args...), d.off)
	}
}

// remaining is how many bytes are left unread.
func (d *decoder) remaining() int { return len(d.b) - d.off }

// take returns the next n bytes, or nil after recording an error when fewer
// are left.
func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.remaining() {
		d.fail("need %d bytes, have %d", n, d.remaining())
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) int8() int8 {
	if p := d.take(1); p != nil {
		return int8(p[0])
	}
	return 0
}

func (d *decoder) int16() int16 {
	if p := d.take(2); p != nil {
		return int16(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (d *decoder) int32() int32 {
	if p := d.take(4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

func (d *decoder) int64() int64 {
	if p := d.take(8); p != nil {
		return int64(binary.BigEndian.Uint64(p))
	}
	return 0
}

func (d *decoder) bool() bool { return d.int8() != 0 }

// string reads an int16-length string; null reads as "".
func (d *decoder) string() string {
	n := d.int16()
	if n < 0 {
		return ""
	}
	return string(d.take(int(n)))
}

// nullableString reads an int16-length string where -1 is null.
func (d *decoder) nullableString() *string {
	n := d.int16()
	if n < 0 {
		return nil
	}
	s := string(d.take(int(n)))
	return &s
}

// nullableBytes32 reads int32-length bytes where -1 is null. The result
// aliases the input.
func (d *decoder) nullableBytes32() []byte {
	n := d.int32()
	if n < 0 {
		return nil
	}
	return d.take(int(n))
}

// bytes32 reads int32-length bytes that cannot be null. The result aliases
// the input.
func (d *decoder) bytes32() []byte {
	n := d.int32()
	if n < 0 && d.err == nil {
		d.fail("null where bytes are required")
		return nil
	}
	return d.take(int(n))
}

// compactLen reads a flexible-version length, uvarint(n+1), and returns n,
// with -1 for null. A length the remaining input cannot hold is an error.
func (d *decoder) compactLen() int {
	u := d.uvarint()
	if d.err != nil {
		return 0
	}
	if u == 0 {
		return -1
	}
	if u-1 > uint64(d.remaining()) {
		d.fail("need %d bytes, have %d", u-1, d.remaining())
		return 0
	}
	return int(u - 1)
}

// compactBytes reads flexible-version bytes that cannot be null. The result
// aliases the input.
func (d *decoder) compactBytes() []byte {
	n := d.compactLen()
	if n < 0 {
		d.fail("null where bytes are required")
		return nil
	}
	return d.take(n)
}

// compactNullableString reads a flexible-version string where null is nil.
func (d *decoder) compactNullableString() *string {
	n := d.compactLen()
	if n < 0 || d.err != nil {
		return nil
	}
	s := string(d.take(n))
	return &s
}

// arrayLen reads a classic int32 array length, -1 meaning null. minElem is
// the smallest encoded size of one element: a count that could not fit in
// the remaining bytes is rejected before anyone allocates for it.
func (d *decoder) arrayLen(minElem int) int {
	n := int(d.int32())
	d.checkCount(n, minElem)
	if d.err != nil || n < 0 {
		return 0
	}
	return n
}

// compactArrayLen reads a flexible-version array length, uvarint(n+1), where
// 0 means null.
func (d *decoder) compactArrayLen(minElem int) int {
	u := d.uvarint()
	if d.err != nil || u == 0 {
		return 0
	}
	if u-1 > math.MaxInt32 {
		d.fail("array length %d out of range", u-1)
		return 0
	}
	n := int(u - 1)
	d.checkCount(n, minElem)
	if d.err != nil {
		return 0
	}
	return n
}

// checkCount rejects an element count the remaining input cannot hold.
func (d *decoder) checkCount(n, minElem int) {
	if n > 0 && n > d.remaining()/minElem {
		d.fail("count %d cannot fit in %d bytes", n, d.remaining())
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

// varint reads a zig-zag encoded signed integer.
func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// varBytes reads record-style bytes: a varint length where -1 is nil.
func (d *decoder) varBytes() []byte {
	n := d.varint()
	if n < 0 || d.err != nil {
		return nil
	}
	if n > int64(d.remaining()) {
		d.fail("need %d bytes, have %d", n, d.remaining())
		return nil
	}
	return d.take(int(n))
}

// skipTags skips a tagged-field section: a count, then per field a tag, a
// size and that many bytes. The tests need none of the optional fields.
func (d *decoder) skipTags() {
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		d.uvarint() // tag
		size := d.uvarint()
		if size > uint64(d.remaining()) {
			d.fail("tagged field of %d bytes, have %d", size, d.remaining())
			return
		}
		d.take(int(size))
	}
}

// finish reports the sticky error, or bytes left over after a complete
// message (a sign the wrong version was assumed).
func (d *decoder) finish(what string) error {
	if d.err == nil && d.remaining() != 0 {
		d.fail("%d trailing bytes", d.remaining())
	}
	if d.err != nil {
		return fmt.Errorf("%s: %w", what, d.err)
	}
	return nil
}
