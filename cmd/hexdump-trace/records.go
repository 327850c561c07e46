package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// A Records field (Produce requests, Fetch and ShareFetch responses) holds
// record batches. They are summarised, not dumped: per batch its header,
// and the first records' keys and value sizes, decompressing as far as
// those need and no further.

// shownRecords is how many records of each batch are listed.
const shownRecords = 3

// maxDecompressed bounds how much of a compressed batch is decompressed to
// list its first records: a hostile log cannot make the tool allocate more.
const maxDecompressed = 256 << 10

// recordSet is the summary of one Records field.
type recordSet struct {
	size    int
	batches []batchSummary
	// problem says why the bytes after the last batch listed could not be
	// read; partial is set when they are a batch cut short, which a broker
	// does at the end of a fetch that reached its size limit.
	problem string
	partial bool
	rest    int // bytes not summarised
}

// batchSummary is one record batch (magic 2) or one legacy message (magic 0
// or 1; a compressed one wraps the messages inside it).
type batchSummary struct {
	off         int // frame offset
	size        int // bytes, offset and length fields included
	baseOffset  int64
	magic       int8
	count       int // records the header claims
	compression string
	// Magic 2 only.
	leaderEpoch   int32
	transactional bool
	control       bool
	producerID    int64
	producerEpoch int16
	baseSequence  int32
	firstTime     int64
	maxTime       int64
	crcOK         bool
	records       []recordSummary
	// recordsNote says why fewer records are listed than shown, or
	// than the batch has.
	recordsNote string
}

// recordSummary is one record.
type recordSummary struct {
	offset   int64
	key      []byte
	keyNull  bool
	valueLen int // -1 for null
	headers  int
}

