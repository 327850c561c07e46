package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestHeader is what a request frame says about itself.
type requestHeader struct {
	key      int16
	version  int16
	corrID   int32
	clientID *string // nil: null, or a header without one
}

var errShortHeader = errors.New("too short for a request header")

// parseRequestHeader reads the fixed part of a request header (v0, v1 or
// v2: the tagged fields v2 adds come after the client id). body is the frame
// without its size prefix; used is how many of its bytes the header took.
func parseRequestHeader(body []byte) (h requestHeader, used int, err error) {
	if len(body) < 8 {
		return requestHeader{}, 0, errShortHeader
	}
	h = requestHeader{
		key:     int16(binary.BigEndian.Uint16(body[0:])),
		version: int16(binary.BigEndian.Uint16(body[2:])),
		corrID:  int32(binary.BigEndian.Uint32(body[4:])),
	}
	if h.key == 7 && h.version == 0 {
		return h, 8, nil // ControlledShutdown v0 uses header v0: no client id
	}
	if len(body) < 10 {
		return h, 8, errors.New("too short for the client id")
	}
	n := int(int16(binary.BigEndian.Uint16(body[8:])))
	switch {
	case n == -1:
		return h, 10, nil
	case n < 0 || 10+n > len(body):
		return h, 8, fmt.Errorf("client id length %d does not fit in the frame", n)
	}
	s := string(body[10 : 10+n])
	h.clientID = &s
	return h, 10 + n, nil
}

// frameKind tells ordinary Kafka frames from the raw SASL tokens that
// follow a SaslHandshake v0.
type frameKind int

const (
	kafkaFrame frameKind = iota
	saslToken
)

// frameInfo is one frame with everything the outputs show of it.
type frameInfo struct {
	n    int // frame number, from 1, in the order frames complete
	dir  direction
	conn connKey
	log  string // the log it came from
	line int    // its first byte's dump header line in that log
	time time.Time
	// data is the frame as far as the log has it (see frame); size is
	// its length, size prefix included.
	data []byte
	size int
	// shown is how many bytes of data may be shown: fewer than the log has
	// when the frame holds secrets.
	shown int
	kind  frameKind

	// The header. key is -1 when it cannot be read.
	key       int16
	version   int16
	corrID    int32
	hasCorrID bool
	clientID  *string
	noClient  bool   // a request header without a client id (v0)
	headerLen int    // size prefix and header
	headerErr string // why the header could not be read whole
	// headerTags are the tagged fields of a request header v2 or a
	// response header v1.
	headerTags []*node

	request  *frameInfo // for a response: the request it answers
	response *frameInfo // for a request, once answered
	latency  time.Duration
	timed    bool // latency is known

	dec       *decoded // the body's fields, when decoded
	undecoded string   // why the body was not decoded
	redaction string   // what was left out for secrecy
	notes     []string // remarks about the frame
}

// api is the frame's API name, or what stands for it in the statistics.
func (f *frameInfo) api() string {
	switch {
	case f.kind == saslToken:
		return "(SASL token)"
	case f.dir == fromBroker && f.request == nil && f.hasCorrID:
		return "(answers no request)"
	case f.key < 0:
		return "(unreadable header)"
	}
	return apiName(f.key)
}

// apiStats counts frames and bytes of one API, and its latencies.
type apiStats struct {
	requests, requestBytes   int
	responses, responseBytes int
	latencies                []time.Duration
}

func (s *apiStats) add(f *frameInfo) {
	if f.dir == toBroker {
		s.requests++
		s.requestBytes += f.size
		return
	}
	s.responses++
	s.responseBytes += f.size
	if f.timed {
		s.latencies = append(s.latencies, f.latency)
	}
}

// connState is what the annotator tracks per connection.
type connState struct {
	pending []*frameInfo
	// sasl is set once SASL was seen: bytes nobody can place (unmatched
	// responses, unframed bytes) are then not shown.
	sasl bool
	// tokens is set after a SaslHandshake v0 request: the client then
	// sends SASL tokens as bare size-prefixed frames. tokensLeft is how
	// many its mechanism sends (PLAIN one, SCRAM two), which are taken for
	// tokens whatever they look like; after those, or for a mechanism
	// whose count is not known, a frame is a token unless it reads as a
	// Kafka request.
	tokens     bool
	tokensLeft int
}

