package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"golang.org/x/sys/unix"
)

const (
	// blockedConns is how many connections wait in a Receive at once.
	blockedConns = 1000
	// maxThreads is the most OS threads the process may have meanwhile: a
	// thread per waiting call would be a thousand.
	maxThreads = 20
	// blockedTimeout is each Receive's budget; it must outlast the test,
	// so that every Receive ends by Close and not by its deadline.
	blockedTimeout = 10 * time.Minute
	// settleTimeout bounds the waits for goroutines to park and to return;
	// generous, for a loaded machine under -race.
	settleTimeout = 60 * time.Second
)

// TestBlockedReceivesUseFewThreads parks 1000 Receives on connections to a
// peer that never answers and checks that the process still has at most 20
// OS threads: a waiting call must park its goroutine in the poller, not
// hold a thread in a blocking syscall. It then closes the connections and
// checks that every Receive returns NoConnection.
func TestBlockedReceivesUseFewThreads(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	ensureFDs(t, 2*blockedConns+100) // both ends of each connection live in this process
	peer := testpeer.Start(t, "tcp4", testpeer.Stall())

	conns := dialAll(t, peer, blockedConns)
	parkAndCount(t, conns, "Receives", receiveFrame, func(c *kafkaio.IO) error {
		_, err := c.Receive(4)
		return err
	})
}

// TestBlockedNetConnReadsUseFewThreads is the same for the net.Conn view
// (IO.NetConn) that Go Kafka clients read through: 1000 Reads waiting
// without a deadline park in the poller, and Close ends each of them.
func TestBlockedNetConnReadsUseFewThreads(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	ensureFDs(t, 2*blockedConns+100)
	peer := testpeer.Start(t, "tcp4", testpeer.Stall())

	conns := dialAll(t, peer, blockedConns)
	parkAndCount(t, conns, "net.Conn Reads", viewRead, func(c *kafkaio.IO) error {
		_, err := c.NetConn().Read(make([]byte, 512))
		return err
	})
}

// parkAndCount runs wait on each connection in a goroutine of its own, waits
// until all of them are parked in the poller inside frame, checks that the
// process still has at most maxThreads OS threads, then closes the
// connections and checks that Close ended every wait.
func parkAndCount(t *testing.T, conns []*kafkaio.IO, what, frame string, wait func(*kafkaio.IO) error) {
	t.Helper()
	results := make(chan error, len(conns))
	for _, c := range conns {
		go func() { results <- wait(c) }()
	}
	parked, err := awaitParked(len(conns), frame)
	if err != nil {
		closeAll(conns)
		t.Fatal(err)
	}
	threads, err := osThreads()
	if err != nil {
		closeAll(conns)
		t.Fatal(err)
	}
	t.Logf("%d %s parked in the poller; the process has %d OS threads", parked, what, threads)
	if threads > maxThreads {
		t.Errorf("%d OS threads with %d blocked %s, want at most %d", threads, parked, what, maxThreads)
	}
	closeAll(conns)
	checkAllEndedByClose(t, results, len(conns))
}

// dialAll connects n kafkaio clients to peer; they are closed if the test
// stops early.
func dialAll(t *testing.T, peer *testpeer.Peer, n int) []*kafkaio.IO {
	t.Helper()
	conns := make([]*kafkaio.IO, 0, n)
	t.Cleanup(func() { closeAll(conns) })
	for range n {
		c, err := kafkaio.New(kafkaio.Config{Host: peer.Host(), Port: peer.Port(), Timeout: blockedTimeout})
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	return conns
}

func closeAll(conns []*kafkaio.IO) {
	for _, c := range conns {
		c.Close()
	}
}

// The functions on the stack of a waiting call, as the goroutine dump
// names them: a Receive, and a Read of the net.Conn view.
const (
	receiveFrame = "kafkaio.(*IO).receive("
	viewRead     = "kafkaio.(*netConn).Read("
)

// awaitParked waits until n goroutines are parked in the poller with frame
// on their stack, and returns how many are. Counting them in the goroutine
// dump proves the threads were counted while every call was waiting, not
// before some had started.
func awaitParked(n int, frame string) (int, error) {
	deadline := time.Now().Add(settleTimeout)
	for {
		parked := parkedCalls(frame)
		if parked >= n {
			return parked, nil
		}
		if time.Now().After(deadline) {
			return parked, fmt.Errorf("only %d of %d calls parked in the poller after %v", parked, n, settleTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parkedCalls counts the goroutines waiting in the network poller ("IO
// wait") with frame on their stack.
func parkedCalls(frame string) int {
	buf := make([]byte, 8<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "[IO wait") && strings.Contains(g, frame) {
			count++
		}
	}
	return count
}

// osThreads reads the process's thread count from /proc/self/status.
func osThreads() (int, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("no Threads: line in /proc/self/status")
}

// checkAllEndedByClose collects the n results of waiting calls and checks
// that each failed with NoConnection, the error of a call cut short by
// Close.
func checkAllEndedByClose(t *testing.T, results <-chan error, n int) {
	t.Helper()
	timeout := time.After(settleTimeout)
	for i := range n {
		select {
		case err := <-results:
			if !errors.Is(err, kafkaerr.NoConnection) {
				t.Errorf("a call ended by Close = %v, want NoConnection", err)
			}
		case <-timeout:
			t.Fatalf("%d of %d calls still blocked %v after Close", n-i, n, settleTimeout)
		}
	}
}

// ensureFDs raises the soft limit on open files to the hard limit if it is
// below need, restoring it afterwards, and skips the test when even the
// hard limit is too low.
func ensureFDs(t *testing.T, need uint64) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= need {
		return
	}
	if lim.Max < need {
		t.Skipf("needs %d open files but RLIMIT_NOFILE's hard limit is %d; raise it (ulimit -Hn) to run this test", need, lim.Max)
	}
	saved := lim
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &saved) })
}