// summariseRecords reads the record batches in b, which starts at frame
// offset off.
func summariseRecords(b []byte, off int) *recordSet {
	rs := &recordSet{size: len(b)}
	for pos := 0; pos < len(b); {
		rest := b[pos:]
		if len(rest) < 17 {
			rs.problem, rs.partial, rs.rest = fmt.Sprintf("%s at the end, too few for a batch header", count(len(rest), "byte")), true, len(rest)
			return rs
		}
		length := int(int32(binary.BigEndian.Uint32(rest[8:])))
		magic := int8(rest[16])
		if length < 5 {
			// Too short to hold even the crc and magic it is read by.
			rs.problem, rs.rest = fmt.Sprintf("batch length %d at offset %#x", length, off+pos), len(rest)
			return rs
		}
		if 12+length > len(rest) {
			rs.problem, rs.partial, rs.rest = fmt.Sprintf("the last batch is cut short: %d of its %d bytes", len(rest), 12+length), true, len(rest)
			return rs
		}
		one := rest[:12+length]
		var s batchSummary
		var err error
		switch magic {
		case 2:
			s, err = summariseBatch(one)
		case 0, 1:
			s, err = summariseMessage(one)
		default:
			err = fmt.Errorf("unknown magic %d", magic)
		}
		if err != nil {
			rs.problem, rs.rest = fmt.Sprintf("batch at offset %#x: %v", off+pos, err), len(rest)
			return rs
		}
		s.off, s.size = off+pos, len(one)
		rs.batches = append(rs.batches, s)
		pos += len(one)
	}
	return rs
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// summariseBatch reads a record batch of magic 2.
func summariseBatch(b []byte) (batchSummary, error) {
	if len(b) < 61 {
		return batchSummary{}, fmt.Errorf("%s, a batch header takes 61", count(len(b), "byte"))
	}
	be := binary.BigEndian
	attrs := int16(be.Uint16(b[21:]))
	s := batchSummary{
		baseOffset:    int64(be.Uint64(b)),
		leaderEpoch:   int32(be.Uint32(b[12:])),
		magic:         2,
		crcOK:         crc32.Checksum(b[21:], castagnoli) == be.Uint32(b[17:]),
		compression:   compressionName(int(attrs & 7)),
		transactional: attrs&0x10 != 0,
		control:       attrs&0x20 != 0,
		firstTime:     int64(be.Uint64(b[27:])),
		maxTime:       int64(be.Uint64(b[35:])),
		producerID:    int64(be.Uint64(b[43:])),
		producerEpoch: int16(be.Uint16(b[51:])),
		baseSequence:  int32(be.Uint32(b[53:])),
		count:         int(int32(be.Uint32(b[57:]))),
	}
	records := b[61:]
	if attrs&7 != 0 {
		out, err := decompress(int(attrs&7), records)
		if len(out) == 0 && err != nil {
			s.recordsNote = "records not shown: " + err.Error()
			return s, nil
		}
		records = out
		if err != nil {
			s.recordsNote = err.Error()
		}
	}
	s.records, s.recordsNote = firstRecords(records, s.baseOffset, s.count, s.recordsNote)
	return s, nil
}

// firstRecords lists up to shownRecords records of a batch.
func firstRecords(b []byte, base int64, n int, note string) ([]recordSummary, string) {
	var out []recordSummary
	r := &varintReader{b: b}
	for i := 0; i < min(n, shownRecords); i++ {
		length, ok := r.varint()
		if !ok || length < 0 || int(length) > len(r.b)-r.pos {
			if note == "" {
				note = fmt.Sprintf("record %d cannot be read", i)
			}
			break
		}
		rec := &varintReader{b: r.b[r.pos : r.pos+int(length)]}
		r.pos += int(length)
		var s recordSummary
		_, ok1 := rec.byte()       // attributes
		_, ok2 := rec.varint()     // timestamp delta
		delta, ok3 := rec.varint() // offset delta
		key, keyNull, ok4 := rec.bytes()
		valueLen, ok5 := rec.varint()
		if !(ok1 && ok2 && ok3 && ok4 && ok5) || valueLen < -1 || valueLen > int64(len(rec.b)-rec.pos) {
			if note == "" {
				note = fmt.Sprintf("record %d cannot be read", i)
			}
			break
		}
		rec.pos += int(max(valueLen, 0))
		s.offset, s.key, s.keyNull, s.valueLen = base+delta, key, keyNull, int(valueLen)
		if h, ok := rec.varint(); ok {
			s.headers = int(h)
		}
		out = append(out, s)
	}
	return out, note
}

// varintReader reads the zigzag varints of records.
type varintReader struct {
	b   []byte
	pos int
}

func (r *varintReader) byte() (byte, bool) {
	if r.pos >= len(r.b) {
		return 0, false
	}
	r.pos++
	return r.b[r.pos-1], true
}

func (r *varintReader) varint() (int64, bool) {
	v, n := binary.Varint(r.b[r.pos:])
	if n <= 0 {
		return 0, false
	}
	r.pos += n
	return v, true
}

func (r *varintReader) bytes() ([]byte, bool, bool) {
	l, ok := r.varint()
	if !ok || l < -1 || l > int64(len(r.b)-r.pos) {
		return nil, false, false
	}
	if l == -1 {
		return nil, true, true
	}
	b := r.b[r.pos : r.pos+int(l)]
	r.pos += int(l)
	return b, false, true
}

// summariseMessage reads a legacy message (magic 0 or 1): offset, size,
// crc, magic, attributes, [timestamp], key, value. A compressed message's
// value is a message set; its first messages are listed as records.
func summariseMessage(b []byte) (batchSummary, error) {
	be := binary.BigEndian
	magic := int8(b[16])
	head := 18
	if magic == 1 {
		head += 8
	}
	if len(b) < head+8 {
		return batchSummary{}, fmt.Errorf("%s, a magic %d message takes at least %d", count(len(b), "byte"), magic, head+8)
	}
	attrs := int(b[17])
	s := batchSummary{
		baseOffset:  int64(be.Uint64(b)),
		magic:       magic,
		crcOK:       crc32.ChecksumIEEE(b[16:]) == be.Uint32(b[12:]),
		compression: compressionName(attrs & 7),
		count:       1,
	}
	key, keyNull, value, valueNull, err := legacyKeyValue(b[head:])
	if err != nil {
		return batchSummary{}, err
	}
	if attrs&7 == 0 {
		s.records = []recordSummary{{offset: s.baseOffset, key: key, keyNull: keyNull, valueLen: lenOrNull(value, valueNull)}}
		return s, nil
	}
	inner, derr := decompress(attrs&7, value)
	s.count = 0
	for pos := 0; pos+12 <= len(inner); {
		size := int(int32(be.Uint32(inner[pos+8:])))
		if size < 0 || pos+12+size > len(inner) || size < 6 {
			break
		}
		m := inner[pos : pos+12+size]
		h := 18
		if int8(m[16]) == 1 {
			h += 8
		}
		if len(m) >= h+8 && len(s.records) < shownRecords {
			k, kn, v, vn, err := legacyKeyValue(m[h:])
			if err == nil {
				s.records = append(s.records, recordSummary{offset: int64(be.Uint64(m)), key: k, keyNull: kn, valueLen: lenOrNull(v, vn)})
			}
		}
		s.count++
		pos += len(m)
	}
	if derr != nil {
		s.recordsNote = derr.Error()
	}
	return s, nil
}

func lenOrNull(b []byte, null bool) int {
	if null {
		return -1
	}
	return len(b)
}

func legacyKeyValue(b []byte) (key []byte, keyNull bool, value []byte, valueNull bool, err error) {
	read := func() ([]byte, bool, bool) {
		if len(b) < 4 {
			return nil, false, false
		}
		l := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if l == -1 {
			return nil, true, true
		}
		if l < 0 || l > len(b) {
			return nil, false, false
		}
		v := b[:l]
		b = b[l:]
		return v, false, true
	}
	var ok bool
	if key, keyNull, ok = read(); !ok {
		return nil, false, nil, false, errors.New("message key cannot be read")
	}
	if value, valueNull, ok = read(); !ok {
		return nil, false, nil, false, errors.New("message value cannot be read")
	}
	return key, keyNull, value, valueNull, nil
}

func compressionName(c int) string {
	switch c {
	case 0:
		return "none"
	case 1:
		return "gzip"
	case 2:
		return "snappy"
	case 3:
		return "lz4"
	case 4:
		return "zstd"
	}
	return fmt.Sprintf("unknown (%d)", c)
}

// decompress returns at most maxDecompressed bytes of what b decompresses
// to. An error with some output says why the output ends early.
func decompress(codec int, b []byte) ([]byte, error) {
	var r io.Reader
	switch codec {
	case 1:
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("gzip: %v", err)
		}
		r = z
	case 2:
		return decompressSnappy(b)
	case 3:
		r = lz4.NewReader(bytes.NewReader(b))
	case 4:
		z, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxMemory(64<<20))
		if err != nil {
			return nil, fmt.Errorf("zstd: %v", err)
		}
		defer z.Close()
		r = z
	default:
		return nil, fmt.Errorf("unknown compression %d", codec)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecompressed+1))
	if len(out) > maxDecompressed {
		return out[:maxDecompressed], fmt.Errorf("only the first %d KiB decompressed", maxDecompressed>>10)
	}
	if err != nil {
		return out, fmt.Errorf("%s: %v", compressionName(codec), err)
	}
	return out, nil
}

