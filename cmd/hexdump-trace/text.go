package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/kafkadebug"
)

// sink receives a log's trace as the pipeline produces it.
type sink interface {
	frame(f *frameInfo)
	problem(p problemInfo)
	event(log string, r record)
	summary(s *summary)
}

// problemInfo is one problem found in a log.
type problemInfo struct {
	log   string
	line  int
	where string // "wire.log line 15"
	text  string
}

// multiSink hands everything to several sinks.
type multiSink []sink

func (m multiSink) frame(f *frameInfo) {
	for _, s := range m {
		s.frame(f)
	}
}

func (m multiSink) problem(p problemInfo) {
	for _, s := range m {
		s.problem(p)
	}
}

func (m multiSink) event(log string, r record) {
	for _, s := range m {
		s.event(log, r)
	}
}

func (m multiSink) summary(sum *summary) {
	for _, s := range m {
		s.summary(sum)
	}
}

// textSink writes the default output: one line per frame saying what it
// is, the decoded fields as an indented tree under it, its first bytes as a
// hex table, problems where they are found, and a summary.
type textSink struct {
	out io.Writer
	v   view
}

func newTextSink(out io.Writer, v view) *textSink { return &textSink{out: out, v: v} }

func (t *textSink) problem(p problemInfo) {
	fmt.Fprintf(t.out, "! %s: %s\n", p.where, p.text)
}

func (t *textSink) event(_ string, r record) {
	var b strings.Builder
	b.WriteString("  ")
	if !r.time.IsZero() {
		b.WriteString(r.time.Format(clockLayout) + " ")
	}
	b.WriteString("log entry")
	pairs, _, _ := scanPairs(r.writer)
	var broker, local string
	var other []kv
	for _, p := range pairs {
		switch {
		case p.key == "broker" && broker == "":
			broker = p.value
		case p.key == "conn" && local == "":
			local = p.value
		default:
			other = append(other, p)
		}
	}
	switch {
	case local != "" && broker != "":
		b.WriteString(" of the connection from " + printable(local) + " to broker " + printable(broker))
	case broker != "":
		b.WriteString(" about broker " + printable(broker))
	case local != "":
		b.WriteString(" of the connection from " + printable(local))
	}
	b.WriteString(": " + printable(r.msg))
	if len(other) > 0 {
		b.WriteString(" (fields: " + printable(canonicalFields(other)) + ")")
	}
	fmt.Fprintln(t.out, b.String())
}

// clockLayout is how frame times are shown: the log's dates are left out.
const clockLayout = "15:04:05.000000"

func (t *textSink) frame(f *frameInfo) {
	fmt.Fprintf(t.out, "%s: %s\n", framePrefix(f), frameDescription(f))
	for _, n := range f.headerTags {
		fmt.Fprintf(t.out, "    header tagged field %d: %s\n", n.tag, bytesText(n.raw))
	}
	if t.v.fields != fieldsNone {
		t.fields(f)
	}
	t.hexTable(f)
}

// framePrefix is "#N TIME request from LOCAL to broker ADDR, S bytes".
func framePrefix(f *frameInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", f.n)
	if !f.time.IsZero() {
		b.WriteString(" " + f.time.Format(clockLayout))
	}
	b.WriteString(" " + connText(f.dir, f.conn))
	fmt.Fprintf(&b, ", %s", count(f.size, "byte"))
	return b.String()
}

// connText is "request from LOCAL to broker ADDR" or "response from broker
// ADDR to LOCAL", with the log's own fields when it has more.
func connText(dir direction, c connKey) string {
	local, other := connDescription(c)
	broker := "broker " + printable(c.addr)
	var s string
	switch {
	case dir == toBroker && local != "":
		s = "request from " + printable(local) + " to " + broker
	case dir == toBroker:
		s = "request to " + broker
	case local != "":
		s = "response from " + broker + " to " + printable(local)
	default:
		s = "response from " + broker
	}
	if other != "" {
		s += " (log fields " + printable(other) + ")"
	}
	return s
}