// annotator turns frames into frameInfo, pairs responses with requests,
// and keeps the statistics the summary shows.
type annotator struct {
	out       sink
	log       string // the log's name in problems ("wire.log", "standard input")
	lineNames lineNamer
	frames    int
	requests  int
	responses int
	conns     map[connKey]*connState
	connOrder []connKey
	apis      map[string]*apiStats
	unmatched []*frameInfo
	problems  int
}

func newAnnotator(out sink, log string, names lineNamer) *annotator {
	return &annotator{out: out, log: log, lineNames: names, conns: map[connKey]*connState{}, apis: map[string]*apiStats{}}
}

// problem reports one problem found in the log.
func (a *annotator) problem(line int, format string, args ...any) {
	a.problems++
	a.out.problem(problemInfo{log: a.log, line: line, where: a.lineNames(line), text: fmt.Sprintf(format, args...)})
}

// event passes on a log entry that is not part of a dump.
func (a *annotator) event(r record) { a.out.event(a.log, r) }

func (a *annotator) conn(c connKey) *connState {
	s := a.conns[c]
	if s == nil {
		s = &connState{}
		a.conns[c] = s
		a.connOrder = append(a.connOrder, c)
	}
	return s
}

// quiet reports whether a connection did SASL.
func (a *annotator) quiet(c connKey) bool {
	s := a.conns[c]
	return s != nil && s.sasl
}

func (a *annotator) stats(api string) *apiStats {
	s := a.apis[api]
	if s == nil {
		s = &apiStats{}
		a.apis[api] = s
	}
	return s
}

// frame annotates one frame and hands it to the output.
func (a *annotator) frame(fr frame) {
	a.frames++
	f := &frameInfo{n: a.frames, dir: fr.dir, conn: fr.conn, log: a.log, line: fr.line, time: fr.time, data: fr.data, size: fr.size, key: -1, shown: len(fr.data)}
	switch {
	case fr.unplaced:
		f.redaction = fmt.Sprintf("%s not shown in the log (kafkaio did not know where frames began)", count(fr.redacted, "byte"))
	case fr.redacted > 0:
		f.redaction = fmt.Sprintf("%s of SASL data redacted in the log", count(fr.redacted, "byte"))
	}
	cs := a.conn(fr.conn)
	if f.dir == toBroker {
		a.requests++
		a.request(f, cs, fr.redacted > 0)
	} else {
		a.responses++
		a.response(f, cs, fr.redacted > 0)
	}
	a.stats(f.api()).add(f)
	a.out.frame(f)
}

func (a *annotator) request(f *frameInfo, cs *connState, logRedacted bool) {
	if cs.tokens && (cs.tokensLeft > 0 || !plausibleRequest(f.data)) {
		cs.tokensLeft--
		a.token(f, cs)
		cs.pending = append(cs.pending, f)
		return
	}
	cs.tokens = false
	h, used, err := parseRequestHeader(f.data[4:])
	if errors.Is(err, errShortHeader) {
		f.headerErr = err.Error()
		f.headerLen = len(f.data)
		if cs.sasl {
			f.shown = min(f.shown, 4)
		}
		return
	}
	f.key, f.version, f.corrID, f.hasCorrID, f.clientID = h.key, h.version, h.corrID, true, h.clientID
	f.noClient = h.key == 7 && h.version == 0
	f.headerLen = 4 + used
	if err != nil {
		f.headerErr = err.Error()
	}
	for _, p := range cs.pending {
		if p.hasCorrID && p.corrID == h.corrID {
			f.notes = append(f.notes, fmt.Sprintf("correlation id reused while #%d is unanswered", p.n))
			break
		}
	}
	cs.pending = append(cs.pending, f)
	switch f.key {
	case 17:
		cs.sasl = true
		cs.tokens = f.version == 0
	case 36:
		cs.sasl = true
	}
	if f.headerErr != "" {
		f.undecoded = "the header cannot be read"
		return
	}
	flexible, known := flexibleRequest(f.key, f.version)
	if known && flexible && !(logRedacted && len(f.data) == f.headerLen) {
		// (kafkaio's redaction leaves the header's tagged fields out with
		// the body.)
		tags, n, err := readHeaderTags(f.data[f.headerLen:], f.headerLen)
		if err != "" {
			f.headerErr = "request header v2: " + err
			f.undecoded = "the header cannot be read"
			return
		}
		f.headerTags, f.headerLen = tags, f.headerLen+n
	}
	a.body(f, true, logRedacted, known)
	if cs.tokens && f.dec != nil {
		cs.tokensLeft = 0
		for _, c := range f.dec.body.children {
			if c.name == "Mechanism" {
				cs.tokensLeft = saslTokens(c.str)
			}
		}
	}
}

