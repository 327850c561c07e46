package main

import (
	"bytes"
	"context"
	"path/filepath"
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
	for _, flag := range []string{"-broker", "-embedded", "-api", "-api-version", "-n", "-client-id", "-topics", "-timeout", "-raw", "-events", "Exit status"} {
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
