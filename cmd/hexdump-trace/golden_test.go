package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected traces in testdata/hexdump-trace")

// goldenCases pair a recorded log with the trace expected from it.
var goldenCases = []struct {
	golden string // testdata/hexdump-trace/<golden>.golden
	log    string
	args   []string
}{
	{"apiversions", "apiversions.log", nil},
	{"apiversions.nohex", "apiversions.log", []string{"-hex", "0"}},
	{"metadata", "metadata.log", nil},
	{"metadata.events", "metadata.log", []string{"-events"}},
	{"interleaved", "interleaved.log", nil},
	{"garbage", "garbage.log", nil},
	{"produce", "produce.log", nil},
	{"fetch", "fetch.log", nil},
	{"fetch.top", "fetch.log", []string{"-fields", "top", "-hex", "0"}},
	{"fetch.json", "fetch.log", []string{"-json"}},
	{"group", "group.log", []string{"-hex", "0"}},
	{"sasl", "sasl.log", nil},
	{"sasl-redacted", "sasl-redacted.log", nil},
	{"sasl-redacted.json", "sasl-redacted.log", []string{"-json"}},
	{"sasl-scram", "sasl-scram.log", []string{"-hex", "16"}},
	{"franz-go", "franz-go.log", []string{"-hex", "0"}},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append([]string(nil), tc.args...), filepath.Join(testdataDir, tc.log))
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit status %d, stderr %q", code, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("unexpected standard error: %q", stderr.String())
			}
			path := filepath.Join(testdataDir, tc.golden+".golden")
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := stdout.String(); got != string(want) {
				t.Errorf("trace of %s differs from %s:\n%s", tc.log, path, lineDiff(string(want), got))
			}
		})
	}
}

// TestGoldenFromStandardInput reads a log from standard input, as a pipe
// from a running program would deliver it, and expects the same trace.
func TestGoldenFromStandardInput(t *testing.T) {
	in, err := os.ReadFile(filepath.Join(testdataDir, "interleaved.log"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(testdataDir, "interleaved.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, bytes.NewReader(in), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	if stdout.String() != string(want) {
		t.Errorf("trace from standard input differs:\n%s", lineDiff(string(want), stdout.String()))
	}
}

// lineDiff shows the first differing line of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "first difference at line " + strconv.Itoa(i+1) + ":\nwant: " + wl + "\ngot:  " + gl
		}
	}
	return "(no line differs)"
}