// xerialHeader starts snappy data framed as the Java client writes it: the
// header, then blocks, each a big-endian length and a raw snappy block.
var xerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

func decompressSnappy(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, xerialHeader) {
		return snappyBlock(nil, b)
	}
	if len(b) < 16 {
		return nil, errors.New("snappy: xerial header cut short")
	}
	var out []byte
	for rest := b[16:]; len(rest) > 0 && len(out) < maxDecompressed; {
		if len(rest) < 4 {
			return out, errors.New("snappy: xerial block length cut short")
		}
		n := int(int32(binary.BigEndian.Uint32(rest)))
		if n < 0 || 4+n > len(rest) {
			return out, errors.New("snappy: xerial block cut short")
		}
		var err error
		if out, err = snappyBlock(out, rest[4:4+n]); err != nil {
			return out, err
		}
		rest = rest[4+n:]
	}
	if len(out) > maxDecompressed {
		return out[:maxDecompressed], fmt.Errorf("only the first %d KiB decompressed", maxDecompressed>>10)
	}
	return out, nil
}

// snappyBlock appends one raw snappy block to out, refusing one that claims
// to decode to more than the tool decompresses.
func snappyBlock(out, block []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return out, fmt.Errorf("snappy: %v", err)
	}
	if n > maxDecompressed {
		return out, fmt.Errorf("snappy block of %d bytes decompressed, more than the %d KiB this tool decompresses", n, maxDecompressed>>10)
	}
	dec, err := snappy.Decode(nil, block)
	if err != nil {
		return out, fmt.Errorf("snappy: %v", err)
	}
	return append(out, dec...), nil
}
