package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// apiVersionsV0 is an ApiVersions v0 request, correlation id 1, client "test".
var apiVersionsV0 = []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}

var testTime = time.Date(2025, 11, 21, 19, 27, 0, 123456000, time.UTC)

// clockHook stamps entries from a fake clock that starts at testTime and
// advances by step per entry, so logs written in tests are reproducible.
// logrus fires hooks outside its lock, so the clock has its own.
type clockHook struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (*clockHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h *clockHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.Time = h.now
	h.now = h.now.Add(h.step)
	return nil
}

// logWith returns what fn logs through a logger using f.
func logWith(f logrus.Formatter, fn func(log *logrus.Logger)) string {
	var buf bytes.Buffer
	log := logrus.New()
	log.SetOutput(&buf)
	log.SetFormatter(f)
	log.AddHook(&clockHook{now: testTime, step: time.Millisecond})
	fn(log)
	return buf.String()
}

// TestParseLineReadsEveryLayout dumps one request through each logger layout
// the tool claims to read and checks every line comes back the same.
func TestParseLineReadsEveryLayout(t *testing.T) {
	layouts := []struct {
		name     string
		f        logrus.Formatter
		hasTime  bool
		hasField bool
	}{
		{"kafkadebug", kafkadebug.Formatter{}, true, true},
		{"text", &logrus.TextFormatter{DisableColors: true, TimestampFormat: time.RFC3339Nano}, true, true},
		{"text default timestamp", &logrus.TextFormatter{DisableColors: true}, true, true},
		{"text terminal", &logrus.TextFormatter{ForceColors: true}, false, true},
		{"text terminal full time", &logrus.TextFormatter{ForceColors: true, FullTimestamp: true, TimestampFormat: time.RFC3339Nano}, true, true},
		{"text terminal no time", &logrus.TextFormatter{ForceColors: true, DisableTimestamp: true}, false, true},
		{"json", &logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano}, true, true},
	}
	wantMsgs := []string{
		"# Request to [::1]:9092",
		"# Hex Stream: 0000000e0012000000000001000474657374",
		"00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|",
		"00000010  73 74                                             |st|",
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			out := logWith(l.f, func(log *logrus.Logger) {
				kafkadebug.Dump(log.WithFields(logrus.Fields{"conn": "[::1]:50712", "note": "a b"}), kafkadebug.Request, "[::1]:9092", apiVersionsV0)
			})
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(wantMsgs) {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			for i, line := range lines {
				r := parseLine(i+1, line)
				if strings.TrimSpace(r.msg) != strings.TrimSpace(wantMsgs[i]) {
					t.Errorf("line %d: msg %q, want %q", i+1, r.msg, wantMsgs[i])
				}
				if want := `conn="[::1]:50712" note="a b"`; l.hasField && r.writer != want {
					t.Errorf("line %d: writer %q, want %q", i+1, r.writer, want)
				}
				wantTime := testTime.Add(time.Duration(i) * time.Millisecond)
				if l.name == "text default timestamp" {
					wantTime = wantTime.Truncate(time.Second)
				}
				if l.hasTime && !r.time.Equal(wantTime) {
					t.Errorf("line %d: time %v, want %v", i+1, r.time, wantTime)
				}
				if !l.hasTime && !r.time.IsZero() {
					t.Errorf("line %d: time %v from a layout without timestamps", i+1, r.time)
				}
			}
		})
	}
}

func TestParseLineBareAndGarbage(t *testing.T) {
	tests := []struct{ line, msg, writer string }{
		{"# Hex Stream: 00", "# Hex Stream: 00", ""},
		{"   # Response from h:1\r", "# Response from h:1", ""},
		{`{"msg": 5}`, `{"msg": 5}`, ""},
		{`{"msg":"# Hex Stream: 00","time":"x","n":1.5,"t":true}`, "# Hex Stream: 00", "n=1.5 t=true"},
		{`time="2025-11-21T19:27:00Z" level=info msg="unterminated`, `time="2025-11-21T19:27:00Z" level=info msg="unterminated`, ""},
		{"2025-11-21T19:27:00.1Z INFO [k=\"v] # x", "[k=\"v] # x", ""},
		{"2025-11-21T19:27:00.1Z INFO [] [bracketed]", "[bracketed]", ""},
		{"\x1b[36mINFO\x1b[0m[0000] hello                                        \x1b[36mconn\x1b[0m=a", "hello", "conn=a"},
		{"", "", ""},
	}
	for _, tt := range tests {
		r := parseLine(7, tt.line)
		if r.msg != tt.msg || r.writer != tt.writer || r.line != 7 {
			t.Errorf("parseLine(%q) = msg %q writer %q line %d; want msg %q writer %q", tt.line, r.msg, r.writer, r.line, tt.msg, tt.writer)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		msg  string
		want dumpLine
	}{
		{"# Request to 127.0.0.1:9092", dumpLine{kind: headerLine, dir: toBroker, addr: "127.0.0.1:9092"}},
		{"# Response from [::1]:9092 extra", dumpLine{kind: headerLine, dir: fromBroker, addr: "[::1]:9092"}},
		{"# Hex Stream: ", dumpLine{kind: hexLine}},
		{"# Hex Stream: 00ff", dumpLine{kind: hexLine, hex: "00ff"}},
		{"00000010  73 74                                             |st|", dumpLine{kind: rowLine, row: tableRow{offset: 16, data: []byte("st")}}},
		{"00000010  73 74                                             |sX|", dumpLine{kind: brokenRowLine}},
		{"00000010  73 74 7", dumpLine{kind: brokenRowLine}},
		{"00000010  73 74 zz |st.|", dumpLine{kind: brokenRowLine}},
		{"connected", dumpLine{kind: otherLine}},
		{"0000001  73", dumpLine{kind: otherLine}},
	}
	for _, tt := range tests {
		got := classify(tt.msg)
		if got.kind != tt.want.kind || got.dir != tt.want.dir || got.addr != tt.want.addr || got.hex != tt.want.hex ||
			got.row.offset != tt.want.row.offset || !bytes.Equal(got.row.data, tt.want.row.data) {
			t.Errorf("classify(%q) = %+v, want %+v", tt.msg, got, tt.want)
		}
	}
}

func TestDecodeHex(t *testing.T) {
	tests := []struct {
		in, problem string
		want        []byte
	}{
		{"", "", []byte{}},
		{"00FFab", "", []byte{0, 0xff, 0xab}},
		{"00f", "hex stream has an odd number of digits (3)", []byte{0}},
		{"00fg11", `hex stream has a non-hex character 'g' at digit 4`, []byte{0}},
		{"00 11", `hex stream has a non-hex character ' ' at digit 3`, []byte{0}},
	}
	for _, tt := range tests {
		got, problem := decodeHex(tt.in)
		if !bytes.Equal(got, tt.want) || problem != tt.problem {
			t.Errorf("decodeHex(%q) = %x, %q; want %x, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

// TestHexStreamPrefixMatchesTheWriter keeps the parser's tolerant prefix in
// step with the one kafkadebug writes.
func TestHexStreamPrefixMatchesTheWriter(t *testing.T) {
	if got := strings.TrimSpace(kafkadebug.HexStreamPrefix); got != hexStreamPrefix {
		t.Errorf("kafkadebug writes %q, the parser looks for %q", kafkadebug.HexStreamPrefix, hexStreamPrefix)
	}
}
