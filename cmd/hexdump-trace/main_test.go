package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func runForTest(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string // in standard error
	}{
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
		{[]string{"-n", "x"}, "invalid value"},
		{[]string{"-n", "3"}, "-n only apply with -broker or -embedded"},
		{[]string{"-api", "metadata", "x.log"}, "-api only apply with -broker or -embedded"},
		{[]string{"-embedded", "-broker", "127.0.0.1:9092"}, "exclude each other"},
		{[]string{"-embedded", "x.log"}, "cannot be read during a live exchange"},
		{[]string{"-embedded", "-n", "0"}, "need at least one request"},
		{[]string{"-embedded", "-timeout", "-1s"}, "must be positive"},
		{[]string{"-embedded", "-api", "produce"}, "want apiversions or metadata"},
		{[]string{"-embedded", "-api", "metadata", "-api-version", "9"}, "can only be version 1"},
		{[]string{"-embedded", "-api-version", "4"}, "version 0 to 3"},
		{[]string{"-broker", "127.0.0.1"}, "missing port"},
		{[]string{"-broker", "127.0.0.1:70000"}, "port must be a number from 1 to 65535"},
		{[]string{"-broker", ":9092"}, "missing host"},
		{[]string{"-broker", "::1:9092"}, "too many colons"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runForTest(tt.args...)
		if code != exitUsage {
			t.Errorf("%q: exit status %d, want %d", tt.args, code, exitUsage)
		}
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: standard error %q lacks %q", tt.args, stderr, tt.want)
		}
		if stdout != "" {
			t.Errorf("%q: wrote to standard output: %q", tt.args, stdout)
		}
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	code, _, stderr := runForTest("-h")
	if code != exitOK {
		t.Fatalf("-h: exit status %d, want 0", code)
	}
	for _, flag := range []string{"-broker", "-embedded", "-api", "-api-version", "-n", "-client-id", "-topics", "-timeout", "-raw", "-events", "-fields", "-json", "-html", "-hex", "Exit status"} {
		if !strings.Contains(stderr, flag) {
			t.Errorf("-h output lacks %s:\n%s", flag, stderr)
		}
	}
}

func TestSeveralFilesAreTracedApart(t *testing.T) {
	a := filepath.Join(testdataDir, "metadata.log")
	b := filepath.Join(testdataDir, "apiversions.log")
	code, stdout, stderr := runForTest(a, b)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit status %d, stderr %q", code, stderr)
	}
	if strings.Count(stdout, "summary:") != 2 || !strings.Contains(stdout, "== "+a+" ==\n") || !strings.Contains(stdout, "\n== "+b+" ==\n") {
		t.Fatalf("want one section and summary per file, got:\n%s", stdout)
	}
}

func TestMissingFileExitsOneAndGoesOn(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.log")
	code, stdout, stderr := runForTest(missing, filepath.Join(testdataDir, "metadata.log"))
	if code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr, "missing.log") {
		t.Errorf("standard error %q does not name the missing file", stderr)
	}
	if !strings.Contains(stdout, "Metadata v1 (key 3)") {
		t.Errorf("the readable file was not traced:\n%s", stdout)
	}
}

func TestOutputFlagErrors(t *testing.T) {
	code, stdout, stderr := runForTest("-fields", "some", filepath.Join(testdataDir, "metadata.log"))
	if code != exitUsage || !strings.Contains(stderr, `-fields "some": want all, top or none`) || stdout != "" {
		t.Errorf("-fields some: exit status %d, stderr %q, stdout %q", code, stderr, stdout)
	}
	page := filepath.Join(t.TempDir(), "no", "such", "dir", "trace.html")
	code, stdout, stderr = runForTest("-html", page, filepath.Join(testdataDir, "metadata.log"))
	if code != exitFailed || !strings.Contains(stderr, "writing the page") || !strings.Contains(stdout, "summary: ") {
		t.Errorf("-html into a missing directory: exit status %d, stderr %q", code, stderr)
	}
}

// frameLine is the first line of a frame in the default output.
var frameLine = regexp.MustCompile(`^#\d+ (\d\d:\d\d:\d\d\.\d{6} )?(request from \S+ to broker \S+|request to broker \S+|response from broker \S+ to \S+|response from broker \S+)( \(log fields [^)]*\))?, \d+ bytes?: `)

// TestDefaultOutputNeedsNoLog checks issue 11's item 7 on every golden of
// the default form: no line points into the raw log without naming it, a
// frame line names the local address and the broker as such, and nothing
// says "conn=".
func TestDefaultOutputNeedsNoLog(t *testing.T) {
	for _, tc := range goldenCases {
		if slices.Contains(tc.args, "-json") {
			continue
		}
		want, err := os.ReadFile(filepath.Join(testdataDir, tc.golden+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(testdataDir, tc.log)
		for i, line := range strings.Split(string(want), "\n") {
			where := fmt.Sprintf("%s.golden line %d: %q", tc.golden, i+1, line)
			switch {
			case strings.Contains(line, "conn="):
				t.Errorf("%s says conn=", where)
			case strings.HasPrefix(line, "#") && !frameLine.MatchString(line):
				t.Errorf("%s is not a frame line that says what it is", where)
			case strings.HasPrefix(line, "!") && !strings.HasPrefix(line, "! "+log+" line "):
				t.Errorf("%s does not name the log it points into", where)
			case regexp.MustCompile(`(^|[^a-z.])line \d`).MatchString(line) && !strings.Contains(line, log+" line "):
				t.Errorf("%s mentions a line of a log it does not name", where)
			}
		}
	}
}
