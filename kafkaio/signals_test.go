package kafkaio_test

// Signal storms: a process that embeds kafkaio gets signals (profilers,
// supervisors, the Go runtime's own SIGURG preemption) at any moment. These
// tests send one every 100 µs, to the very thread that runs the call and to
// the process, during long Sends and Receives, and require the results to
// be exactly what they would be without: every byte, in order, no error,
// the connection still alive.
//
// What a storm cannot show is the EINTR path: Go installs its handlers with
// SA_RESTART and kafkaio's sockets are non-blocking, so the kernel all but
// never fails a send or recv with EINTR, and whether one does is the
// kernel's choice, not the test's. transfer.advance's handling of EINTR
// (retried at once, counted apart from retries) is driven directly by
// advance_test.go; here the count is only reported.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

const (
	// faultStormEvery is the interval between two signals of a storm.
	faultStormEvery = 100 * time.Microsecond
	// faultStormMin is the fewest signals a call must have been under for
	// the test to mean anything. Every call lasts half a second or more;
	// even a sleep that overshoots 100 µs tenfold sends this many.
	faultStormMin = 100
)

// faultSignals is the channel SIGUSR1 is delivered to instead of killing
// the process. It is never passed to signal.Stop: Stop would restore
// SIGUSR1's default action, and a signal of the storm still pending at that
// moment would then end the test binary. Its buffer only has to show that
// signals arrived; the runtime drops those that do not fit.
var faultSignals = sync.OnceValue(func() chan os.Signal {
	ch := make(chan os.Signal, 256)
	signal.Notify(ch, syscall.SIGUSR1)
	return ch
})

// faultStorm sends signals until stopped and counts them.
type faultStorm struct {
	sent   atomic.Int64
	stop   chan struct{}
	done   chan struct{}
	caught int
}

// startFaultStorm sends, every faultStormEvery in turn, SIGUSR1 and SIGURG
// to thread tid (the one running the call, so that its syscalls are the
// ones interrupted) and SIGUSR1 to the process (which the kernel gives to
// any thread, the poller's included).
func startFaultStorm(tid int) *faultStorm {
	ch := faultSignals()
	for len(ch) > 0 {
		<-ch // what earlier storms left
	}
	s := &faultStorm{stop: make(chan struct{}), done: make(chan struct{})}
	pid := unix.Getpid()
	go func() {
		defer close(s.done)
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			var err error
			switch i % 3 {
			case 0:
				err = unix.Tgkill(pid, tid, unix.SIGUSR1)
			case 1:
				err = unix.Tgkill(pid, tid, unix.SIGURG)
			case 2:
				err = unix.Kill(pid, unix.SIGUSR1)
			}
			if err == nil {
				s.sent.Add(1)
			}
			time.Sleep(faultStormEvery)
		}
	}()
	return s
}

// end stops the storm and counts the SIGUSR1s that reached the channel.
func (s *faultStorm) end() {
	close(s.stop)
	<-s.done
	for ch := faultSignals(); len(ch) > 0; s.caught++ {
		<-ch
	}
}

// faultEventCounter counts the IO module's debug events by message, so a
// test can see the EINTRs and waits of a call that succeeded (an error
// would carry them in Interrupts and Retries; a success carries nothing).
type faultEventCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *faultEventCounter) Levels() []logrus.Level { return logrus.AllLevels }

func (h *faultEventCounter) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, prefix := range []string{"interrupted", "wait writable", "wait readable", "returning IO error", "connect attempt"} {
		if strings.HasPrefix(e.Message, prefix) {
			h.counts[prefix]++
		}
	}
	return nil
}

func (h *faultEventCounter) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[prefix]
}

// faultCountingLogger turns the IO module's level-1 events on for the test
// and returns a logger that counts them and writes nothing.
func faultCountingLogger(t *testing.T) (*logrus.Logger, *faultEventCounter) {
	t.Helper()
	old := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(1)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(old) })
	counter := &faultEventCounter{counts: map[string]int{}}
	logger := logrus.New()
	logger.Out = io.Discard
	logger.AddHook(counter)
	return logger, counter
}

// faultUnderStorm runs call on a goroutine locked to its thread, with a
// storm aimed at that thread for the whole call, and returns the storm.
func faultUnderStorm(call func()) *faultStorm {
	var storm *faultStorm
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		storm = startFaultStorm(unix.Gettid())
		defer storm.end()
		call()
	}()
	<-finished
	return storm
}

