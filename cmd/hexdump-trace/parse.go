package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/kafkadebug"
)

// record is one log entry, whichever logger layout it was written in.
type record struct {
	line int
	// time is zero when the layout carries no absolute timestamp.
	time time.Time
	// writer is the entry's fields (time, level and message left out) in a
	// canonical "k=v k=v" form. Every line of one dump carries the same
	// fields, and kafkaio puts the local address in them, so the writer tells
	// interleaved connections apart.
	writer string
	msg    string
	// structured is set when the line was written by a known logger layout,
	// so it is a log entry rather than unrelated text.
	structured bool
}

// parseLine turns one line of a log into a record. It recognises, in order:
// logrus's JSONFormatter, its TextFormatter (plain key=value and the coloured
// terminal layout), kafkadebug.Formatter, and finally a bare line, which is
// how Perl's Kafka::IO and a hand-made log look. It never fails: anything
// unrecognised becomes a bare record whose message is the line itself.
func parseLine(n int, text string) record {
	text = strings.TrimRight(stripANSI(text), "\r\n")
	trimmed := strings.TrimLeft(text, " \t")
	for _, p := range []func(string) (record, bool){parseJSONLine, parseLogfmtLine, parseTerminalLine, parseKafkadebugLine} {
		if r, ok := p(trimmed); ok {
			r.line, r.structured = n, true
			return r
		}
	}
	return record{line: n, msg: trimmed}
}

// parseJSONLine reads logrus's JSONFormatter with its default keys.
func parseJSONLine(s string) (record, bool) {
	if !strings.HasPrefix(s, "{") {
		return record{}, false
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return record{}, false
	}
	msg, ok := m["msg"].(string)
	if !ok {
		return record{}, false
	}
	var r record
	r.msg = msg
	if ts, ok := m["time"].(string); ok {
		r.time = parseTime(ts)
	}
	fields := make([]kv, 0, len(m))
	for k, v := range m {
		if k == "msg" || k == "time" || k == "level" {
			continue
		}
		s, isString := v.(string)
		if !isString {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		fields = append(fields, kv{k, s})
	}
	r.writer = canonicalFields(fields)
	return r, true
}

// parseLogfmtLine reads logrus's TextFormatter without colours:
// time="..." level=info msg="..." key=value ...
func parseLogfmtLine(s string) (record, bool) {
	if !strings.HasPrefix(s, "time=") && !strings.HasPrefix(s, "level=") && !strings.HasPrefix(s, "msg=") {
		return record{}, false
	}
	pairs, rest, ok := scanPairs(s)
	if !ok || strings.TrimSpace(rest) != "" {
		return record{}, false
	}
	var r record
	var fields []kv
	hasMsg := false
	for _, p := range pairs {
		switch p.key {
		case "msg":
			r.msg, hasMsg = p.value, true
		case "time":
			r.time = parseTime(p.value)
		case "level":
		default:
			fields = append(fields, p)
		}
	}
	r.writer = canonicalFields(fields)
	return r, hasMsg
}

// terminalLine matches TextFormatter's coloured layout (colours already
// stripped): "INFO[0000] message   key=value", "INFO[2025-...] ...", or
// "INFO message" when timestamps are off; the level may be padded or whole.
var terminalLine = regexp.MustCompile(`^(?:TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)[A-Z]*\s*(?:\[([^\]]*)\])?\s(.*)$`)

// parseTerminalLine reads the coloured TextFormatter layout. Its message is
// padded and not quoted, so the fields are found as the longest tail of the
// line that reads as key=value pairs.
func parseTerminalLine(s string) (record, bool) {
	m := terminalLine.FindStringSubmatch(s)
	if m == nil {
		return record{}, false
	}
	var r record
	r.time = parseTime(m[1]) // "0000" (seconds since start) gives no time
	r.msg, r.writer = splitTrailingFields(m[2])
	return r, true
}

// kafkadebugLine matches kafkadebug.Formatter: TIME LEVEL [fields] message.
var kafkadebugLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\S+) ([A-Z]+) (.*)$`)

func parseKafkadebugLine(s string) (record, bool) {
	m := kafkadebugLine.FindStringSubmatch(s)
	if m == nil {
		return record{}, false
	}
	r := record{time: parseTime(m[1]), msg: m[3]}
	if inner, ok := strings.CutPrefix(r.msg, "["); ok {
		pairs, rest, ok := scanPairs(inner)
		if after, closed := strings.CutPrefix(rest, "]"); ok && closed {
			r.writer = canonicalFields(pairs)
			r.msg = strings.TrimPrefix(after, " ")
		}
	}
	return r, true
}

// kv is one key=value field.
type kv struct{ key, value string }

// scanPairs reads space-separated key=value pairs from the start of s, values
// bare or Go-quoted, and stops at the first thing that is not a pair (or at
// ']'). ok is false when a pair starts but cannot be read.
func scanPairs(s string) (pairs []kv, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" || s[0] == ']' {
			return pairs, s, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || !isFieldKey(s[:eq]) {
			return pairs, s, false
		}
		key, v := s[:eq], s[eq+1:]
		var value string
		if strings.HasPrefix(v, `"`) {
			quoted, err := strconv.QuotedPrefix(v)
			if err != nil {
				return pairs, s, false
			}
			value, _ = strconv.Unquote(quoted)
			v = v[len(quoted):]
		} else {
			end := strings.IndexAny(v, " ]")
			if end < 0 {
				end = len(v)
			}
			value, v = v[:end], v[end:]
		}
		pairs = append(pairs, kv{key, value})
		s = v
	}
}

func isFieldKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// splitTrailingFields finds where the fields start in "message   k=v k=v": the
// earliest space after which the whole rest reads as pairs.
func splitTrailingFields(s string) (msg, writer string) {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			continue
		}
		pairs, rest, ok := scanPairs(s[i:])
		if ok && rest == "" && len(pairs) > 0 {
			return strings.TrimRight(s[:i], " "), canonicalFields(pairs)
		}
	}
	return strings.TrimRight(s, " "), ""
}

// canonicalFields sorts fields so the same fields always give the same writer.
func canonicalFields(fields []kv) string {
	slices.SortFunc(fields, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		if needsQuote(f.value) {
			b.WriteString(strconv.Quote(f.value))
		} else {
			b.WriteString(f.value)
		}
	}
	return b.String()
}

// needsQuote reports whether a field value must be quoted to stay one
// unambiguous token on one line.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '"' || c == '\\' || c == '=' || c == ']' {
			return true
		}
	}
	return false
}

// printable returns s, quoted when it holds control characters that would
// break the one-line-per-item output.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

// timeLayouts are the timestamp layouts loggers commonly write; RFC 3339 also
// accepts fractional seconds.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// parseTime returns the zero time for anything that is not a full timestamp.
func parseTime(s string) time.Time {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ansiEscape matches the colour sequences of a terminal logger.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiEscape.ReplaceAllString(s, "")
}

// lineKind is what a message means to a dump.
type lineKind int

const (
	otherLine lineKind = iota
	headerLine
	hexLine
	rowLine
	brokenRowLine // starts like a table row but cannot be read
	redactedLine  // kafkaio's marker for bytes it left out of a dump
)

// dumpLine is a classified message.
type dumpLine struct {
	kind     lineKind
	dir      direction
	addr     string
	hex      string
	row      tableRow
	redacted int
	// unknownBoundary marks a redaction line for bytes the dumper could not
	// place in frames.
	unknownBoundary bool
}

// direction is the way a dumped chunk travelled: kafkadebug's own type, so
// the tool and the writer of the dumps cannot disagree on it.
type direction = kafkadebug.Direction

// The two directions, named for the reader of a trace.
const (
	toBroker   = kafkadebug.Request
	fromBroker = kafkadebug.Response
)

// tableRow is one row of a dump's hex table.
type tableRow struct {
	offset int
	data   []byte
}

// The fixed beginnings of dump lines, taken from kafkadebug, which writes
// them. The hex stream's is matched without its trailing space: a logger
// that trims messages leaves "# Hex Stream:" for an empty chunk.
const (
	requestPrefix   = kafkadebug.RequestPrefix
	responsePrefix  = kafkadebug.ResponsePrefix
	hexStreamPrefix = "# Hex Stream:"
)

