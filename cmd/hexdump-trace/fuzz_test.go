package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// FuzzParseLog feeds arbitrary logs to the whole pipeline. It must never
// panic, must always end with the summary, and must account for every frame
// it prints as a request or a response.
func FuzzParseLog(f *testing.F) {
	// One short dump per layout seeds the corpus. Seeds stay small because
	// the fuzzer minimises every new input in time quadratic in its length,
	// which would take up most of a short run.
	tiny := []byte{0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff}
	for _, layout := range []logrus.Formatter{kafkadebug.Formatter{}, &logrus.TextFormatter{DisableColors: true}, &logrus.JSONFormatter{}, &logrus.TextFormatter{ForceColors: true}} {
		f.Add([]byte(logWith(layout, func(log *logrus.Logger) {
			kafkadebug.Dump(log.WithField("conn", "c"), kafkadebug.Request, "h:1", tiny)
		})))
	}
	f.Add([]byte("# Request to h:1\n# Hex Stream: 00000002\n# Request to h:1\n# Hex Stream: 0012\n"))
	f.Add([]byte("# Response from h:1\n# Hex Stream: 7fffffff\n00000000  7f ff ff ff                                       |....|\n"))
	f.Fuzz(func(t *testing.T, log []byte) {
		if len(log) > maxFuzzLog {
			// Long inputs add little beyond what short ones reach; returning
			// early keeps them out of the corpus and out of minimisation.
			return
		}
		var out, js bytes.Buffer
		tr := newTracer(&out, view{events: true, hexBytes: 64}, "fuzz.log", fileLines("fuzz.log"))
		if err := tr.readFrom(bytes.NewReader(log)); err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		tr.finish()
		// The JSON form and the page's data go through the same frames.
		page := &htmlPage{}
		jt := newTracer(&js, view{json: true, hexBytes: 64, page: page}, "fuzz.log", fileLines("fuzz.log"))
		_ = jt.readFrom(bytes.NewReader(log))
		jt.finish()
		if _, err := page.render(); err != nil {
			t.Fatalf("page: %v", err)
		}
		a := tr.an
		if a.frames != a.requests+a.responses {
			t.Fatalf("%d frames but %d requests and %d responses", a.frames, a.requests, a.responses)
		}
		text := out.String()
		if !strings.Contains(text, "summary: ") || !strings.HasSuffix(text, "\n") {
			t.Fatalf("output lacks the summary:\n%s", text)
		}
		if got := strings.Count(text, "\n#"); got > a.frames {
			t.Fatalf("%d frame lines for %d frames", got, a.frames)
		}
	})
}

// maxFuzzLog bounds the logs FuzzParseLog looks at.
const maxFuzzLog = 2 << 10

// FuzzDecodeBody decodes arbitrary bodies as any request or response at any
// version. It must never panic, must report every problem inside the body,
// and whatever it decoded must render as text and as JSON.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []struct {
		key, version int16
		request      bool
	}{{3, 12, false}, {0, 9, true}, {1, 12, false}, {18, 3, false}, {11, 6, true}, {8, 2, true}} {
		m := newMessage(seed.key, seed.request)
		unwrap(m).(probeMessageT).SetVersion(seed.version)
		f.Add(seed.key, seed.version, seed.request, encode(m))
	}
	f.Fuzz(func(t *testing.T, key, version int16, request bool, body []byte) {
		if len(body) > maxFuzzLog {
			return
		}
		maxV := maxKnownVersion(key)
		if maxV < 0 {
			key, maxV = 3, maxKnownVersion(3)
		}
		version = int16(uint16(version) % uint16(maxV+1))
		s, err := schemaFor(key, version, request)
		if err != nil {
			t.Fatalf("%d v%d: %v", key, version, err)
		}
		const base = 12
		dec := decodeBody(s, body, base)
		for _, p := range dec.problems {
			if p.off < base || p.off > base+len(body) {
				t.Fatalf("problem outside the body (%d bytes from %d): %v", len(body), base, p)
			}
		}
		if stop := dec.stopped(); stop == nil && dec.body.end != base+len(body) {
			t.Fatalf("no problem, but decoding ended at %d of %d", dec.body.end, base+len(body))
		}
		dir := fromBroker
		if request {
			dir = toBroker
		}
		frame := &frameInfo{n: 1, dir: dir, key: key, version: version, dec: dec, data: make([]byte, base+len(body)), size: base + len(body), shown: base + len(body), headerLen: base}
		markSecrets(key, request, dec)
		var out bytes.Buffer
		ts := newTextSink(&out, view{hexBytes: 64})
		ts.fields(frame)
		if _, err := frameJSON(frame, 64).MarshalJSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
	})
}

// FuzzRecordBatches summarises arbitrary bytes as the Records of a Produce
// or Fetch. It must never panic, nor decompress past its bound.
func FuzzRecordBatches(f *testing.F) {
	for codec := range 5 {
		f.Add(recordBatch(f, codec, "k", "value", "", "v2"))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzLog {
			return
		}
		rs := summariseRecords(b, 0)
		covered := 0
		for _, batch := range rs.batches {
			covered += batch.size
			if len(batch.records) > shownRecords {
				t.Fatalf("%d records listed", len(batch.records))
			}
		}
		if covered+rs.rest != len(b) {
			t.Fatalf("batches cover %d and the rest %d of %d bytes", covered, rs.rest, len(b))
		}
		recordsLines(rs)
		if _, err := recordsJSON(rs).MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
}
