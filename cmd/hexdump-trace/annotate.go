package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/kafkadebug"
)

// requestHeader is what a request frame says about itself.
type requestHeader struct {
	key      int16
	version  int16
	corrID   int32
	clientID *string // nil: null, or a header without one
}

var errShortHeader = errors.New("too short for a request header")

// parseRequestHeader reads a request header (v0, v1 or v2: the tagged fields
// v2 adds come after the client id, so they need not be read). body is the
// frame without its size prefix.
func parseRequestHeader(body []byte) (requestHeader, error) {
	if len(body) < 8 {
		return requestHeader{}, errShortHeader
	}
	h := requestHeader{
		key:     int16(binary.BigEndian.Uint16(body[0:])),
		version: int16(binary.BigEndian.Uint16(body[2:])),
		corrID:  int32(binary.BigEndian.Uint32(body[4:])),
	}
	if h.key == 7 && h.version == 0 {
		return h, nil // ControlledShutdown v0 uses header v0: no client id
	}
	if len(body) < 10 {
		return h, errors.New("too short for the client id")
	}
	n := int(int16(binary.BigEndian.Uint16(body[8:])))
	switch {
	case n == -1:
	case n < 0 || 10+n > len(body):
		return h, fmt.Errorf("client id length %d does not fit in the frame", n)
	default:
		s := string(body[10 : 10+n])
		h.clientID = &s
	}
	return h, nil
}

// request is a request frame waiting for its response.
type request struct {
	n      int // frame number
	line   int
	time   time.Time
	conn   connKey
	header requestHeader
}

func (r *request) api() string { return apiName(r.header.key) }

// apiStats counts frames and bytes of one API.
type apiStats struct {
	requests, requestBytes   int
	responses, responseBytes int
}

// annotator prints each frame as it completes and a summary at the end.
type annotator struct {
	out       io.Writer
	frames    int
	requests  int
	responses int
	conns     map[connKey]bool
	pending   map[connKey][]*request
	apis      map[string]*apiStats
	unmatched []string
	problems  int
	hexBytes  int // bytes of each frame shown as a hex table; 0 for none
}

func newAnnotator(out io.Writer, hexBytes int) *annotator {
	return &annotator{out: out, hexBytes: hexBytes, conns: map[connKey]bool{}, pending: map[connKey][]*request{}, apis: map[string]*apiStats{}}
}

// problem prints one problem found in the log.
func (a *annotator) problem(line int, format string, args ...any) {
	a.problems++
	fmt.Fprintf(a.out, "! line %d: %s\n", line, fmt.Sprintf(format, args...))
}

// event prints a log entry that is not part of a dump.
func (a *annotator) event(r record) {
	fmt.Fprintf(a.out, "  line %d: %s", r.line, printable(r.msg))
	if r.writer != "" {
		fmt.Fprintf(a.out, " [%s]", r.writer)
	}
	fmt.Fprintln(a.out)
}

func (a *annotator) stats(api string) *apiStats {
	s := a.apis[api]
	if s == nil {
		s = &apiStats{}
		a.apis[api] = s
	}
	return s
}

// frame prints one frame, matching responses to requests by correlation id
// on the same connection.
func (a *annotator) frame(f frame) {
	a.frames++
	a.conns[f.conn] = true
	prefix := a.framePrefix(f)
	if f.dir == toBroker {
		a.requests++
		fmt.Fprintf(a.out, "%s: %s\n", prefix, a.request(f))
	} else {
		a.responses++
		fmt.Fprintf(a.out, "%s: %s\n", prefix, a.response(f))
	}
	a.hexTable(f.data)
}

