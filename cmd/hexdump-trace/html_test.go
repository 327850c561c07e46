package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var screenshotFlag = flag.String("screenshot", "", "also save the headless browser's screenshot of the -html page to `FILE`")

// chromium finds Debian's headless-capable browser. Without it the test
// skips, saying so, except under CI=true, where .ci/run installs it and its
// absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): the -html page was not checked in a browser")
	return ""
}

// browse runs headless chromium on a file with extra arguments and returns
// its standard output.
func browse(t *testing.T, browser, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, browser, append(all, "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestHTMLPageInABrowser writes the -html page of three logs, has headless
// chromium run its script, and checks in the resulting DOM that the
// timeline was drawn (a bar per request), that decoded fields and the
// summary are there, and that the page fetches nothing.
func TestHTMLPageInABrowser(t *testing.T) {
	browser := chromium(t)
	page := filepath.Join(t.TempDir(), "trace.html")
	logs := []string{"group.log", "fetch.log", "sasl-redacted.log"}
	args := []string{"-html", page}
	for _, l := range logs {
		args = append(args, filepath.Join(testdataDir, l))
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: no element loads anything, and the page's policy
	// forbids it anyway.
	if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]*(src|href)=`).Find(raw); m != nil {
		t.Errorf("the page loads something: %s", m)
	}
	if !bytes.Contains(raw, []byte(`content="default-src 'none';`)) {
		t.Error("the page lacks its Content-Security-Policy")
	}

	dom := string(browse(t, browser, page, "--dump-dom"))
	if !strings.Contains(dom, `data-rendered="yes"`) {
		t.Fatalf("the page's script did not finish:\n%.2000s", dom)
	}
	if got := strings.Count(dom, `<svg class="timeline"`); got != len(logs) {
		t.Errorf("%d timelines, want one per log (%d)", got, len(logs))
	}
	// group.log has 13 requests, fetch.log 4, sasl-redacted.log 4.
	if got := strings.Count(dom, `<rect class="bar`); got != 21 {
		t.Errorf("%d request bars in the timelines, want 21", got)
	}
	for _, want := range []string{
		`data-api="JoinGroup"`,                     // a bar and a frame named by API
		"ErrorCode: MEMBER_ID_REQUIRED (79)",       // a decoded field
		`offset 8: key "key-zstd", value 40 bytes`, // a record inside a zstd batch
		"SaslAuthenticate v2, correlation id 2, answers #3 after 250µs, 94 bytes of SASL data redacted in the log",
		"</span>OffsetCommit</td>", // the summary per API
	} {
		if !strings.Contains(dom, strings.ReplaceAll(want, `"`, "&quot;")) && !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}

	shot := *screenshotFlag
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "trace.png")
	}
	browse(t, browser, page, "--window-size=1280,1600", "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 20000 {
		t.Errorf("no screenshot worth the name (%d bytes, %v)", len(png), err)
	}
}