// classify says whether msg is a line of a dump and reads it.
func classify(msg string) dumpLine {
	msg = strings.TrimSpace(msg)
	switch {
	case strings.HasPrefix(msg, requestPrefix):
		return dumpLine{kind: headerLine, dir: toBroker, addr: firstWord(msg[len(requestPrefix):])}
	case strings.HasPrefix(msg, responsePrefix):
		return dumpLine{kind: headerLine, dir: fromBroker, addr: firstWord(msg[len(responsePrefix):])}
	case strings.HasPrefix(msg, hexStreamPrefix):
		return dumpLine{kind: hexLine, hex: strings.TrimSpace(msg[len(hexStreamPrefix):])}
	case strings.HasPrefix(msg, redactionPrefix):
		if n, unknown, ok := parseRedactionMarker(msg); ok {
			return dumpLine{kind: redactedLine, redacted: n, unknownBoundary: unknown}
		}
	}
	if row, ok, looksLikeRow := parseRow(msg); ok {
		return dumpLine{kind: rowLine, row: row}
	} else if looksLikeRow {
		return dumpLine{kind: brokenRowLine}
	}
	return dumpLine{kind: otherLine}
}

// The lines kafkaio ends a dump with when it leaves bytes out of it
// (kafkadebug.RedactedLine): SASL data, or a chunk of a stream whose frame
// boundaries the dumper did not know.
const (
	redactionPrefix       = "<"
	redactionSuffix       = " bytes of SASL data redacted>"
	unknownBoundarySuffix = " bytes not shown: frame boundaries unknown>"
)

// parseRedactionMarker reads a redaction marker. ok says the line is one;
// n is 0 when its count is not a plain positive decimal no larger than a
// frame; unknown says the dumper did not know where frames begin.
func parseRedactionMarker(msg string) (n int, unknown, ok bool) {
	if !strings.HasPrefix(msg, redactionPrefix) {
		return 0, false, false
	}
	unknown = strings.HasSuffix(msg, unknownBoundarySuffix)
	if !unknown && !strings.HasSuffix(msg, redactionSuffix) {
		return 0, false, false
	}
	n, parsed := kafkadebug.ParseRedactedLine(msg)
	if !parsed || n <= 0 || n > maxFrameSize || msg != kafkadebug.RedactedLine(n, redactKind(unknown)) {
		return 0, unknown, true
	}
	return n, unknown, true
}

func redactKind(unknown bool) kafkadebug.RedactKind {
	if unknown {
		return kafkadebug.RedactUnknown
	}
	return kafkadebug.RedactSASL
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// rowStart matches the part of a table row that a truncated line still has:
// the offset and at least one byte.
var rowStart = regexp.MustCompile(`^([0-9a-f]{8,16})  [0-9a-f]{2}( |$)`)

// parseRow reads "OFFSET  xx xx ...  |ascii|". A row must be whole and its
// ASCII column must agree with its bytes; looksLikeRow reports a line that
// starts like a row but fails that, so it can be reported as damaged.
func parseRow(msg string) (row tableRow, ok, looksLikeRow bool) {
	m := rowStart.FindStringSubmatch(msg)
	if m == nil {
		return tableRow{}, false, false
	}
	off, err := strconv.ParseInt(m[1], 16, 64)
	if err != nil {
		return tableRow{}, false, true
	}
	bar := strings.IndexByte(msg, '|')
	if bar < 0 {
		return tableRow{}, false, true
	}
	var data []byte
	for _, tok := range strings.Fields(msg[len(m[1]):bar]) {
		b, err := strconv.ParseUint(tok, 16, 8)
		if err != nil || len(tok) != 2 {
			return tableRow{}, false, true
		}
		data = append(data, byte(b))
	}
	ascii := msg[bar+1:]
	if len(data) > 16 || len(ascii) < len(data)+1 || ascii[len(data)] != '|' || ascii[:len(data)] != asciiColumn(data) {
		return tableRow{}, false, true
	}
	return tableRow{offset: int(off), data: data}, true, true
}

// asciiColumn renders bytes as the table's ASCII column does.
func asciiColumn(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// decodeHex decodes as much of a hex stream as is valid. problem is empty
// when the whole stream is valid.
func decodeHex(s string) (data []byte, problem string) {
	data = make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		hi, ok1 := hexValue(s[i])
		lo, ok2 := hexValue(s[i+1])
		if !ok1 || !ok2 {
			bad := i
			if ok1 {
				bad++
			}
			return data, fmt.Sprintf("hex stream has a non-hex character %q at digit %d", s[bad], bad+1)
		}
		data = append(data, hi<<4|lo)
	}
	if len(s)%2 == 1 {
		return data, fmt.Sprintf("hex stream has an odd number of digits (%d)", len(s))
	}
	return data, ""
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