// frameDescription says what a frame is: its API, version, correlation
// id, client id, the request a response answers, and notes.
func frameDescription(f *frameInfo) string {
	var parts []string
	switch {
	case f.kind == saslToken && f.dir == toBroker:
		parts = append(parts, "SASL token (after SaslHandshake v0 the client sends them without a Kafka header)")
	case f.kind == saslToken:
		parts = append(parts, fmt.Sprintf("SASL token answering #%d", f.request.n))
	case f.dir == toBroker && f.key < 0:
		parts = append(parts, f.headerErr)
	case f.dir == toBroker:
		api := "unknown api key " + strconv.Itoa(int(f.key))
		if name, ok := knownAPI(f.key); ok {
			api = fmt.Sprintf("%s v%d (key %d)", name, f.version, f.key)
		} else {
			api += fmt.Sprintf(" v%d", f.version)
		}
		parts = append(parts, api, fmt.Sprintf("correlation id %d", f.corrID))
		switch {
		case f.clientID != nil:
			parts = append(parts, "client id "+strconv.Quote(*f.clientID))
		case f.noClient:
			parts = append(parts, "no client id (header v0)")
		default:
			parts = append(parts, "client id null")
		}
		if f.headerErr != "" {
			parts = append(parts, f.headerErr)
		}
	case !f.hasCorrID:
		parts = append(parts, f.headerErr)
	case f.request == nil:
		parts = append(parts, fmt.Sprintf("correlation id %d", f.corrID), "answers no request in the log on this connection")
	default:
		r := f.request
		answer := fmt.Sprintf("answers #%d", r.n)
		if f.timed {
			answer += " after " + latencyText(f.latency)
		}
		parts = append(parts, fmt.Sprintf("%s v%d", r.api(), r.version), fmt.Sprintf("correlation id %d", f.corrID), answer)
		if f.headerErr != "" {
			parts = append(parts, f.headerErr)
		}
		if f.dec != nil && f.key != 18 {
			if e := topError(f.dec.body); e != "" {
				parts = append(parts, e)
			}
		}
	}
	if f.redaction != "" {
		parts = append(parts, f.redaction)
	}
	parts = append(parts, f.notes...)
	return strings.Join(parts, ", ")
}

// topError is "error NOT_COORDINATOR (16)" when a response's top-level
// error code is set: the first thing to look at.
func topError(body *node) string {
	for _, c := range body.children {
		if isErrorField(c) && c.num != 0 {
			return "error " + errorName(c.num)
		}
	}
	return ""
}

func latencyText(d time.Duration) string { return d.Round(time.Microsecond).String() }

// fields prints the decoded body, or why there is none.
func (t *textSink) fields(f *frameInfo) {
	if f.dec == nil {
		if f.undecoded != "" && f.kind != saslToken && f.key != 36 {
			fmt.Fprintf(t.out, "    (fields not decoded: %s)\n", f.undecoded)
		}
		return
	}
	for _, c := range f.dec.body.children {
		for _, l := range nodeLines(f, c, t.v.fields) {
			fmt.Fprintf(t.out, "    %s\n", l)
		}
	}
	for _, p := range f.dec.problems {
		verb := "decoding stopped"
		if !p.fatal {
			verb = "note"
		}
		fmt.Fprintf(t.out, "    ! %s %s\n", verb, p)
	}
}

// maxInline bounds a line that puts a struct's fields side by side.
const maxInline = 110

// nodeLines renders a field as lines, nested ones indented by two spaces.
func nodeLines(f *frameInfo, n *node, depth fieldsDepth) []string {
	name := n.name
	if n.tag >= 0 && !n.unknownTag {
		name += fmt.Sprintf(" (tag %d)", n.tag)
	}
	switch {
	case n.unknownTag:
		return []string{fmt.Sprintf("%s: %s", name, bytesText(n.raw))}
	case n.null:
		return []string{name + ": null"}
	case n.records != nil:
		lines := []string{name + ": " + recordsHeadline(n.records)}
		if depth == fieldsAll {
			lines = append(lines, indent(recordsLines(n.records), "  ")...)
		}
		return lines
	case len(n.embedded) > 0 && !n.secret:
		lines := []string{name + ": " + count(len(n.raw), "byte") + ", " + n.embedded[0]}
		return append(lines, indent(n.embedded[1:], "  ")...)
	case n.kind == wArray:
		if n.field.elem.kind != wStruct {
			return []string{name + ": " + scalarList(f, n)}
		}
		if len(n.children) == 0 {
			return []string{name + ": []"}
		}
		head := name + ": " + count(len(n.children), "item")
		if depth != fieldsAll {
			return []string{head}
		}
		lines := []string{head}
		for _, e := range n.children {
			lines = append(lines, indent(elementLines(f, e), "  ")...)
		}
		return lines
	case n.kind == wStruct || n.kind == wNullableStruct:
		if depth != fieldsAll {
			return []string{name + ": (" + count(len(n.children), "field") + "; -fields all shows them)"}
		}
		lines := []string{name + ":"}
		for _, c := range n.children {
			lines = append(lines, indent(nodeLines(f, c, depth), "  ")...)
		}
		return lines
	}
	return []string{name + ": " + valueText(f, n)}
}

