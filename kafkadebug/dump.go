package kafkadebug

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// Direction says which way a dumped chunk travelled.
type Direction int

// The two directions of a dump.
const (
	// Request is a chunk sent to the broker.
	Request Direction = iota
	// Response is a chunk received from the broker.
	Response
)

// String returns "request" or "response".
func (d Direction) String() string {
	if d == Request {
		return "request"
	}
	return "response"
}

// Header returns the first line of a dump in direction d for addr:
// "# Request to ADDR" or "# Response from ADDR".
func (d Direction) Header(addr string) string {
	if d == Request {
		return RequestPrefix + addr
	}
	return ResponsePrefix + addr
}

// The fixed beginnings of the lines of a dump (see the package documentation).
const (
	RequestPrefix   = "# Request to "
	ResponsePrefix  = "# Response from "
	HexStreamPrefix = "# Hex Stream: "
)

// dumpMu keeps the lines of one dump together: kafkaio's Send and Receive
// dump from different goroutines, and the parser reads a dump's lines as a run.
var dumpMu sync.Mutex

// dumpBufs recycles the text of dumps; level 2 on a busy connection would
// otherwise allocate a fresh buffer of about 4.4 times the chunk for each.
var dumpBufs = sync.Pool{New: func() any { return new([]byte) }}

// RedactKind says why a dump leaves bytes out.
type RedactKind int

// The reasons a dump leaves bytes out, each with its own line.
const (
	// RedactSASL: SASL data (a SaslAuthenticate body), written as
	// "<N bytes of SASL data redacted>".
	RedactSASL RedactKind = iota
	// RedactUnknown: bytes of a stream whose frame boundaries the dumper
	// does not know, so that it cannot tell whether they hold a secret,
	// written as "<N bytes not shown: frame boundaries unknown>".
	RedactUnknown
)

// RedactedLine returns the line that stands for n bytes left out of a dump.
func RedactedLine(n int, kind RedactKind) string {
	if kind == RedactUnknown {
		return "<" + strconv.Itoa(n) + " bytes not shown: frame boundaries unknown>"
	}
	return "<" + strconv.Itoa(n) + " bytes of SASL data redacted>"
}

// ParseRedactedLine reads a line written by RedactedLine: the number of
// bytes it stands for, and true; false for any other line.
func ParseRedactedLine(line string) (int, bool) {
	rest, ok := strings.CutPrefix(line, "<")
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || line != RedactedLine(n, RedactSASL) && line != RedactedLine(n, RedactUnknown) {
		return 0, false
	}
	return n, true
}

// DumpRedacted writes a dump of b followed by the line that stands for
// hidden more bytes of the same chunk, which follow b in the stream and are
// left out for the reason kind; with hidden 0 it is Dump.
func DumpRedacted(log logrus.FieldLogger, dir Direction, addr string, b []byte, hidden int, kind RedactKind) {
	dump(log, dir, addr, b, hidden, kind)
}

// Dump writes a level-2 dump of b through log (DefaultLogger when nil), one
// entry per line at OutputLevel, in the format documented in the package
// comment. addr is "host:port" with an IPv6 host in brackets. log should carry
// the caller's fields (kafkaio adds the local address as "conn") so that the
// dumps of different connections can be told apart. Dumps written by this
// process never interleave with one another, whichever logger they use. The
// caller checks the level: Dump always writes.
func Dump(log logrus.FieldLogger, dir Direction, addr string, b []byte) {
	dump(log, dir, addr, b, 0, RedactSASL)
}

func dump(log logrus.FieldLogger, dir Direction, addr string, b []byte, hidden int, kind RedactKind) {
	if log == nil {
		log = defaultLogger
	}
	bp := dumpBufs.Get().(*[]byte)
	text := append((*bp)[:0], dir.Header(addr)...)
	text = append(text, '\n')
	text = append(text, HexStreamPrefix...)
	text = appendHex(text, b)
	text = append(text, '\n')
	text = AppendHexTable(text, b)
	if hidden > 0 {
		text = append(text, RedactedLine(hidden, kind)...)
		text = append(text, '\n')
	}

	dumpMu.Lock()
	for line := range bytes.Lines(text) {
		log.Info(string(line[:len(line)-1]))
	}
	dumpMu.Unlock()

	if cap(text) <= maxPooledDump {
		*bp = text
		dumpBufs.Put(bp)
	}
}

// maxPooledDump keeps one huge message from pinning its text in the pool.
const maxPooledDump = 64 << 10

const hexDigits = "0123456789abcdef"

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// BytesPerRow is the number of bytes on one row of a hex table.
const BytesPerRow = 16

// AppendHexTable appends the hex table of b to dst, every row ending in '\n',
// and returns the extended slice. A row reads
//
//	00000010  73 74 00 01 02 03 04 05  06 07 08 09 0a 0b 0c 0d  |st..............|
//
// offset (at least eight lowercase hex digits), two spaces, sixteen bytes as
// "xx " with an extra space after the eighth, a space, and the same bytes
// between '|' as printable ASCII, '.' for the rest. The last row is padded with
// spaces so its ASCII column lines up. An empty b appends nothing.
func AppendHexTable(dst, b []byte) []byte {
	for off := 0; off < len(b); off += BytesPerRow {
		row := b[off:min(off+BytesPerRow, len(b))]
		dst = appendOffset(dst, off)
		dst = append(dst, ' ', ' ')
		for i := range BytesPerRow {
			if i == BytesPerRow/2 {
				dst = append(dst, ' ')
			}
			if i < len(row) {
				dst = append(dst, hexDigits[row[i]>>4], hexDigits[row[i]&0xf], ' ')
			} else {
				dst = append(dst, ' ', ' ', ' ')
			}
		}
		dst = append(dst, ' ', '|')
		for _, c := range row {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			dst = append(dst, c)
		}
		dst = append(dst, '|', '\n')
	}
	return dst
}

// appendOffset writes off as lowercase hex, zero-padded to eight digits.
func appendOffset(dst []byte, off int) []byte {
	digits := 8
	for v := off >> 32; v > 0; v >>= 4 {
		digits++
	}
	for shift := (digits - 1) * 4; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(off>>shift)&0xf])
	}
	return dst
}
