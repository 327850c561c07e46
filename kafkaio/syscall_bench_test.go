package kafkaio

// Micro-benchmarks of the per-call costs BENCHMARKS.md names when it
// explains the 64-connection case: the peer check's recvfrom(MSG_PEEK) on
// an idle connection (it finds nothing: EAGAIN), and a deadline update on
// the socket's file. Run them with
//
//	go test -run '^$' -bench 'PeekState|SetDeadline' ./kafkaio/

import (
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/testpeer"
	"golang.org/x/sys/unix"
)

// benchIO connects an IO to a peer that neither reads nor writes.
func benchIO(b *testing.B) *IO {
	b.Helper()
	p := testpeer.Start(b, "tcp4", testpeer.Stall())
	c, err := New(Config{Host: p.Host(), Port: p.Port()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func BenchmarkPeekState(b *testing.B) {
	c := benchIO(b)
	var last error
	if err := c.rc.Control(func(fd uintptr) {
		for b.Loop() {
			_, last = peekState(int(fd))
		}
	}); err != nil {
		b.Fatal(err)
	}
	if last != unix.EAGAIN {
		b.Fatalf("peekState on an idle connection: %v, want EAGAIN", last)
	}
}

func BenchmarkSetDeadline(b *testing.B) {
	c := benchIO(b)
	deadline := time.Now().Add(time.Hour)
	for b.Loop() {
		if err := c.f.SetWriteDeadline(deadline); err != nil {
			b.Fatal(err)
		}
		deadline = deadline.Add(time.Nanosecond) // a new value every time, as each call's is
	}
}