// saslTokens is how many tokens a client sends with a SASL mechanism, when
// that is fixed: PLAIN's one message, SCRAM's client-first and
// client-final.
func saslTokens(mechanism string) int {
	switch {
	case mechanism == "PLAIN":
		return 1
	case strings.HasPrefix(mechanism, "SCRAM-"):
		return 2
	}
	return 0
}

// plausibleRequest reports whether a frame reads as a Kafka request: an API
// key the decoder knows at a version it knows, and a client id that fits.
func plausibleRequest(data []byte) bool {
	h, _, err := parseRequestHeader(data[4:])
	if err != nil {
		return false
	}
	maxV := maxKnownVersion(h.key)
	return maxV >= 0 && h.version >= 0 && h.version <= maxV
}

// token annotates a raw SASL token frame, showing none of its bytes.
func (a *annotator) token(f *frameInfo, cs *connState) {
	f.kind = saslToken
	f.headerLen, f.shown = 4, min(f.shown, 4)
	f.undecoded = "a SASL token after SaslHandshake v0 has no Kafka header"
	if f.size == 4 {
		f.notes = append(f.notes, "empty")
		return
	}
	f.redaction = fmt.Sprintf("%s of SASL data redacted by hexdump-trace", count(f.size-4, "byte"))
}

// flexibleRequest reports whether key at version uses request header v2
// and response header v1; known is false when the decoder does not know
// the version.
func flexibleRequest(key, version int16) (flexible, known bool) {
	r := kmsg.RequestForKey(key)
	if r == nil || version < 0 || version > r.MaxVersion() {
		return false, false
	}
	r.SetVersion(version)
	return r.IsFlexible(), true
}

// readHeaderTags reads the tagged fields that end a flexible header.
func readHeaderTags(b []byte, base int) (tags []*node, used int, problem string) {
	d := &decoder{buf: b, base: base, out: &decoded{}}
	n := &node{index: -1, tag: -1, kind: wStruct}
	d.tagsInto(n, &structSchema{flexible: true}, "")
	if d.err != nil {
		return nil, 0, d.err.String()
	}
	return n.children, d.pos, ""
}

func (a *annotator) response(f *frameInfo, cs *connState, logRedacted bool) {
	if len(cs.pending) > 0 && cs.pending[0].kind == saslToken {
		r := cs.pending[0]
		cs.pending = cs.pending[1:]
		a.answers(f, r)
		a.token(f, cs)
		return
	}
	if len(f.data) < 8 {
		f.headerErr = "too short for a correlation id"
		f.headerLen = len(f.data)
		return
	}
	f.corrID, f.hasCorrID, f.headerLen = int32(binary.BigEndian.Uint32(f.data[4:])), true, 8
	r := a.takePending(cs, f.corrID)
	if r == nil {
		a.unmatched = append(a.unmatched, f)
		f.undecoded = "the request it answers is not in the log"
		if cs.sasl {
			f.shown = min(f.shown, 8)
			f.redaction = "body not shown: it answers no request in the log, on a connection that did SASL"
		}
		return
	}
	a.answers(f, r)
	f.key, f.version = r.key, r.version
	if r.key < 0 || r.headerErr != "" {
		f.undecoded = "the request's header cannot be read"
		return
	}
	flexible, known := flexibleRequest(f.key, f.version)
	if known && flexible && f.key != 18 && !(logRedacted && len(f.data) == 8) {
		// ApiVersions keeps response header v0 at every version, so that a
		// client can read it whatever it asked for.
		tags, n, err := readHeaderTags(f.data[8:], 8)
		if err != "" {
			f.headerErr = "response header v1: " + err
			f.undecoded = "the header cannot be read"
			return
		}
		f.headerTags, f.headerLen = tags, 8+n
	}
	if f.key == 17 && len(f.data) >= f.headerLen+2 && binary.BigEndian.Uint16(f.data[f.headerLen:]) != 0 {
		cs.tokens = false // the handshake failed: no tokens follow
	}
	a.body(f, false, logRedacted, known)
}

// answers links a response to its request.
func (a *annotator) answers(f, r *frameInfo) {
	f.request, r.response = r, f
	if !f.time.IsZero() && !r.time.IsZero() {
		f.latency, f.timed = f.time.Sub(r.time), true
	}
}

