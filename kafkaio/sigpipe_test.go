package kafkaio_test

// SIGPIPE: a send(2) that fails with EPIPE also raises SIGPIPE unless it
// passes MSG_NOSIGNAL. A pure Go program ignores a SIGPIPE that no
// signal.Notify asked for (the runtime only dies of one raised by a write
// to standard output or error), so the failure would be invisible here; in
// a process that embeds kafkaio as a c-shared library, or one whose Go code
// has asked for SIGPIPE, the signal kills the process or reaches code that
// never wrote to a pipe. The test asks for SIGPIPE with signal.Notify, which
// makes the runtime deliver every SIGPIPE of the process to it, and drives
// a Send into EPIPE.

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// sigpipeQuiet is how long after the Send the test waits for a SIGPIPE
// that the runtime has not handed over yet. The signal is raised in the
// send(2) itself, so it is caught before Send returns; this only covers the
// runtime's delivery to the channel.
const sigpipeQuiet = 200 * time.Millisecond

func TestSendIntoEPIPERaisesNoSIGPIPE(t *testing.T) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGPIPE) // before the baseline: it starts the runtime's signal goroutine
	defer signal.Stop(sigs)              // SIGPIPE stays handled by the runtime, and ignored
	t.Cleanup(leakcheck.Verify(t))

	// A Send fails with EPIPE, rather than ECONNRESET, when the reset
	// reaches a socket whose peer had already sent FIN (CLOSE_WAIT): the
	// kernel records the reset as EPIPE. The peer reads the first 64 KiB,
	// sends FIN, waits for it to land, then resets, while the Send waits
	// for room in its full send buffer. The peer never writes a byte, so
	// no SIGPIPE can come from its side.
	const size = 16 * faultMiB
	p := testpeer.Start(t, "tcp4", testpeer.SetRecvBuffer(64*faultKiB), testpeer.Read(64*faultKiB),
		testpeer.FIN(), testpeer.Sleep(100*time.Millisecond), testpeer.Reset())
	c := connect(t, p, kafkaio.Config{SendBufferBytes: 64 * faultKiB, Timeout: faultPatience})

	n, err := c.Send(faultPayload(size))
	faultLogErr(t, err)
	e := wantErr(t, err, kafkaerr.CannotSend)
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("the Send did not end in EPIPE, so it says nothing about SIGPIPE: %v", err)
	}
	if n < 64*faultKiB || n >= size || e.Done != n {
		t.Errorf("Send = %d (Done %d), want the bytes the peer read or more, and fewer than %d", n, e.Done, size)
	}
	select {
	case sig := <-sigs:
		t.Fatalf("the Send that got EPIPE raised %v: MSG_NOSIGNAL is missing from send(2)", sig)
	case <-time.After(sigpipeQuiet):
	}
}

// TestSIGPIPEIsSeenWhenRaised proves that the watch above can see a
// SIGPIPE at all: a send(2) without MSG_NOSIGNAL on a socket whose peer is
// gone raises one, and signal.Notify hands it over.
func TestSIGPIPEIsSeenWhenRaised(t *testing.T) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGPIPE)
	defer signal.Stop(sigs)

	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	syscall.Close(fds[1])
	if _, err := syscall.Write(fds[0], []byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to a socket whose peer is closed: %v, want EPIPE", err)
	}
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		t.Fatal("a write that got EPIPE raised no SIGPIPE that signal.Notify saw: the other test proves nothing")
	}
}