// elementLines renders an array element "[i] ...": its fields on one line
// when they are all scalars and fit, else one per line under the index.
func elementLines(f *frameInfo, e *node) []string {
	label := "[" + strconv.Itoa(e.index) + "] "
	var fields []string
	inline := true
	for _, c := range e.children {
		ls := nodeLines(f, c, fieldsAll)
		if len(ls) != 1 || c.kind == wStruct || c.kind == wNullableStruct || c.records != nil {
			inline = false
		}
		fields = append(fields, ls...)
	}
	if len(fields) == 0 {
		return []string{label + "(no fields)"}
	}
	if joined := strings.Join(fields, ", "); inline && len(label)+len(joined) <= maxInline {
		return []string{label + joined}
	}
	pad := strings.Repeat(" ", len(label))
	lines := []string{label + fields[0]}
	for _, l := range fields[1:] {
		lines = append(lines, pad+l)
	}
	return lines
}

// maxListed bounds the scalars of an array listed on its line.
const maxListed = 20

func scalarList(f *frameInfo, n *node) string {
	var items []string
	for i, e := range n.children {
		if i == maxListed {
			items = append(items, fmt.Sprintf("... %d more", len(n.children)-maxListed))
			break
		}
		items = append(items, valueText(f, e))
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// valueText renders a scalar with what it means: "NOT_COORDINATOR (16)",
// "-1 (latest)".
func valueText(f *frameInfo, n *node) string {
	v := scalarText(n)
	if n.null || n.secret {
		return v
	}
	a := annotation(f.key, f.dir == toBroker, n)
	switch {
	case a == "":
		return v
	case namesValue(n):
		return a + " (" + v + ")"
	}
	return v + " (" + a + ")"
}

// namesValue reports whether a field's annotation is its value's name (an
// error code, an API key, an enum) rather than a remark about it.
func namesValue(n *node) bool {
	return isErrorField(n) || n.name == "ApiKey" || enumName(n) != ""
}

func indent(lines []string, by string) []string {
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return lines
}

// recordsHeadline is "2 batches, 3 records, 210 bytes".
func recordsHeadline(rs *recordSet) string {
	records := 0
	for _, b := range rs.batches {
		records += b.count
	}
	s := fmt.Sprintf("%s, %s, %s", count(len(rs.batches), "batch"), count(records, "record"), count(rs.size, "byte"))
	if rs.problem != "" {
		s += "; " + rs.problem
	}
	return s
}

func recordsLines(rs *recordSet) []string {
	var lines []string
	for i, b := range rs.batches {
		lines = append(lines, fmt.Sprintf("batch %d: %s", i, batchText(b)))
		for _, r := range b.records {
			lines = append(lines, "  "+recordText(r))
		}
		if more := b.count - len(b.records); more > 0 && len(b.records) > 0 {
			lines = append(lines, fmt.Sprintf("  (%s more)", count(more, "record")))
		}
		if b.recordsNote != "" {
			lines = append(lines, "  ("+b.recordsNote+")")
		}
	}
	return lines
}

func batchText(b batchSummary) string {
	parts := []string{fmt.Sprintf("base offset %d", b.baseOffset), count(b.count, "record"), "compression " + b.compression}
	if b.magic == 2 {
		producer := fmt.Sprintf("producer id %d", b.producerID)
		if b.producerID >= 0 {
			producer += fmt.Sprintf(" epoch %d sequence %d", b.producerEpoch, b.baseSequence)
		}
		parts = append(parts, producer)
		if b.transactional {
			parts = append(parts, "transactional")
		}
		if b.control {
			parts = append(parts, "control batch")
		}
		if plausibleMillis(b.firstTime) {
			parts = append(parts, "first timestamp "+time.UnixMilli(b.firstTime).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
	} else {
		parts = append(parts, fmt.Sprintf("magic %d message", b.magic))
	}
	parts = append(parts, count(b.size, "byte"))
	if b.crcOK {
		parts = append(parts, "CRC ok")
	} else {
		parts = append(parts, "CRC DOES NOT MATCH")
	}
	return strings.Join(parts, ", ")
}

func recordText(r recordSummary) string {
	s := fmt.Sprintf("offset %d: key %s, value ", r.offset, keyText(r.key, r.keyNull))
	if r.valueLen < 0 {
		s += "null"
	} else {
		s += count(r.valueLen, "byte")
	}
	if r.headers > 0 {
		s += ", " + count(r.headers, "header")
	}
	return s
}

// hexTable shows the first bytes of a frame, size prefix included, in
// kafkadebug's table layout, indented under the frame: the bytes the
// annotation above explains. Secrets are never among them.
func (t *textSink) hexTable(f *frameInfo) {
	if t.v.hexBytes <= 0 {
		return
	}
	shown := f.data[:min(f.shown, t.v.hexBytes)]
	for line := range bytes.Lines(kafkadebug.AppendHexTable(nil, shown)) {
		fmt.Fprintf(t.out, "    %s", line)
	}
	switch rest := f.size - len(shown); {
	case rest == 0:
	case f.shown < f.size && len(shown) == f.shown:
		fmt.Fprintf(t.out, "    ... the other %s are not shown: %s\n", count(rest, "byte"), hiddenReason(f))
	default:
		fmt.Fprintf(t.out, "    ... %s more (-hex N shows more)\n", count(rest, "byte"))
	}
}

// hiddenReason says why bytes of a frame are not shown.
func hiddenReason(f *frameInfo) string {
	switch {
	case f.key == 36 || f.kind == saslToken:
		return "SASL data"
	case f.redaction != "":
		return f.redaction
	case len(f.data) < f.size:
		return "the log left them out"
	}
	return "they hold secrets"
}

func (t *textSink) summary(s *summary) {
	fmt.Fprintf(t.out, "summary: %s (%s, %s) on %s, %s\n", count(s.frames, "frame"), count(s.requests, "request"),
		count(s.responses, "response"), count(s.connections, "connection"), count(s.problems, "problem"))
	if len(s.apis) > 0 {
		w := len("api")
		for _, a := range s.apis {
			w = max(w, len(a.api))
		}
		fmt.Fprintf(t.out, "  %-*s %8s %10s %9s %10s %11s %11s %11s\n", w, "api", "requests", "bytes", "responses", "bytes", "latency p50", "p99", "max")
		for _, a := range s.apis {
			p50, p99, mx := "-", "-", "-"
			if a.latencies > 0 {
				p50, p99, mx = latencyText(a.p50), latencyText(a.p99), latencyText(a.max)
			}
			fmt.Fprintf(t.out, "  %-*s %8d %10d %9d %10d %11s %11s %11s\n", w, a.api, a.requests, a.requestBytes, a.responses, a.responseBytes, p50, p99, mx)
		}
		fmt.Fprintln(t.out, "  (bytes include each frame's 4-byte size; latency is from a request's dump to its response's)")
	}
	fmt.Fprintf(t.out, "  requests never answered: %d\n", len(s.unanswered))
	for _, r := range s.unanswered {
		fmt.Fprintf(t.out, "    #%d %s\n", r.n, summaryLine(r))
	}
	fmt.Fprintf(t.out, "  responses answering no request in the log: %d\n", len(s.unmatched))
	for _, r := range s.unmatched {
		fmt.Fprintf(t.out, "    #%d %s\n", r.n, summaryLine(r))
	}
}

func summaryLine(f *frameInfo) string {
	what := fmt.Sprintf("correlation id %d", f.corrID)
	if f.dir == toBroker {
		switch {
		case f.kind == saslToken:
			what = "SASL token"
		case f.key >= 0:
			what = fmt.Sprintf("%s v%d, correlation id %d", f.api(), f.version, f.corrID)
		default:
			what = "unreadable request"
		}
	}
	return what + ", " + connText(f.dir, f.conn)
}
