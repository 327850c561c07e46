package testpeer

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	const d = 100 * time.Millisecond
	p := start(t, "tcp4", Sleep(d), Write([]byte("x")))

	// The peer may start sleeping before dial returns, so time from before it.
	began := time.Now()
	c := dial(t, p)
	readN(t, c, 1)
	if took := time.Since(began); took < d {
		t.Fatalf("the byte after Sleep(%v) came after %v", d, took)
	}
}

func TestSleepAndStallEndOnClose(t *testing.T) {
	for _, st := range []Step{Sleep(time.Hour), Stall()} {
		t.Run(st.String(), func(t *testing.T) {
			p := start(t, "tcp4", st)
			dial(t, p)
			waitAccepted(t, p, 1)

			closed := make(chan struct{})
			go func() {
				p.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(patience):
				t.Fatalf("Close did not interrupt %v within %v", st, patience)
			}
			waitDone(t, p)
			requireNoErr(t, p)
		})
	}
}

func TestStallNeitherReadsNorWrites(t *testing.T) {
	p := start(t, "tcp4", Stall())
	c := dial(t, p)
	write(t, c, []byte("request"))

	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a stalled peer: %v, want a timeout", err)
	}
	if n := p.ReceivedCount(); n != 0 {
		t.Fatalf("a stalled peer read %d bytes", n)
	}
}

func TestFIN(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, Write([]byte("bye")), FIN(), Read(3))
		c := dial(t, p)

		if got, err := readToEOF(t, c); err != nil || string(got) != "bye" {
			t.Fatalf("read %q, %v; want \"bye\" then EOF", got, err)
		}
		// The peer only closed its sending side: it still reads.
		write(t, c, []byte("abc"))
		waitDone(t, p)
		requireNoErr(t, p)
		if got := string(p.Received()); got != "abc" {
			t.Fatalf("Received() after FIN = %q, want %q", got, "abc")
		}
	})
}

func TestCloseGivesEOF(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, Close())
		c := dial(t, p)

		c.SetReadDeadline(time.Now().Add(patience))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read after Close: %v, want io.EOF", err)
		}
	})
}

func TestReset(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		// Reset only after a byte has come through: a Reset as the first
		// step can reach the client while its dial is still finishing.
		p := Start(t, network, Read(1), Reset())
		c := dial(t, p)
		write(t, c, []byte("x"))

		c.SetReadDeadline(time.Now().Add(patience))
		_, err := c.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read after Reset: %v, want ECONNRESET", err)
		}
		waitDone(t, p)
		requireNoErr(t, p)
	})
}

func TestSetRecvBufferMakesAStalledPeerFillUpFast(t *testing.T) {
	// A client with a small send buffer writes to a peer that never reads,
	// until writing blocks. Without SetRecvBuffer the peer's default buffer
	// takes over 100 KiB (measured: about 140 KiB); with a 4 KiB buffer it
	// takes about 12 KiB. 64 KiB separates the two with room to spare.
	const bound = 64 << 10
	small := accepted(t, SetRecvBuffer(4096), Stall())
	normal := accepted(t, Stall())

	if small >= bound {
		t.Errorf("with SetRecvBuffer(4096) the peer took %d bytes, want under %d", small, bound)
	}
	if normal <= bound {
		t.Errorf("without SetRecvBuffer the peer took only %d bytes; the comparison proves nothing", normal)
	}
}

// accepted returns how many bytes a client with a 4 KiB send buffer can write
// to a peer running steps before a write blocks for 200 ms.
func accepted(t *testing.T, steps ...Step) int {
	t.Helper()
	p := start(t, "tcp4", steps...)
	c := dial(t, p)
	if err := c.SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	total := 0
	buf := make([]byte, 1024)
	for {
		c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Write(buf)
		total += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return total
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		if total > 64<<20 {
			t.Fatalf("wrote %d bytes to a peer that does not read", total)
		}
	}
}