// body decodes a frame's body, or says why it is not decoded, and decides
// how much of the frame may be shown.
func (a *annotator) body(f *frameInfo, request, logRedacted, known bool) {
	switch {
	case f.key == 36:
		// SaslAuthenticate carries passwords, SCRAM proofs and tokens:
		// nothing after its header is shown, whatever the log holds.
		f.shown = min(f.shown, f.headerLen)
		if !logRedacted {
			f.redaction = fmt.Sprintf("%s of SASL data redacted by hexdump-trace", count(f.size-f.headerLen, "byte"))
		}
		f.undecoded = "SASL data"
		return
	case logRedacted:
		f.undecoded = fmt.Sprintf("the log left out bytes from offset %#x", len(f.data))
		return
	case !known:
		if maxKnownVersion(f.key) < 0 {
			f.undecoded = fmt.Sprintf("api key %d is unknown to the decoder", f.key)
		} else {
			f.undecoded = fmt.Sprintf("%s v%d is newer than the decoder knows (up to v%d)", apiName(f.key), f.version, maxKnownVersion(f.key))
		}
		return
	}
	if f.headerLen > len(f.data) {
		f.undecoded = "the frame ends inside its header"
		return
	}
	body := f.data[f.headerLen:]
	s, err := schemaFor(f.key, f.version, request)
	if err != nil {
		f.undecoded = err.Error()
		return
	}
	dec := decodeBody(s, body, f.headerLen)
	if !request && f.key == 18 && f.version > 0 && dec.stopped() != nil && len(body) >= 2 && binary.BigEndian.Uint16(body) == 35 {
		// A broker that does not support the version asked for answers
		// UNSUPPORTED_VERSION in the v0 layout.
		if s0, err := schemaFor(18, 0, false); err == nil {
			if d0 := decodeBody(s0, body, f.headerLen); d0.stopped() == nil {
				dec = d0
				f.notes = append(f.notes, "in the v0 layout, as brokers answer a version they do not support")
			}
		}
	}
	f.dec = dec
	if from := markSecrets(f.key, request, dec); from >= 0 {
		f.shown = min(f.shown, from)
	}
}

// takePending removes and returns the request a response answers.
func (a *annotator) takePending(cs *connState, corrID int32) *frameInfo {
	i := slices.IndexFunc(cs.pending, func(r *frameInfo) bool { return r.hasCorrID && r.corrID == corrID })
	if i < 0 {
		return nil
	}
	r := cs.pending[i]
	cs.pending = slices.Delete(cs.pending, i, i+1)
	return r
}

// summary is what ends a log's trace.
type summary struct {
	log         string
	frames      int
	requests    int
	responses   int
	connections int
	problems    int
	apis        []apiSummary
	unanswered  []*frameInfo
	unmatched   []*frameInfo
}

// apiSummary is one API's line in the summary.
type apiSummary struct {
	api                      string
	requests, requestBytes   int
	responses, responseBytes int
	latencies                int // how many responses had a latency
	p50, p99, max            time.Duration
}

func (a *annotator) summary() *summary {
	s := &summary{log: a.log, frames: a.frames, requests: a.requests, responses: a.responses, connections: len(a.conns), problems: a.problems, unmatched: a.unmatched}
	for _, name := range apiOrder(a.apis) {
		st := a.apis[name]
		as := apiSummary{api: name, requests: st.requests, requestBytes: st.requestBytes, responses: st.responses, responseBytes: st.responseBytes, latencies: len(st.latencies)}
		if len(st.latencies) > 0 {
			l := slices.Sorted(slices.Values(st.latencies))
			as.p50, as.p99, as.max = percentile(l, 50), percentile(l, 99), l[len(l)-1]
		}
		s.apis = append(s.apis, as)
	}
	for _, c := range a.connOrder {
		s.unanswered = append(s.unanswered, a.conns[c].pending...)
	}
	slices.SortFunc(s.unanswered, func(x, y *frameInfo) int { return x.n - y.n })
	return s
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// apiOrder sorts API names, with "(answers no request)" and the like last.
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

// connDescription splits a connection's writer into what a reader needs:
// kafkaio's "conn" field is the local address; "broker" repeats the broker
// address the frame line shows anyway; anything else is the log's own.
func connDescription(c connKey) (local, other string) {
	if c.writer == "" {
		return "", ""
	}
	pairs, _, _ := scanPairs(c.writer)
	var kept []kv
	for _, p := range pairs {
		switch {
		case p.key == "conn" && local == "":
			local = p.value
		case p.key == "broker" && p.value == c.addr:
		default:
			kept = append(kept, p)
		}
	}
	return local, canonicalFields(kept)
}

// count is "1 frame", "2 frames", "2 batches".
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "ch"):
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