// hexTable shows the first hexBytes bytes of a frame, size prefix
// included, in kafkadebug's table layout, indented under the frame's line:
// the bytes the annotation above it explains.
func (a *annotator) hexTable(data []byte) {
	if a.hexBytes <= 0 {
		return
	}
	shown := data[:min(len(data), a.hexBytes)]
	for line := range bytes.Lines(kafkadebug.AppendHexTable(nil, shown)) {
		fmt.Fprintf(a.out, "    %s", line)
	}
	if rest := len(data) - len(shown); rest > 0 {
		fmt.Fprintf(a.out, "    ... %s more\n", count(rest, "byte"))
	}
}

// framePrefix is "#N line L [writer] TIME request to ADDR, size S".
func (a *annotator) framePrefix(f frame) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d line %d", a.frames, f.line)
	if w := shownWriter(f.conn); w != "" {
		fmt.Fprintf(&b, " [%s]", w)
	}
	if !f.time.IsZero() {
		b.WriteString(" " + f.time.Format("15:04:05.000000"))
	}
	if f.dir == toBroker {
		b.WriteString(" request to ")
	} else {
		b.WriteString(" response from ")
	}
	fmt.Fprintf(&b, "%s, size %d", printable(f.conn.addr), len(f.data)-4)
	return b.String()
}

func (a *annotator) request(f frame) string {
	h, err := parseRequestHeader(f.data[4:])
	if errors.Is(err, errShortHeader) {
		a.stats("(unreadable)").add(toBroker, len(f.data))
		return err.Error()
	}
	r := &request{n: a.frames, line: f.line, time: f.time, conn: f.conn, header: h}
	a.stats(r.api()).add(toBroker, len(f.data))
	desc := describeRequest(h)
	if err != nil {
		desc += "; " + err.Error()
	}
	for _, p := range a.pending[f.conn] {
		if p.header.corrID == h.corrID {
			desc += fmt.Sprintf("; correlation id reused while #%d is unanswered", p.n)
			break
		}
	}
	a.pending[f.conn] = append(a.pending[f.conn], r)
	return desc
}

func describeRequest(h requestHeader) string {
	api := "unknown api key " + strconv.Itoa(int(h.key))
	if name, ok := knownAPI(h.key); ok {
		api = fmt.Sprintf("%s (key %d)", name, h.key)
	}
	client := "no client id"
	switch {
	case h.clientID != nil:
		client = "client id " + strconv.Quote(*h.clientID)
	case h.key != 7 || h.version != 0:
		client = "client id null"
	}
	return fmt.Sprintf("%s v%d, correlation id %d, %s", api, h.version, h.corrID, client)
}

func (a *annotator) response(f frame) string {
	body := f.data[4:]
	if len(body) < 4 {
		a.stats("(unreadable)").add(fromBroker, len(f.data))
		return "too short for a correlation id"
	}
	corrID := int32(binary.BigEndian.Uint32(body))
	r := a.takePending(f.conn, corrID)
	if r == nil {
		a.stats("(unmatched)").add(fromBroker, len(f.data))
		a.unmatched = append(a.unmatched, fmt.Sprintf("#%d line %d, correlation id %d, from %s%s", a.frames, f.line, corrID, printable(f.conn.addr), writerSuffix(f.conn)))
		return fmt.Sprintf("correlation id %d, answers no request seen on this connection", corrID)
	}
	a.stats(r.api()).add(fromBroker, len(f.data))
	desc := fmt.Sprintf("correlation id %d, answers #%d %s v%d", corrID, r.n, r.api(), r.header.version)
	if !f.time.IsZero() && !r.time.IsZero() {
		desc += " after " + f.time.Sub(r.time).Round(time.Microsecond).String()
	}
	if r.header.key == 18 {
		desc += describeApiVersionsResponse(body[4:], r.header.version)
	}
	return desc
}

// takePending removes and returns the request a response answers.
func (a *annotator) takePending(conn connKey, corrID int32) *request {
	list := a.pending[conn]
	i := slices.IndexFunc(list, func(r *request) bool { return r.header.corrID == corrID })
	if i < 0 {
		return nil
	}
	r := list[i]
	a.pending[conn] = slices.Delete(list, i, i+1)
	return r
}

