package kafkaclients

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// The broker the benchmarks talk to: kfake in a child process, started by
// re-executing the test binary, as internal/framesrv runs its server.

// childEnv marks a process started by startBroker as the broker.
const childEnv = "KAFKAIO_KFAKE_CHILD"

// benchTopic is the broker's one topic, with one partition: every produce
// goes to one leader over one connection.
const benchTopic = "bench"

const (
	// childTimeout bounds the child's start and its exit.
	childTimeout = 30 * time.Second
)

// runBrokerIfChild turns a process started by startBroker into the broker:
// it serves until its stdin reaches EOF, then exits. In any other process it
// returns at once. TestMain calls it first.
func runBrokerIfChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, benchTopic), kfake.BlackholeProduce())
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake child:", err)
		os.Exit(1)
	}
	fmt.Println(c.ListenAddrs()[0])
	_, _ = io.Copy(io.Discard, os.Stdin)
	c.Close()
	os.Exit(0)
}

// startBroker runs the broker in a child process and returns its address;
// the child is stopped by tb.Cleanup and killed if this process dies first.
func startBroker(tb testing.TB) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stop := func() error {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(childTimeout):
			_ = cmd.Process.Kill()
			return fmt.Errorf("kfake child %d did not exit within %v; killed (%v)", cmd.Process.Pid, childTimeout, <-done)
		}
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			_ = cmd.Process.Kill()
			tb.Fatalf("kfake child: no address (%v)", stop())
		}
		tb.Cleanup(func() {
			if err := stop(); err != nil {
				tb.Errorf("kfake child: %v", err)
			}
		})
		return a
	case <-time.After(childTimeout):
		_ = cmd.Process.Kill()
		tb.Fatalf("kfake child: no address within %v (%v)", childTimeout, stop())
		return ""
	}
}
