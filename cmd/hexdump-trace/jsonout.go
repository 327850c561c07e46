package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"
)

// jsonSink writes -json: one JSON object per line, in the order the text
// form prints them. The layout is documented in the command's doc comment;
// keep the two in step.
type jsonSink struct {
	enc *json.Encoder
	v   view
}

func newJSONSink(out io.Writer, v view) *jsonSink {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return &jsonSink{enc: enc, v: v}
}

// object is a JSON object whose keys keep their order.
type object []member

type member struct {
	key   string
	value any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (j *jsonSink) write(o object) { _ = j.enc.Encode(o) }

func (j *jsonSink) frame(f *frameInfo) { j.write(frameJSON(f, j.v.hexBytes)) }

func (j *jsonSink) problem(p problemInfo) {
	j.write(object{{"kind", "problem"}, {"log", p.log}, {"log_line", p.line}, {"text", p.text}})
}

func (j *jsonSink) event(log string, r record) {
	j.write(object{{"kind", "event"}, {"log", log}, {"log_line", r.line}, {"time", timeJSON(r.time)}, {"message", r.msg}, {"log_fields", r.writer}})
}

func (j *jsonSink) summary(s *summary) { j.write(summaryJSON(s)) }

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func microseconds(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// frameJSON is one frame as -json writes it. hexBytes bounds "hex".
func frameJSON(f *frameInfo, hexBytes int) object {
	local, other := connDescription(f.conn)
	o := object{
		{"kind", "frame"},
		{"log", f.log},
		{"log_line", f.line},
		{"frame", f.n},
		{"time", timeJSON(f.time)},
		{"direction", f.dir.String()},
		{"local", nullIfEmpty(local)},
		{"broker", f.conn.addr},
		{"log_fields", nullIfEmpty(other)},
		{"bytes", f.size},
	}
	if f.kind == saslToken {
		o = append(o, member{"api", "SASL token"}, member{"api_key", nil}, member{"version", nil}, member{"correlation_id", nil})
	} else {
		o = append(o, member{"api", apiOrNull(f)}, member{"api_key", keyOrNull(f)}, member{"version", versionOrNull(f)}, member{"correlation_id", corrIDOrNull(f)})
	}
	if f.dir == toBroker {
		var client any
		if f.clientID != nil {
			client = *f.clientID
		}
		o = append(o, member{"client_id", client})
	} else {
		var req, latency any
		if f.request != nil {
			req = f.request.n
		}
		if f.timed {
			latency = microseconds(f.latency)
		}
		o = append(o, member{"request_frame", req}, member{"latency_us", latency})
	}
	var errName any
	if f.dec != nil && f.dir == fromBroker && f.key != 18 {
		for _, c := range f.dec.body.children {
			if isErrorField(c) && c.num != 0 {
				errName = errorCodeName(c.num)
				break
			}
		}
	}
	o = append(o, member{"error", errName})
	o = append(o, member{"header_error", nullIfEmpty(f.headerErr)}, member{"redacted", nullIfEmpty(f.redaction)}, member{"notes", stringsOrEmpty(f.notes)})
	if len(f.headerTags) > 0 {
		o = append(o, member{"header_tags", structJSON(f, f.headerTags)})
	}
	var fields, problems any = nil, []any{}
	if f.dec != nil {
		fields = structJSON(f, f.dec.body.children)
		list := []any{}
		for _, p := range f.dec.problems {
			list = append(list, object{{"offset", p.off}, {"path", p.path}, {"reason", p.reason}, {"fatal", p.fatal}})
		}
		problems = list
	}
	o = append(o, member{"fields", fields}, member{"undecoded", nullIfEmpty(undecodedReason(f))}, member{"decode_problems", problems})
	o = append(o, member{"hex", hex.EncodeToString(f.data[:min(f.shown, max(hexBytes, 0))])})
	return o
}

// undecodedReason is why a frame has no fields, for frames that should.
func undecodedReason(f *frameInfo) string {
	if f.dec != nil {
		return ""
	}
	return f.undecoded
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func apiOrNull(f *frameInfo) any {
	if f.key < 0 {
		return nil
	}
	return apiName(f.key)
}

func keyOrNull(f *frameInfo) any {
	if f.key < 0 {
		return nil
	}
	return f.key
}

func versionOrNull(f *frameInfo) any {
	if f.key < 0 {
		return nil
	}
	return f.version
}

func corrIDOrNull(f *frameInfo) any {
	if !f.hasCorrID {
		return nil
	}
	return f.corrID
}

// structJSON renders fields as an object keyed by field name.
func structJSON(f *frameInfo, children []*node) object {
	o := make(object, 0, len(children))
	for _, c := range children {
		o = append(o, member{c.name, nodeJSON(f, c)})
	}
	return o
}

// nodeJSON renders a value: numbers, strings, booleans and null as
// themselves, UUIDs in Kafka's base64, bytes as hex, record batches as
// their summary, secrets as "redacted (N bytes)".
func nodeJSON(f *frameInfo, n *node) any {
	if n.null {
		return nil
	}
	if n.secret {
		l := len(n.raw)
		if n.kind == wString {
			l = len(n.str)
		}
		return "redacted (" + count(l, "byte") + ")"
	}
	switch {
	case n.unknownTag:
		return hex.EncodeToString(n.raw)
	case n.records != nil:
		return recordsJSON(n.records)
	}
	switch n.kind {
	case wStruct, wNullableStruct:
		return structJSON(f, n.children)
	case wArray:
		a := make([]any, 0, len(n.children))
		for _, e := range n.children {
			a = append(a, nodeJSON(f, e))
		}
		return a
	case wBool:
		return n.num == 1
	case wInt8, wInt16, wInt32, wInt64:
		return n.num
	case wUint16, wUint32:
		return n.unum
	case wFloat64:
		return n.flt
	case wUUID:
		return uuidString(n.raw)
	case wString:
		return n.str
	case wBytes:
		return hex.EncodeToString(n.raw)
	}
	return nil
}

func recordsJSON(rs *recordSet) object {
	batches := []any{}
	for _, b := range rs.batches {
		records := []any{}
		for _, r := range b.records {
			var key any
			if !r.keyNull {
				key = string(r.key)
				if !isPrintableUTF8(r.key) {
					key = object{{"hex", hex.EncodeToString(r.key)}}
				}
			}
			var value any = r.valueLen
			if r.valueLen < 0 {
				value = nil
			}
			records = append(records, object{{"offset", r.offset}, {"key", key}, {"value_bytes", value}, {"headers", r.headers}})
		}
		bo := object{{"base_offset", b.baseOffset}, {"magic", b.magic}, {"records", b.count}, {"compression", b.compression}, {"bytes", b.size}, {"crc_ok", b.crcOK}}
		if b.magic == 2 {
			bo = append(bo, member{"producer_id", b.producerID}, member{"producer_epoch", b.producerEpoch}, member{"base_sequence", b.baseSequence},
				member{"leader_epoch", b.leaderEpoch}, member{"transactional", b.transactional}, member{"control", b.control},
				member{"first_timestamp", b.firstTime}, member{"max_timestamp", b.maxTime})
		}
		bo = append(bo, member{"first_records", records}, member{"records_note", nullIfEmpty(b.recordsNote)})
		batches = append(batches, bo)
	}
	return object{{"bytes", rs.size}, {"batches", batches}, {"problem", nullIfEmpty(rs.problem)}, {"partial", rs.partial}}
}

func isPrintableUTF8(b []byte) bool { return !hasControl(b) && utf8.Valid(b) }

func summaryJSON(s *summary) object {
	apis := []any{}
	for _, a := range s.apis {
		var lat any
		if a.latencies > 0 {
			lat = object{{"p50", microseconds(a.p50)}, {"p99", microseconds(a.p99)}, {"max", microseconds(a.max)}}
		}
		apis = append(apis, object{{"api", a.api}, {"requests", a.requests}, {"request_bytes", a.requestBytes}, {"responses", a.responses}, {"response_bytes", a.responseBytes}, {"latency_us", lat}})
	}
	frames := func(fs []*frameInfo) []int {
		out := []int{}
		for _, f := range fs {
			out = append(out, f.n)
		}
		return out
	}
	return object{{"kind", "summary"}, {"log", s.log}, {"frames", s.frames}, {"requests", s.requests}, {"responses", s.responses},
		{"connections", s.connections}, {"problems", s.problems}, {"apis", apis}, {"unanswered", frames(s.unanswered)}, {"unmatched", frames(s.unmatched)}}
}
