package framesrv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	RunIfChild()
	if os.Getenv(middleEnv) == "1" {
		os.Exit(runMiddle())
	}
	os.Exit(m.Run())
}

// middleEnv makes the test binary a parent of a server child that prints
// the child's pid and waits to be killed: TestChildDiesWithItsParent.
const middleEnv = "KAFKAIO_FRAMESRV_TEST_MIDDLE"

func runMiddle() int {
	ch, err := startChild()
	if err != nil {
		fmt.Fprintln(os.Stderr, "middle:", err)
		return 1
	}
	fmt.Println(ch.cmd.Process.Pid)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test closes it, or kills us
	if err := ch.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "middle:", err)
		return 1
	}
	return 0
}

// ioTimeout bounds every exchange with the server, so that a broken server
// fails the test instead of hanging it.
const ioTimeout = 10 * time.Second

// serveInProcess runs Serve on a loopback listener until the test ends.
func serveInProcess(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil after the listener closed", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatal(err)
	}
	return c
}

// readResponse reads one response frame and returns its size on the wire
// and its correlation id.
func readResponse(t *testing.T, r io.Reader) (int, int32) {
	t.Helper()
	var prefix [4]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		t.Fatalf("reading a response size: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(prefix[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatalf("reading a response body of %d bytes: %v", len(body), err)
	}
	id, ok := ResponseCorrelationID(body)
	if !ok {
		t.Fatalf("response body of %d bytes has no correlation id", len(body))
	}
	return 4 + len(body), id
}

func TestServeAnswersEachRequestWithItsSizeAndID(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	c := dial(t, serveInProcess(t))
	cases := []struct{ req, resp int }{
		{MinRequestBytes, MinResponseBytes},
		{64, 64},
		{64, 1 << 20},
		{1 << 20, 100},
		{100, 64},
	}
	// Pipelined: every request is written before any response is read, so
	// the order of the answers is checked too.
	for i, tc := range cases {
		req := NewRequest(tc.req, tc.resp)
		SetCorrelationID(req, int32(1000+i))
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range cases {
		size, id := readResponse(t, c)
		if size != tc.resp || id != int32(1000+i) {
			t.Errorf("response %d = %d bytes, id %d; want %d bytes, id %d", i, size, id, tc.resp, 1000+i)
		}
	}
}

func TestServeSendsNothingForResponseSizeZero(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	c := dial(t, serveInProcess(t))
	for id, resp := range []int{0, 0, 64} {
		req := NewRequest(1<<16, resp)
		SetCorrelationID(req, int32(id))
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
	}
	if size, id := readResponse(t, c); size != 64 || id != 2 {
		t.Fatalf("first response = %d bytes, id %d; want 64 bytes, id 2 (the send-only requests get none)", size, id)
	}
}

func TestServeClosesAConnectionOnAMalformedRequest(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	addr := serveInProcess(t)
	cases := map[string][]byte{
		"body under the header": {0, 0, 0, 3, 1, 2, 3},
		"negative size":         {0xff, 0xff, 0xff, 0xff},
		"response size 5":       NewRequest(MinRequestBytes, 0),
	}
	binary.BigEndian.PutUint32(cases["response size 5"][4+offResponseSize:], 5)
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			n, err := c.Read(make([]byte, 1))
			if n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("Read after a malformed request = %d, %v; want EOF or reset", n, err)
			}
		})
	}
}

func TestServeClosesOpenConnectionsWhenTheListenerCloses(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(ln) }()
	c := dial(t, ln.Addr().String())
	// A round trip proves the server has accepted and tracks c.
	if _, err := c.Write(NewRequest(64, 64)); err != nil {
		t.Fatal(err)
	}
	readResponse(t, c)
	ln.Close()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("Read after Serve returned = %d, %v; want EOF: the server closed the connection", n, err)
	}
}

func TestNewRequestRefusesSizesTheServerWouldRefuse(t *testing.T) {
	for _, tc := range []struct{ req, resp int }{
		{MinRequestBytes - 1, 64},
		{MaxFrameBytes + 1, 64},
		{64, MinResponseBytes - 1},
		{64, MaxFrameBytes + 1},
		{64, -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRequest(%d, %d) did not panic", tc.req, tc.resp)
				}
			}()
			NewRequest(tc.req, tc.resp)
		}()
	}
}

func TestRunChildServesUntilStdinCloses(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runChild(stdinR, stdoutW) }()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, strings.TrimSpace(line))
	if _, err := c.Write(NewRequest(64, 64)); err != nil {
		t.Fatal(err)
	}
	readResponse(t, c)
	stdinW.Close() // the parent going away
	if err := <-done; err != nil {
		t.Fatalf("runChild = %v, want nil once stdin is closed", err)
	}
}

func TestStartRunsTheServerInAChildProcessAndStopsIt(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	var addr string
	t.Run("running", func(t *testing.T) {
		addr = Start(t)
		c := dial(t, addr)
		req := NewRequest(64, 1<<20)
		SetCorrelationID(req, 42)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if size, id := readResponse(t, c); size != 1<<20 || id != 42 {
			t.Fatalf("response = %d bytes, id %d; want %d bytes, id 42", size, id, 1<<20)
		}
	})
	// The subtest's cleanup stopped the child, so its port is closed.
	c, err := net.Dial("tcp4", addr)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded after the child was stopped", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s after the child was stopped = %v, want connection refused", addr, err)
	}
}

func TestChildDiesWithItsParent(t *testing.T) {
	// As a subreaper, this process inherits the server once its parent
	// dies, so the test can see it exit and reap it rather than leave a
	// zombie to pid 1.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	middle := exec.Command(exe, "-test.run=^$")
	middle.Env = append(os.Environ(), middleEnv+"=1")
	middle.Stderr = os.Stderr
	stdin, err := middle.StdinPipe() // held open: the middle must not exit on its own
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := middle.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := middle.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = middle.Process.Kill()
		_ = middle.Wait()
	})
	line, err := firstLine(stdout)
	if err != nil {
		t.Fatalf("reading the server's pid from the middle process: %v", err)
	}
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("middle process printed %q, want a pid", line)
	}
	if !alive(pid) {
		t.Fatalf("server %d is not running while its parent is", pid)
	}

	_ = middle.Process.Kill() // SIGKILL: none of its own cleanup runs
	_ = middle.Wait()
	if err := awaitExit(pid, ioTimeout); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = awaitExit(pid, ioTimeout)
		t.Fatalf("server %d after its parent was killed: %v", pid, err)
	}
}

// awaitExit waits up to timeout for pid, a child of this process, to exit,
// and reaps it.
func awaitExit(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("wait4: %w", err)
		case got == pid:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("still running after %v", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid is a running process: not gone, and not a
// zombie waiting for a reaper that may never come (pid 1 in a container).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}