// describeApiVersionsResponse adds the error code and the number of API keys
// the broker offers: the first thing to check when a connection misbehaves.
// ApiVersions responses keep header v0 at every version, so body starts right
// after the correlation id; a broker refusing the version (error 35) answers
// in the v0 layout.
func describeApiVersionsResponse(body []byte, version int16) string {
	if len(body) < 2 {
		return ""
	}
	errorCode := int16(binary.BigEndian.Uint16(body))
	desc := fmt.Sprintf("; error code %d", errorCode)
	rest := body[2:]
	if version >= 3 && errorCode != unsupportedVersion {
		n, used := binary.Uvarint(rest)
		if used <= 0 || n == 0 || n > uint64(len(rest)) {
			return desc
		}
		return desc + ", " + count(int(n-1), "api key")
	}
	if len(rest) < 4 {
		return desc
	}
	n := int32(binary.BigEndian.Uint32(rest))
	if n < 0 {
		return desc
	}
	return desc + ", " + count(int(n), "api key")
}

// unsupportedVersion is Kafka's UNSUPPORTED_VERSION error code.
const unsupportedVersion = 35

func (s *apiStats) add(dir direction, n int) {
	if dir == toBroker {
		s.requests++
		s.requestBytes += n
	} else {
		s.responses++
		s.responseBytes += n
	}
}

func writerSuffix(c connKey) string {
	if w := shownWriter(c); w != "" {
		return " [" + w + "]"
	}
	return ""
}

// shownWriter is the writer without fields that only repeat the broker
// address (kafkaio's "broker"), which the line already shows.
func shownWriter(c connKey) string {
	if !strings.Contains(c.writer, c.addr) {
		return c.writer
	}
	pairs, _, _ := scanPairs(c.writer)
	kept := pairs[:0]
	for _, p := range pairs {
		if p.value != c.addr {
			kept = append(kept, p)
		}
	}
	return canonicalFields(kept)
}

// count is "1 frame", "2 frames".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// summary prints the totals: frames and bytes per API (size prefix
// included), requests never answered, responses that answer nothing.
func (a *annotator) summary() {
	fmt.Fprintf(a.out, "summary: %s (%s, %s) on %s, %s\n", count(a.frames, "frame"), count(a.requests, "request"),
		count(a.responses, "response"), count(len(a.conns), "connection"), count(a.problems, "problem"))
	if len(a.apis) > 0 {
		fmt.Fprintf(a.out, "  %-28s %8s %10s %9s %10s\n", "api", "requests", "bytes", "responses", "bytes")
		for _, name := range apiOrder(a.apis) {
			s := a.apis[name]
			fmt.Fprintf(a.out, "  %-28s %8d %10d %9d %10d\n", name, s.requests, s.requestBytes, s.responses, s.responseBytes)
		}
	}
	var unanswered []*request
	for _, list := range a.pending {
		unanswered = append(unanswered, list...)
	}
	slices.SortFunc(unanswered, func(x, y *request) int { return x.n - y.n })
	fmt.Fprintf(a.out, "  unanswered requests: %d\n", len(unanswered))
	for _, r := range unanswered {
		fmt.Fprintf(a.out, "    #%d line %d %s v%d, correlation id %d, to %s%s\n", r.n, r.line, r.api(), r.header.version, r.header.corrID, printable(r.conn.addr), writerSuffix(r.conn))
	}
	fmt.Fprintf(a.out, "  unmatched responses: %d\n", len(a.unmatched))
	for _, u := range a.unmatched {
		fmt.Fprintf(a.out, "    %s\n", u)
	}
}

// apiOrder sorts API names, with "(unmatched)" and "(unreadable)" last.
func apiOrder(m map[string]*apiStats) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if pa, pb := strings.HasPrefix(a, "("), strings.HasPrefix(b, "("); pa != pb {
			if pa {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return keys
}
