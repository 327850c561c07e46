package kafkaio_test

// Concurrent Sends are serialised: each request reaches the broker whole,
// never interleaved with another's bytes, and each keeps its own deadline.
// Two goroutines send large requests through small socket buffers to a slow
// reader, so that every Send waits for the poller many times; the peer
// checks every frame it reads, byte for byte. On a plaintext socket the
// runtime's own write lock (internal/poll holds it across a RawConn.Write
// and its waits) also keeps bytes from interleaving, so what shows IO's
// lock is the deadline: the socket has one, and a second Send writing at
// the same time as the first would put its own there.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const (
	concSenders   = 2
	concRequests  = 6         // per sender
	concFrameBody = 192 << 10 // bytes after the size prefix
)

// concRequest builds request seq of sender: the size prefix, the sender
// and the sequence number, then the sender's byte to the end. A request cut
// by another's bytes fails the peer's check of its size, its header or its
// filler.
func concRequest(sender byte, seq int) []byte {
	b := make([]byte, 4+concFrameBody)
	binary.BigEndian.PutUint32(b, concFrameBody)
	b[4] = sender
	binary.BigEndian.PutUint32(b[5:9], uint32(seq))
	for i := 9; i < len(b); i++ {
		b[i] = 'A' + sender
	}
	return b
}

// concChecked is what the peer found in the frames it read.
type concChecked struct {
	frames int
	next   [concSenders]int // the sequence number each sender's next frame must carry
	bad    []string
}

// concChecker reads frames until it has seen every request, or one is
// wrong, and checks each one; it closes done with its verdict in out, then
// discards whatever else comes so that no Send is left waiting. A slow
// reader: 16 KiB at a time with a pause, so the client's send buffer fills
// over and over.
func concChecker(out *concChecked, done chan<- struct{}) testpeer.Step {
	return testpeer.Func("check each frame whole", func(ctx context.Context, conn *net.TCPConn) error {
		concCheck(conn, out)
		close(done)
		_, err := io.Copy(io.Discard, conn)
		return err
	})
}

func concCheck(conn *net.TCPConn, out *concChecked) {
	body := make([]byte, concFrameBody)
	var size [4]byte
	for out.frames < concSenders*concRequests {
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			out.bad = append(out.bad, fmt.Sprintf("frame %d: reading its size: %v", out.frames, err))
			return
		}
		if n := binary.BigEndian.Uint32(size[:]); n != concFrameBody {
			out.bad = append(out.bad, fmt.Sprintf("frame %d: size %d (bytes % x), want %d: the stream is out of step", out.frames, n, size, concFrameBody))
			return
		}
		for read := 0; read < len(body); {
			n, err := conn.Read(body[read:min(read+16<<10, len(body))])
			read += n
			if err != nil {
				out.bad = append(out.bad, fmt.Sprintf("frame %d: after %d bytes of its body: %v", out.frames, read, err))
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
		out.frames++
		sender, seq := body[0], int(binary.BigEndian.Uint32(body[1:5]))
		if sender >= concSenders {
			out.bad = append(out.bad, fmt.Sprintf("frame %d: sender %d", out.frames, sender))
			continue
		}
		if seq != out.next[sender] {
			out.bad = append(out.bad, fmt.Sprintf("frame %d: sender %d's request %d, want %d", out.frames, sender, seq, out.next[sender]))
		}
		out.next[sender] = seq + 1
		for i := 5; i < len(body); i++ {
			if body[i] != 'A'+sender {
				out.bad = append(out.bad, fmt.Sprintf("frame %d (sender %d, request %d): byte %d is %q, want %q: another request's bytes",
					out.frames, sender, seq, 4+i, body[i], 'A'+sender))
				return
			}
		}
	}
}

func TestConcurrentSendsArriveWhole(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	var checked concChecked
	checkerDone := make(chan struct{})
	p := testpeer.Start(t, "tcp4", testpeer.SetRecvBuffer(16<<10), concChecker(&checked, checkerDone))
	c := connect(t, p, kafkaio.Config{SendBufferBytes: 16 << 10, Timeout: 4 * faultPatience})

	requests := make([][][]byte, concSenders)
	for s := range requests {
		for seq := range concRequests {
			requests[s] = append(requests[s], concRequest(byte(s), seq))
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, concSenders)
	for s := range concSenders {
		wg.Go(func() {
			<-start
			for seq, req := range requests[s] {
				if n, err := c.Send(req); err != nil || n != len(req) {
					errs[s] = fmt.Errorf("sender %d, request %d: Send = %d, %v", s, seq, n, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Every byte Send accepted is in the kernel; closing sends them all,
	// then FIN, so a peer still waiting for a lost request reads EOF.
	c.Close()
	select {
	case <-checkerDone:
	case <-time.After(faultPatience):
		t.Fatalf("the peer had checked %d of %d frames after %v", checked.frames, concSenders*concRequests, faultPatience)
	}
	for _, bad := range checked.bad {
		t.Error(bad)
	}
	if checked.frames != concSenders*concRequests {
		t.Errorf("the peer read %d whole frames, want %d", checked.frames, concSenders*concRequests)
	}
}

// TestASendKeepsItsDeadlineWhileAnotherWaits: the socket has one write
// deadline, so two Sends writing at once would share it, and the second's
// would replace the first's. Serialised, the second waits for its turn and
// the first ends at its own deadline. The first Send has the IO's timeout
// (no context, so nothing but the socket's deadline can end it); the
// second, started while the first is writing, has a context deadline far
// later.
func TestASendKeepsItsDeadlineWhileAnotherWaits(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	const size = 8 * faultMiB
	digest := newFaultHashed()
	// 64 KiB every 10 ms: the 8 MiB take over a second.
	p := testpeer.Start(t, "tcp4", testpeer.SetRecvBuffer(16*faultKiB),
		faultHashingReader(2*size, 64*faultKiB, 10*time.Millisecond, digest))
	c := connect(t, p, kafkaio.Config{SendBufferBytes: 16 * faultKiB, Timeout: faultTimeout})

	second := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond) // the first is writing by now
		ctx, cancel := context.WithTimeout(context.Background(), faultPatience)
		defer cancel()
		_, err := c.SendContext(ctx, faultPayload(size))
		second <- err
	}()
	began := time.Now()
	_, err := c.Send(faultPayload(size))
	faultLogErr(t, err)
	faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.CannotSend,
		causes: []error{os.ErrDeadlineExceeded}, phase: "wait writable", took: faultAt(faultTimeout)})
	// The second never wrote: the IO closed under it while it waited.
	wantErr(t, <-second, kafkaerr.NoConnection)
}
