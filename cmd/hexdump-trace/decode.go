package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// node is one decoded value: a field, an array element, or the body itself.
type node struct {
	name  string       // the field's name; "" for the body and array elements
	index int          // an array element's index; -1 otherwise
	field *fieldSchema // nil for the body
	kind  wireKind
	// off and end are the value's bytes, as offsets in the frame (size
	// prefix included), so they match the hex table's offsets.
	off, end int
	tag      int64 // the tag of a tagged field; -1 otherwise

	null bool
	num  int64   // bool (0 or 1), the signed integers
	unum uint64  // uint16, uint32
	flt  float64 // float64
	str  string  // string
	raw  []byte  // bytes, uuid
	// children are a struct's fields (fixed, then tagged in tag order, then
	// unknown tags) or an array's elements.
	children []*node
	// unknownTag is set on a node standing for a tag the schema does not
	// have; raw holds its value.
	unknownTag bool
	records    *recordSet // bytes holding record batches, summarised
	embedded   []string   // what bytes in another protocol say (consumer groups)
	secret     bool       // bytes or string not to be shown
}

// decodeProblem is where and why decoding stopped, or, when fatal is
// false, something odd it read past.
type decodeProblem struct {
	off    int // frame offset
	path   string
	reason string
	fatal  bool
}

func (p decodeProblem) String() string {
	where := fmt.Sprintf("at frame offset %#x", p.off)
	if p.path != "" {
		where += " in " + p.path
	}
	return where + ": " + p.reason
}

// decoded is a decoded body.
type decoded struct {
	body     *node
	problems []decodeProblem
}

// stopped returns the problem that ended decoding, if any.
func (d *decoded) stopped() *decodeProblem {
	for i := range d.problems {
		if d.problems[i].fatal {
			return &d.problems[i]
		}
	}
	return nil
}

// decoder reads one body by a schema. It never panics on any input: every
// read checks what is left, and every length is checked against it before
// anything is allocated.
type decoder struct {
	buf  []byte
	pos  int
	base int // frame offset of buf[0]
	err  *decodeProblem
	out  *decoded
	key  int16 // the message's API key, for values named after it
}

// decodeBody decodes body (the bytes after the request or response header)
// by schema s. base is the frame offset of body[0].
func decodeBody(s *messageSchema, body []byte, base int) *decoded {
	out := &decoded{}
	d := &decoder{buf: body, base: base, out: out, key: s.key}
	root := &node{index: -1, tag: -1, kind: wStruct, off: base}
	d.structInto(root, s.body, "")
	root.end = base + d.pos
	out.body = root
	if d.err != nil {
		out.problems = append(out.problems, *d.err)
	} else if left := len(body) - d.pos; left > 0 {
		out.problems = append(out.problems, decodeProblem{off: base + d.pos, reason: fmt.Sprintf("%s after the last field", count(left, "byte")), fatal: true})
	}
	return out
}

func (d *decoder) fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = &decodeProblem{off: d.base + d.pos, path: path, reason: fmt.Sprintf(format, args...), fatal: true}
	}
}

func (d *decoder) note(path string, off int, format string, args ...any) {
	d.out.problems = append(d.out.problems, decodeProblem{off: off, path: path, reason: fmt.Sprintf(format, args...)})
}

func (d *decoder) left() int { return len(d.buf) - d.pos }

// take returns the next n bytes, or fails saying what needed them.
func (d *decoder) take(n int, what, path string) ([]byte, bool) {
	if d.err != nil {
		return nil, false
	}
	if n < 0 || n > d.left() {
		d.fail(path, "%s needs %s, %s left", what, count(n, "byte"), count(d.left(), "byte"))
		return nil, false
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b, true
}

// uvarint reads Kafka's unsigned varint, at most 5 bytes for 32 bits.
func (d *decoder) uvarint(what, path string) (uint64, bool) {
	if d.err != nil {
		return 0, false
	}
	var v uint64
	for i := 0; i < 5; i++ {
		if d.pos >= len(d.buf) {
			d.fail(path, "%s: unsigned varint cut short by the end of the body", what)
			return 0, false
		}
		c := d.buf[d.pos]
		d.pos++
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if v > math.MaxUint32 {
				d.fail(path, "%s: unsigned varint %d does not fit in 32 bits", what, v)
				return 0, false
			}
			return v, true
		}
	}
	d.fail(path, "%s: unsigned varint longer than 5 bytes", what)
	return 0, false
}

