package framesrv

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv marks a process started by Start as the server.
const childEnv = "KAFKAIO_FRAMESRV_CHILD"

// AddrEnv and TLSAddrEnv name a running server for Start and StartTLS to
// use instead of starting one.
const (
	AddrEnv    = "FRAMESRV_ADDR"
	TLSAddrEnv = "FRAMESRV_TLS_ADDR"
)

const (
	// startTimeout bounds how long Start waits for the child's address;
	// a race-instrumented binary on a loaded machine can take seconds.
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long cleanup waits for the child to exit
	// after closing its stdin, before it kills it.
	stopTimeout = 10 * time.Second
)

// RunIfChild turns a process started by Start into the server: it serves on
// a loopback port until its parent goes away, then exits. In any other
// process it returns at once. Call it first thing in TestMain, before
// m.Run.
func RunIfChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	if err := runChild(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "framesrv:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild listens on 127.0.0.1, tells the parent the address on stdout,
// and serves until stdin reaches EOF: the parent closed it, or died. With
// a certificate and key in its environment (StartTLS) it serves TLS.
func runChild(stdin io.Reader, stdout io.Writer) error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if certPEM := os.Getenv(tlsCertEnv); certPEM != "" {
		cert, err := tls.X509KeyPair([]byte(certPEM), []byte(os.Getenv(tlsKeyEnv)))
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	if _, err := fmt.Fprintln(stdout, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		ln.Close()
	}()
	s := Server{ErrorLog: log.New(os.Stderr, "framesrv: ", 0)}
	return s.Serve(ln)
}

// Start runs the server in a child process, a copy of the running test
// binary, and returns its "127.0.0.1:port" address. The child is stopped by
// tb.Cleanup and is killed by the kernel if this process dies first
// (Pdeathsig). The test binary's TestMain must call RunIfChild; without it
// the child runs no test, exits, and Start fails saying so.
//
// With FRAMESRV_ADDR set, Start starts nothing and returns that address
// instead: a server started by hand (KAFKAIO_FRAMESRV_CHILD=1 and a test
// binary that calls RunIfChild; it serves until its stdin closes), so that
// a tool such as strace can watch the client process alone.
func Start(tb testing.TB) string {
	tb.Helper()
	return start(tb, AddrEnv)
}

// StartTLS is Start for a server that speaks TLS with the given
// certificate and key (PEM), handed to the child in its environment.
//
// With FRAMESRV_TLS_ADDR set, StartTLS returns that address instead, as
// Start does with FRAMESRV_ADDR.
func StartTLS(tb testing.TB, certPEM, keyPEM []byte) string {
	tb.Helper()
	return start(tb, TLSAddrEnv, tlsCertEnv+"="+string(certPEM), tlsKeyEnv+"="+string(keyPEM))
}

// start is Start and StartTLS: the address in addrEnv if it is set, or a
// child started with env added to its environment and stopped by
// tb.Cleanup.
func start(tb testing.TB, addrEnv string, env ...string) string {
	tb.Helper()
	if addr := os.Getenv(addrEnv); addr != "" {
		return addr
	}
	ch, err := startChild(env...)
	if err != nil {
		tb.Fatalf("framesrv: %v", err)
	}
	tb.Cleanup(func() {
		if err := ch.stop(); err != nil {
			tb.Errorf("framesrv: %v", err)
		}
	})
	return ch.addr
}

// The environment that carries a TLS server's certificate and key.
const (
	tlsCertEnv = "KAFKAIO_FRAMESRV_TLS_CERT"
	tlsKeyEnv  = "KAFKAIO_FRAMESRV_TLS_KEY"
)

// child is a running server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.Closer // closing it tells the child to exit
	addr  string
}

// startChild starts the server process and waits for its address. On
// failure no process is left behind.
func startChild(env ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// -test.run=^$ makes a binary that lacks RunIfChild exit at once
	// instead of running its tests in a loop of children.
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	cmd.Stderr = os.Stderr
	// Pdeathsig is delivered when the thread that started the child exits;
	// Go never ends a thread it did not lock, so in practice that is when
	// this process dies. The stdin EOF covers the rest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		stdin.Close()
		stdout.Close()
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	ch := &child{cmd: cmd, stdin: stdin}
	if ch.addr, err = firstLine(stdout); err != nil {
		_ = cmd.Process.Kill()
		_ = ch.stop()
		return nil, fmt.Errorf("child did not report its address (does TestMain call framesrv.RunIfChild?): %w", err)
	}
	return ch, nil
}

// firstLine reads the first line a child writes: the server's address.
func firstLine(stdout io.Reader) (string, error) {
	if f, ok := stdout.(*os.File); ok {
		if err := f.SetReadDeadline(time.Now().Add(startTimeout)); err != nil {
			return "", err
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// stop closes the child's stdin, which makes it exit, and waits for it; a
// child that does not exit in time is killed. An exit other than the clean
// one is an error: the server failed while it was being used.
func (ch *child) stop() error {
	ch.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- ch.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("child %d: %w", ch.cmd.Process.Pid, err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = ch.cmd.Process.Kill()
		err := <-done
		return fmt.Errorf("child %d did not exit within %v of its stdin closing; killed (%v)", ch.cmd.Process.Pid, stopTimeout, err)
	}
}
