package main

import (
	"bytes"
	"encoding/binary"
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
	t := newTracer(&out, view{}, "test.log", fileLines("test.log"))
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
		if !strings.Contains(out, "20 bytes: ApiVersions v0, correlation id 1, answers #1 after 4ms\n    ErrorCode: NONE (0)\n") ||
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
	for _, want := range []string{"ApiVersions v0, correlation id 1, answers #1", "ApiVersions v0, correlation id 2, answers #2", "0 problems", "requests never answered: 0"} {
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
	for _, want := range []string{"19:27:00.123456 request from a to broker 127.0.0.1:9092", "19:27:00.123456 request from b to broker 127.0.0.1:9092", "answers #1 after", "answers #2 after", "on 2 connections, 0 problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTableStandsInForAMissingHexStream(t *testing.T) {
	log := dumpsOf("a", dumped{kafkadebug.Request, apiVersionsV0})
	lines := strings.Split(log, "\n")
	out := traceOf(strings.Join(append(lines[:1], lines[2:]...), "\n"))
	for _, want := range []string{"! test.log line 1: dump has no hex stream; used the hex table (18 bytes)", "ApiVersions v0 (key 18), correlation id 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestEmptyDumpAndLastLineWithoutBreak(t *testing.T) {
	log := "# Response from h:1\n# Hex Stream: \n# Request to h:1\n# Hex Stream: " + "0000000e0012000000000001000474657374"
	out := traceOf(log)
	for _, want := range []string{"#1 request to broker h:1, 18 bytes: ApiVersions", "0 problems"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"v1 header", "\x00\x12\x00\x00\x00\x00\x00\x01\x00\x04test", `ApiVersions v0 (key 18), correlation id 1, client id "test"`},
		{"null client id", "\x00\x03\x00\x01\x00\x00\x00\x02\xff\xff\xff\xff\xff\xff", "Metadata v1 (key 3), correlation id 2, client id null"},
		{"controlled shutdown v0 has no client id", "\x00\x07\x00\x00\x00\x00\x00\x03\x00\x00\x00\x01", "ControlledShutdown v0 (key 7), correlation id 3, no client id (header v0)"},
		{"client id too long", "\x00\x12\x00\x00\x00\x00\x00\x01\x00\x09test", "ApiVersions v0 (key 18), correlation id 1, client id null, client id length 9 does not fit in the frame"},
		{"too short", "\x00\x12\x00", "too short for a request header"},
		{"header v2 tags cut short", "\x00\x12\x00\x03\x00\x00\x00\x01\x00\x01x\x02\x00", "ApiVersions v3 (key 18), correlation id 1, client id \"x\", request header v2: at frame offset 0xf in tagged fields: 2 tagged fields cannot fit in 1 byte"},
	}
	for _, tt := range tests {
		frame := append(binary.BigEndian.AppendUint32(nil, uint32(len(tt.body))), tt.body...)
		out := traceOf(dumpsOf("a", dumped{kafkadebug.Request, frame}))
		line, _, _ := strings.Cut(out, "\n")
		if _, desc, _ := strings.Cut(line, "bytes: "); !strings.HasPrefix(desc, tt.want) {
			t.Errorf("%s: %q, want it to start %q", tt.name, desc, tt.want)
		}
	}
}

func TestLongLinesAreSkipped(t *testing.T) {
	var out bytes.Buffer
	tr := newTracer(&out, view{}, "test.log", fileLines("test.log"))
	tr.feed(make([]byte, maxLineLength+1))
	tr.finish()
	if !strings.Contains(out.String(), "! test.log line 1: line longer than") {
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
	tr := newTracer(&out, view{}, "test.log", fileLines("test.log"))
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
