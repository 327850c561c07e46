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
		var out bytes.Buffer
		tr := newTracer(&out, view{events: true, hexBytes: 64}, "fuzz.log", fileLines("fuzz.log"))
		if err := tr.readFrom(bytes.NewReader(log)); err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		tr.finish()
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
