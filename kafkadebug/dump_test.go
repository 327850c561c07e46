package kafkadebug

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// apiVersionsV0 is an ApiVersions v0 request, correlation id 1, client "test".
var apiVersionsV0 = []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}

func TestAppendHexTable(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"one byte", []byte{'A'}, "00000000  41                                                |A|\n"},
		{"api versions", apiVersionsV0, "" +
			"00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|\n" +
			"00000010  73 74                                             |st|\n"},
		{"eight bytes", []byte("12345678"), "00000000  31 32 33 34 35 36 37 38                           |12345678|\n"},
		{"nine bytes", []byte("123456789"), "00000000  31 32 33 34 35 36 37 38  39                       |123456789|\n"},
		{"non-printable edges", []byte{0x1f, 0x20, 0x7e, 0x7f, 0xff}, "00000000  1f 20 7e 7f ff                                    |. ~..|\n"},
		{"exactly one row", all[0x30:0x40], "00000000  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  |0123456789:;<=>?|\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendHexTable([]byte("keep:"), tt.in))
			if got != "keep:"+tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, "keep:"+tt.want)
			}
		})
	}
	t.Run("all bytes", func(t *testing.T) {
		rows := strings.Split(strings.TrimSuffix(string(AppendHexTable(nil, all)), "\n"), "\n")
		if len(rows) != 16 {
			t.Fatalf("%d rows, want 16", len(rows))
		}
		for i, row := range rows {
			if want := fmt.Sprintf("%08x  ", i*16); !strings.HasPrefix(row, want) {
				t.Errorf("row %d = %q, want offset %q", i, row, want)
			}
			if len(row) != 8+2+49+1+18 {
				t.Errorf("row %d is %d characters wide", i, len(row))
			}
		}
	})
}

func TestAppendOffsetGrowsPast32Bits(t *testing.T) {
	for off, want := range map[int]string{0: "00000000", 0x10: "00000010", 0xffffffff: "ffffffff", 0x100000000: "100000000", 0x1234567890: "1234567890"} {
		if got := string(appendOffset(nil, off)); got != want {
			t.Errorf("appendOffset(%#x) = %q, want %q", off, got, want)
		}
	}
}

// fixedTimeHook stamps every entry with one instant so output can be compared.
type fixedTimeHook struct{ at time.Time }

func (fixedTimeHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h fixedTimeHook) Fire(e *logrus.Entry) error {
	e.Time = h.at
	return nil
}

func newTestLogger(out *syncBuffer, f logrus.Formatter) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(out)
	l.SetFormatter(f)
	l.AddHook(fixedTimeHook{time.Date(2025, 11, 21, 19, 27, 0, 123456000, time.UTC)})
	return l
}

func TestDumpWithDefaultFormatter(t *testing.T) {
	var out syncBuffer
	log := newTestLogger(&out, Formatter{}).WithField("conn", "127.0.0.1:50712")
	Dump(log, Request, "127.0.0.1:9092", apiVersionsV0)
	Dump(log, Response, "[::1]:9092", nil)
	want := "" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] # Request to 127.0.0.1:9092\n" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] # Hex Stream: 0000000e0012000000000001000474657374\n" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] 00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|\n" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] 00000010  73 74                                             |st|\n" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] # Response from [::1]:9092\n" +
		"2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] # Hex Stream: \n"
	if got := out.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDumpWithJSONFormatterKeepsEveryLine(t *testing.T) {
	var out syncBuffer
	Dump(newTestLogger(&out, &logrus.JSONFormatter{}), Response, "127.0.0.1:9092", apiVersionsV0)
	var msgs []string
	for line := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if m["level"] != "info" {
			t.Errorf("level %v, want info", m["level"])
		}
		msgs = append(msgs, m["msg"].(string))
	}
	want := []string{
		"# Response from 127.0.0.1:9092",
		"# Hex Stream: 0000000e0012000000000001000474657374",
		"00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|",
		"00000010  73 74                                             |st|",
	}
	if fmt.Sprint(msgs) != fmt.Sprint(want) {
		t.Fatalf("messages %q, want %q", msgs, want)
	}
}

// TestConcurrentDumpsDoNotInterleave dumps from many goroutines through the
// default logger and checks each dump's four lines arrive together.
func TestConcurrentDumpsDoNotInterleave(t *testing.T) {
	out := captureDefaultLogger(t)
	const writers, dumps = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := DefaultLogger().WithField("conn", fmt.Sprintf("w%d", w))
			for range dumps {
				Dump(log, Direction(w%2), "127.0.0.1:9092", apiVersionsV0)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != writers*dumps*4 {
		t.Fatalf("%d lines, want %d", len(lines), writers*dumps*4)
	}
	for i := 0; i < len(lines); i += 4 {
		conn := lines[i][strings.Index(lines[i], "[") : strings.Index(lines[i], "]")+1]
		if !strings.Contains(lines[i], "# Re") {
			t.Fatalf("line %d starts no dump: %q", i, lines[i])
		}
		for _, l := range lines[i+1 : i+4] {
			if !strings.Contains(l, conn) {
				t.Fatalf("dump at line %d interleaved with %q", i, l)
			}
		}
	}
}

func BenchmarkDump(b *testing.B) {
	log := logrus.New()
	log.SetOutput(&bytes.Buffer{})
	log.SetFormatter(Formatter{})
	msg := bytes.Repeat(apiVersionsV0, 8)
	b.ReportAllocs()
	for b.Loop() {
		Dump(log, Request, "127.0.0.1:9092", msg)
	}
}