// length reads a length or count: int16 or int32, or a compact uvarint
// holding length+1. null reports -1 (or compact 0).
func (d *decoder) length(f *fieldSchema, wide bool, what, path string) (n int, null, ok bool) {
	if f.compact {
		v, ok := d.uvarint(what, path)
		if !ok {
			return 0, false, false
		}
		return int(v) - 1, v == 0, true
	}
	if wide {
		b, ok := d.take(4, what, path)
		if !ok {
			return 0, false, false
		}
		n = int(int32(binary.BigEndian.Uint32(b)))
	} else {
		b, ok := d.take(2, what, path)
		if !ok {
			return 0, false, false
		}
		n = int(int16(binary.BigEndian.Uint16(b)))
	}
	return n, n == -1, true
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// structInto reads the fields of s into n.
func (d *decoder) structInto(n *node, s *structSchema, path string) {
	for _, f := range s.fields {
		if d.err != nil {
			return
		}
		c := d.value(f, joinPath(path, f.name))
		if c == nil {
			return
		}
		n.children = append(n.children, c)
	}
	if s.flexible && d.err == nil {
		d.tagsInto(n, s, path)
	}
}

// tagsInto reads a tagged-field section.
func (d *decoder) tagsInto(n *node, s *structSchema, path string) {
	where := joinPath(path, "tagged fields")
	at := d.pos
	ntags, ok := d.uvarint("number of tagged fields", where)
	if !ok {
		return
	}
	if int(ntags) > d.left() {
		left := d.left()
		d.pos = at
		d.fail(where, "%d tagged fields cannot fit in %s", ntags, count(left, "byte"))
		return
	}
	last := int64(-1)
	for range ntags {
		start := d.pos
		tag, ok := d.uvarint("tag", where)
		if !ok {
			return
		}
		size, ok := d.uvarint(fmt.Sprintf("size of tag %d", tag), where)
		if !ok {
			return
		}
		payload, ok := d.take(int(size), fmt.Sprintf("tag %d", tag), where)
		if !ok {
			return
		}
		if int64(tag) <= last {
			d.note(where, d.base+start, "tag %d after tag %d: tags must be in increasing order", tag, last)
		}
		last = int64(tag)
		off := d.base + d.pos - len(payload)
		f := s.tagged[tag]
		if f == nil {
			n.children = append(n.children, &node{name: fmt.Sprintf("unknown tag %d", tag), index: -1, tag: int64(tag), kind: wBytes, off: off, end: off + len(payload), raw: payload, unknownTag: true})
			continue
		}
		sub := &decoder{buf: payload, base: off, out: d.out, key: d.key}
		fpath := joinPath(path, f.name)
		c := sub.value(f, fpath)
		if sub.err != nil {
			d.err = sub.err
			if c != nil {
				n.children = append(n.children, c)
			}
			return
		}
		c.tag = int64(tag)
		n.children = append(n.children, c)
		if rest := sub.left(); rest > 0 {
			d.note(fpath, off+sub.pos, "%s left over in tag %d", count(rest, "byte"), tag)
		}
	}
}

// value reads one value of field f. It returns nil when nothing of it could
// be read; a struct or array cut short is returned with what was read.
func (d *decoder) value(f *fieldSchema, path string) *node {
	n := &node{name: f.name, index: -1, field: f, kind: f.kind, off: d.base + d.pos, tag: -1}
	if f.index < 0 {
		n.name = ""
	}
	ok := d.valueInto(n, f, path)
	n.end = d.base + d.pos
	if !ok && len(n.children) == 0 {
		return nil
	}
	return n
}

func (d *decoder) fixed(size int, f *fieldSchema, path string) ([]byte, bool) {
	return d.take(size, kindName(f.kind), path)
}

func (d *decoder) valueInto(n *node, f *fieldSchema, path string) bool {
	switch f.kind {
	case wBool:
		b, ok := d.fixed(1, f, path)
		if ok && b[0] != 0 {
			n.num = 1
		}
		return ok
	case wInt8:
		b, ok := d.fixed(1, f, path)
		if ok {
			n.num = int64(int8(b[0]))
		}
		return ok
	case wInt16:
		b, ok := d.fixed(2, f, path)
		if ok {
			n.num = int64(int16(binary.BigEndian.Uint16(b)))
		}
		return ok
	case wUint16:
		b, ok := d.fixed(2, f, path)
		if ok {
			n.unum = uint64(binary.BigEndian.Uint16(b))
		}
		return ok
	case wInt32:
		b, ok := d.fixed(4, f, path)
		if ok {
			n.num = int64(int32(binary.BigEndian.Uint32(b)))
		}
		return ok
	case wUint32:
		b, ok := d.fixed(4, f, path)
		if ok {
			n.unum = uint64(binary.BigEndian.Uint32(b))
		}
		return ok
	case wInt64:
		b, ok := d.fixed(8, f, path)
		if ok {
			n.num = int64(binary.BigEndian.Uint64(b))
		}
		return ok
	case wFloat64:
		b, ok := d.fixed(8, f, path)
		if ok {
			n.flt = math.Float64frombits(binary.BigEndian.Uint64(b))
		}
		return ok
	case wUUID:
		b, ok := d.fixed(16, f, path)
		n.raw = b
		return ok
	case wString, wBytes:
		ok := d.lengthPrefixed(n, f, path)
		if ok && f.kind == wBytes && !n.null && len(n.raw) > 0 {
			if isRecordsField(f) {
				n.records = summariseRecords(n.raw, d.base+d.pos-len(n.raw))
			} else {
				n.embedded = consumerProtocol(d.key, f.name, n.raw)
			}
		}
		return ok
	case wArray:
		return d.array(n, f, path)
	case wNullableStruct:
		b, ok := d.take(1, "presence byte of a nullable struct", path)
		if !ok {
			return false
		}
		if int8(b[0]) < 0 {
			n.null = true
			return true
		}
		d.structInto(n, f.sub, path)
		return d.err == nil
	case wStruct:
		d.structInto(n, f.sub, path)
		return d.err == nil
	}
	d.fail(path, "field of unknown kind %d", f.kind)
	return false
}

func (d *decoder) lengthPrefixed(n *node, f *fieldSchema, path string) bool {
	what := "string length"
	if f.kind == wBytes {
		what = "bytes length"
	}
	l, null, ok := d.length(f, f.kind == wBytes, what, path)
	if !ok {
		return false
	}
	if null {
		if !f.nullable {
			d.pos = n.off - d.base
			d.fail(path, "null, but the field is not nullable at this version")
			return false
		}
		n.null = true
		return true
	}
	if l < 0 {
		d.pos = n.off - d.base
		d.fail(path, "%s %d", what, l)
		return false
	}
	b, ok := d.take(l, fmt.Sprintf("a %s of length %d", kindName(f.kind), l), path)
	if !ok {
		return false
	}
	if f.kind == wString {
		n.str = string(b)
	} else {
		n.raw = b
	}
	return true
}

// isRecordsField reports whether a bytes field holds record batches:
// Produce's and ShareFetch's Records, Fetch's RecordBatches.
func isRecordsField(f *fieldSchema) bool { return f.name == "Records" || f.name == "RecordBatches" }

// minSize is the fewest bytes one value of f can take, so that an array's
// count can be checked against what is left before anything is allocated.
func minSize(f *fieldSchema) int {
	switch f.kind {
	case wBool, wInt8, wNullableStruct:
		return 1
	case wInt16, wUint16:
		return 2
	case wInt32, wUint32:
		return 4
	case wInt64, wFloat64:
		return 8
	case wUUID:
		return 16
	case wString:
		if f.compact {
			return 1
		}
		return 2
	case wBytes, wArray:
		if f.compact {
			return 1
		}
		return 4
	case wStruct:
		size := 0
		for _, sf := range f.sub.fields {
			size += minSize(sf)
		}
		if f.sub.flexible {
			size++
		}
		return size
	}
	return 1
}

func (d *decoder) array(n *node, f *fieldSchema, path string) bool {
	l, null, ok := d.length(f, true, "array length", path)
	if !ok {
		return false
	}
	if null {
		if !f.nullable {
			d.pos = n.off - d.base
			d.fail(path, "null, but the array is not nullable at this version")
			return false
		}
		n.null = true
		return true
	}
	if l < 0 {
		d.pos = n.off - d.base
		d.fail(path, "array length %d", l)
		return false
	}
	if need := max(minSize(f.elem), 1); l > d.left()/need {
		left := d.left()
		d.pos = n.off - d.base
		d.fail(path, "an array of %d elements needs at least %s, %s left", l, count(l*need, "byte"), count(left, "byte"))
		return false
	}
	n.children = make([]*node, 0, l)
	for i := range l {
		c := d.value(f.elem, path+"["+strconv.Itoa(i)+"]")
		if c == nil {
			return false
		}
		c.index = i
		n.children = append(n.children, c)
		if d.err != nil {
			return false
		}
	}
	return true
}

// kindName names a wire kind in problem reports.
func kindName(k wireKind) string {
	switch k {
	case wBool:
		return "a boolean"
	case wInt8:
		return "an int8"
	case wInt16:
		return "an int16"
	case wUint16:
		return "a uint16"
	case wInt32:
		return "an int32"
	case wUint32:
		return "a uint32"
	case wInt64:
		return "an int64"
	case wFloat64:
		return "a float64"
	case wUUID:
		return "a UUID"
	case wString:
		return "string"
	case wBytes:
		return "byte string"
	}
	return "a value"
}
