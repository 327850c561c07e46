package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// TestEmbeddedEndToEnd is the README's first command: it must start a broker,
// exchange ApiVersions, and print a trace matching every response to its
// request, leaving nothing running.
func TestEmbeddedEndToEnd(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-embedded", "-n", "3"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q, stdout:\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for i := 1; i <= 3; i++ {
		req := fmt.Sprintf("#%d ", 2*i-1)
		wantReq := fmt.Sprintf("ApiVersions v0 (key 18), correlation id %d, client id \"hexdump-trace\"", i)
		wantResp := fmt.Sprintf("ApiVersions v0, correlation id %d, answers #%d after ", i, 2*i-1)
		if !strings.Contains(out, wantReq) || !strings.Contains(out, wantResp) || !strings.Contains(out, req) {
			t.Errorf("exchange %d missing from the trace:\n%s", i, out)
		}
	}
	for _, want := range []string{"summary: 6 frames (3 requests, 3 responses) on 1 connection, 0 problems", "requests never answered: 0", "responses answering no request in the log: 0", "    ErrorCode: NONE (0)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

func startCluster(t *testing.T) string {
	t.Helper()
	c, err := embedded.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.Addrs()[0]
}

func TestBrokerMetadataWithRawLog(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	addr := startCluster(t)
	var stdout, stderr bytes.Buffer
	args := []string{"-broker", addr, "-api", "metadata", "-topics", "a,b", "-client-id", "me", "-raw", "-events"}
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{" to broker " + addr, `Metadata v1 (key 3), correlation id 1, client id "me"`, "Metadata v1, correlation id 1, answers #1", "to broker " + addr + ": connected (fields: ", "to broker " + addr + ": closed"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	// -raw copies the log itself, which the trace was made from.
	if !strings.Contains(stderr.String(), "# Request to "+addr) || !strings.Contains(stderr.String(), "# Hex Stream: ") {
		t.Errorf("-raw did not copy the debug log to standard error:\n%s", stderr.String())
	}
}

func TestRefusedConnectionExitsOne(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: the connect is refused
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-broker", addr, "-timeout", "5s"}, nil, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit status %d, want %d; stderr %q", code, exitFailed, stderr.String())
	}
	if !strings.Contains(stderr.String(), "hexdump-trace: ") || !strings.Contains(stdout.String(), "summary: 0 frames") {
		t.Errorf("want the error on standard error and an empty summary; stderr %q stdout %q", stderr.String(), stdout.String())
	}
}

// TestBrokerHangingUpExitsOneWithTheTrace uses a peer that reads the request
// and closes: the exchange fails, and the trace shows the request unanswered.
func TestBrokerHangingUpExitsOneWithTheTrace(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.ReadFull(c, make([]byte, 27)) // the ApiVersions v0 request
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-broker", l.Addr().String()}, nil, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit status %d, want %d; stderr %q", code, exitFailed, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"ApiVersions v0 (key 18), correlation id 1", "requests never answered: 1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	// EOF before the first byte of the response is kafkaio's "No connection".
	if !strings.Contains(stderr.String(), "No connection") {
		t.Errorf("standard error does not say the connection was lost: %q", stderr.String())
	}
}

// TestEmbeddedJSONAndPage runs a live exchange with -json and -html: the
// JSON objects arrive on standard output as the frames happen, and the page
// is written when the exchange ends.
func TestEmbeddedJSONAndPage(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	page := filepath.Join(t.TempDir(), "live.html")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-embedded", "-n", "2", "-api", "metadata", "-json", "-html", page}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if strings.HasPrefix(line, "embedded broker listening on ") {
			continue
		}
		var o struct {
			Kind string `json:"kind"`
			API  string `json:"api"`
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("not a JSON object: %q", line)
		}
		kinds[o.Kind]++
		if o.Kind == "frame" && o.API != "Metadata" {
			t.Errorf("frame of %q, want Metadata", o.API)
		}
	}
	if kinds["frame"] != 4 || kinds["summary"] != 1 {
		t.Errorf("kinds %v, want 4 frames and a summary", kinds)
	}
	html, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(html, []byte(`"api":"Metadata"`)) {
		t.Errorf("page: %v, %d bytes", err, len(html))
	}
}
