package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// traceOf runs the tracer over a log and returns its output.
func traceOf(log string) string {
	var out bytes.Buffer
	t := newTracer(&out, view{})
	_ = t.readFrom(strings.NewReader(log))
	t.finish()
	return out.String()
}

// dumpsOf logs dumps of the given chunks in kafkadebug's layout, all from one
// connection.
func dumpsOf(conn string, chunks ...struct {
	dir kafkadebug.Direction
	b   []byte
}) string {
	return logWith(kafkadebug.Formatter{}, func(log *logrus.Logger) {
		for _, c := range chunks {
			kafkadebug.Dump(log.WithField("conn", conn), c.dir, "127.0.0.1:9092", c.b)
		}
	})
}

type dumped = struct {
	dir kafkadebug.Direction
	b   []byte
}

// apiVersionsResponse is a v0 response: no error, one key.
func apiVersionsResponse(corrID byte) []byte {
	return []byte{0, 0, 0, 16, 0, 0, 0, corrID, 0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3}
}

func TestResponseSplitAcrossChunksIsOneFrame(t *testing.T) {
	resp := apiVersionsResponse(1)
	for _, split := range []int{1, 4, 9, 19} {
		out := traceOf(dumpsOf("a", dumped{kafkadebug.Request, apiVersionsV0}, dumped{kafkadebug.Response, resp[:split]}, dumped{kafkadebug.Response, resp[split:]}))
		if !strings.Contains(out, "size 16: correlation id 1, answers #1 ApiVersions v0 after 4ms; error code 0, 1 api key\n") ||
			!strings.Contains(out, "summary: 2 frames (1 request, 1 response) on 1 connection, 0 problems") {
			t.Errorf("split at %d:\n%s", split, out)
		}
	}
}

func TestSeveralFramesInOneChunk(t *testing.T) {
	two := append(apiVersionsResponse(1), apiVersionsResponse(2)...)
	req2 := bytes.Clone(apiVersionsV0)
	req2[11] = 2
	out := traceOf(dumpsOf("a", dumped{kafkadebug.Request, append(bytes.Clone(apiVersionsV0), req2...)}, dumped{kafkadebug.Response, two}))
	for _, want := range []string{"answers #1 ApiVersions", "answers #2 ApiVersions", "0 problems", "unanswered requests: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestLineLevelInterleaving mixes the lines of two connections' dumps one by
// one, as merged logs of two processes would, and expects both traces intact.
func TestLineLevelInterleaving(t *testing.T) {
	a := strings.Split(strings.TrimSuffix(dumpsOf("a", dumped{kafkadebug.Request, apiVersionsV0}, dumped{kafkadebug.Response, apiVersionsResponse(1)}), "\n"), "\n")
	b := strings.Split(strings.TrimSuffix(dumpsOf("b", dumped{kafkadebug.Request, apiVersionsV0}, dumped{kafkadebug.Response, apiVersionsResponse(1)}), "\n"), "\n")
	var merged []string
	for i := range max(len(a), len(b)) {
		if i < len(a) {
			merged = append(merged, a[i])
		}
		if i < len(b) {
			merged = append(merged, b[i])
		}
	}
	out := traceOf(strings.Join(merged, "\n") + "\n")
	for _, want := range []string{"[conn=a] 19:27:00.123456 request", "[conn=b] 19:27:00.123456 request", "answers #1 ApiVersions", "answers #2 ApiVersions", "on 2 connections, 0 problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTableStandsInForAMissingHexStream(t *testing.T) {
	log := dumpsOf("a", dumped{kafkadebug.Request, apiVersionsV0})
	lines := strings.Split(log, "\n")
	out := traceOf(strings.Join(append(lines[:1], lines[2:]...), "\n"))
	for _, want := range []string{"! line 1: dump has no hex stream; used the hex table (18 bytes)", "ApiVersions (key 18) v0, correlation id 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestEmptyDumpAndLastLineWithoutBreak(t *testing.T) {
	log := "# Response from h:1\n# Hex Stream: \n# Request to h:1\n# Hex Stream: " + "0000000e0012000000000001000474657374"
	out := traceOf(log)
	for _, want := range []string{"#1 line 3 request to h:1, size 14: ApiVersions", "0 problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseRequestHeader(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"v1 header", "\x00\x12\x00\x00\x00\x00\x00\x01\x00\x04test", `ApiVersions (key 18) v0, correlation id 1, client id "test"`},
		{"null client id", "\x00\x03\x00\x01\x00\x00\x00\x02\xff\xff", "Metadata (key 3) v1, correlation id 2, client id null"},
		{"controlled shutdown v0 has no client id", "\x00\x07\x00\x00\x00\x00\x00\x03", "ControlledShutdown (key 7) v0, correlation id 3, no client id"},
		{"client id too long", "\x00\x12\x00\x00\x00\x00\x00\x01\x00\x09test", "ApiVersions (key 18) v0, correlation id 1, client id null; client id length 9 does not fit in the frame"},
	}
	for _, tt := range tests {
		h, err := parseRequestHeader([]byte(tt.body))
		got := describeRequest(h)
		if err != nil {
			got += "; " + err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := parseRequestHeader([]byte{0, 18, 0}); err != errShortHeader {
		t.Errorf("3-byte header: %v, want errShortHeader", err)
	}
}

func TestLongLinesAreSkipped(t *testing.T) {
	var out bytes.Buffer
	tr := newTracer(&out, view{})
	tr.feed(make([]byte, maxLineLength+1))
	tr.finish()
	if !strings.Contains(out.String(), "! line 1: line longer than") {
		t.Fatalf("no report of the long line:\n%s", out.String())
	}
}

// TestLineWriterReassemblesLines writes a log in small pieces, as a logger
// may, and expects the trace readFrom gives for the whole.
func TestLineWriterReassemblesLines(t *testing.T) {
	log, err := os.ReadFile(filepath.Join(testdataDir, "apiversions.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tr := newTracer(&out, view{})
	var raw bytes.Buffer
	w := &lineWriter{t: tr, tee: &raw}
	for rest := log; len(rest) > 0; {
		n := min(7, len(rest))
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	w.flush()
	tr.finish()
	if want := traceOf(string(log)); out.String() != want {
		t.Errorf("pieces gave a different trace:\n%s", lineDiff(want, out.String()))
	}
	if !bytes.Equal(raw.Bytes(), log) {
		t.Error("the tee did not receive the log unchanged")
	}
}