func TestSignalStormChangesNothing(t *testing.T) {
	faultSignals() // the runtime's signal goroutines start here, before the leak baseline
	const (
		sendSize   = 16 * faultMiB
		dribbleLen = 128
		dribbleGap = 5 * time.Millisecond // 128 bytes take 0.64 s at least
	)
	sendMsg := faultPayload(sendSize)
	dribbled := faultPayload(dribbleLen)

	type stormCase struct {
		name   string
		script func(digest *faultHashed) []testpeer.Step
		cfg    kafkaio.Config // Timeout and Logger are set by the test
		// run makes the call and returns its error and, for a receive,
		// the bytes it got (nil for a send, whose bytes the peer checks).
		run func(c *kafkaio.IO) ([]byte, error)
		// wantGot is what a receive must return.
		wantGot []byte
		// wait is the debug event of the call's waits: each one is a
		// point where a signal can land mid-call.
		wait string
	}
	cases := []stormCase{{
		name: "16 MiB Send to a slow reader",
		script: func(digest *faultHashed) []testpeer.Step {
			// Small buffers on both sides make the sender wait for
			// every read, hundreds of times, instead of a few.
			return []testpeer.Step{testpeer.SetRecvBuffer(64 * faultKiB),
				faultHashingReader(sendSize, 64*faultKiB, 2*time.Millisecond, digest)}
		},
		cfg: kafkaio.Config{SendBufferBytes: 64 * faultKiB},
		run: func(c *kafkaio.IO) ([]byte, error) {
			n, err := c.Send(sendMsg)
			if err == nil && n != sendSize {
				err = fmt.Errorf("Send returned %d, want %d", n, sendSize)
			}
			return nil, err
		},
		wait: "wait writable",
	}, {
		name: "dribbled Receive",
		script: func(*faultHashed) []testpeer.Step {
			return []testpeer.Step{testpeer.Dribble(dribbled, dribbleGap)}
		},
		run:     func(c *kafkaio.IO) ([]byte, error) { return c.Receive(dribbleLen) },
		wantGot: dribbled,
		wait:    "wait readable",
	}, {
		name: "dribbled ReceiveFrame",
		script: func(*faultHashed) []testpeer.Step {
			return []testpeer.Step{testpeer.WriteSize(dribbleLen), testpeer.Dribble(dribbled, dribbleGap)}
		},
		run: func(c *kafkaio.IO) ([]byte, error) {
			return c.ReceiveFrame(context.Background(), make([]byte, 0, dribbleLen))
		},
		wantGot: dribbled,
		wait:    "wait readable",
	}}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			logger, events := faultCountingLogger(t)
			digest := newFaultHashed()
			p := testpeer.Start(t, "tcp4", tc.script(digest)...)
			cfg := tc.cfg
			cfg.Timeout, cfg.Logger = 4*faultPatience, logger
			c := connect(t, p, cfg)

			var got []byte
			var err error
			began := time.Now()
			storm := faultUnderStorm(func() { got, err = tc.run(c) })
			took := time.Since(began)

			if err != nil {
				t.Fatalf("the call failed under the storm: %v", err)
			}
			if tc.wantGot != nil && !bytes.Equal(got, tc.wantGot) {
				t.Errorf("received %d bytes %x, want %d bytes %x", len(got), got, len(tc.wantGot), tc.wantGot)
			}
			if tc.wantGot == nil {
				sum, n := digest.wait(t)
				if want := sha256.Sum256(sendMsg); n != sendSize || sum != want {
					t.Errorf("the peer read %d bytes with digest %x, want %d with %x", n, sum[:8], sendSize, want[:8])
				}
			}
			if !c.IsAlive() {
				t.Error("the IO is not alive after the storm")
			}
			interrupts, waits := events.count("interrupted"), events.count(tc.wait)
			t.Logf("%v under %d signals (%d SIGUSR1 caught); the call waited %d times; EINTR reported by the kernel and retried: %d",
				took.Round(time.Millisecond), storm.sent.Load(), storm.caught, waits, interrupts)
			if storm.sent.Load() < faultStormMin || storm.caught == 0 {
				t.Errorf("the storm sent %d signals, %d caught; want at least %d sent and one caught: the test proved nothing",
					storm.sent.Load(), storm.caught, faultStormMin)
			}
			// More waits than MaxRetries: a retry cap that counted waits
			// after progress (Kafka::IO's did) would have failed the call.
			if waits <= kafkaio.MaxRetries {
				t.Errorf("the call waited %d times; the test needs more than MaxRetries (%d) to mean anything", waits, kafkaio.MaxRetries)
			}
			if n := events.count("returning IO error"); n != 0 {
				t.Errorf("the IO reported %d errors during the call", n)
			}
		})
	}
}
