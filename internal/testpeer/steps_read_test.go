package testpeer

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func TestEcho(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, Echo(), Close())
		c := dial(t, p)

		write(t, c, []byte("hello"))
		if got := readN(t, c, 5); string(got) != "hello" {
			t.Fatalf("echo = %q, want %q", got, "hello")
		}
		c.CloseWrite()
		if rest, err := readToEOF(t, c); err != nil || len(rest) != 0 {
			t.Fatalf("after half-close read %q, %v; want EOF (Echo ends, Close runs)", rest, err)
		}
		waitDone(t, p)
		requireNoErr(t, p)
		if got := string(p.Received()); got != "hello" {
			t.Fatalf("Received() = %q, want %q", got, "hello")
		}
	})
}

func TestEchoLargeVolume(t *testing.T) {
	p := start(t, "tcp4", Echo())
	c := dial(t, p)
	want := Pattern(1 << 20)

	// Write in the background: 1 MiB does not fit in the socket buffers, so
	// writing all before reading any would deadlock.
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		writeErr <- err
	}()
	got := readN(t, c, len(want))
	if err := <-writeErr; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("echoed bytes differ from the bytes sent")
	}
}

func TestRead(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, Read(4), Write([]byte("ok")))
		c := dial(t, p)

		write(t, c, []byte("ab"))
		write(t, c, []byte("cdEXTRA"))
		if got := readN(t, c, 2); string(got) != "ok" {
			t.Fatalf("answer = %q, want %q", got, "ok")
		}
		if got := string(p.Received()); got != "abcd" {
			t.Fatalf("Received() = %q, want exactly the 4 bytes read", got)
		}
	})
}

func TestDiscard(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, Discard(), Write([]byte("done")), Close())
		c := dial(t, p)
		want := Pattern(1 << 20)

		write(t, c, want)
		c.CloseWrite()
		if got, err := readToEOF(t, c); err != nil || string(got) != "done" {
			t.Fatalf("read %q, %v; want \"done\" then EOF", got, err)
		}
		if !bytes.Equal(p.Received(), want) {
			t.Fatalf("Received() holds %d bytes that differ from the %d sent", len(p.Received()), len(want))
		}
	})
}

func TestSlowRead(t *testing.T) {
	const chunk, every = 10, 20 * time.Millisecond
	p := start(t, "tcp4", SlowRead(chunk, every))
	c := dial(t, p)
	want := Pattern(5 * chunk)

	began := time.Now()
	write(t, c, want)
	c.CloseWrite()
	waitDone(t, p)
	took := time.Since(began)

	// Five reads of at most ten bytes with a pause after each: at least
	// four pauses pass before the last read, however the bytes arrive.
	if took < 4*every {
		t.Fatalf("SlowRead of %d bytes took %v, want at least %v", len(want), took, 4*every)
	}
	if !bytes.Equal(p.Received(), want) {
		t.Fatalf("Received() = % x, want % x", p.Received(), want)
	}
	requireNoErr(t, p)
}

func TestSlowReadStopsOnClose(t *testing.T) {
	p := start(t, "tcp4", SlowRead(1, time.Hour))
	c := dial(t, p)
	write(t, c, []byte("ab"))
	waitReceived(t, p, 1)

	p.Close()
	waitDone(t, p)
	requireNoErr(t, p)
}

func TestEchoFramesPipelined(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		p := Start(t, network, EchoFrames(), Close())
		c := dial(t, p)
		var sent []byte
		for _, body := range []string{"first", "", "third frame"} {
			sent = binary.BigEndian.AppendUint32(sent, uint32(len(body)))
			sent = append(sent, body...)
		}

		write(t, c, sent) // all three requests before reading any answer
		c.CloseWrite()
		got, err := readToEOF(t, c)
		if err != nil || !bytes.Equal(got, sent) {
			t.Fatalf("answers = %q, %v; want the frames back in order, then EOF", got, err)
		}
		waitDone(t, p)
		requireNoErr(t, p)
		if !bytes.Equal(p.Received(), sent) {
			t.Fatalf("Received() = %q, want %q", p.Received(), sent)
		}
	})
}

func TestEchoFramesRejectsNegativeSize(t *testing.T) {
	p := start(t, "tcp4", EchoFrames())
	c := dial(t, p)
	write(t, c, []byte{0xff, 0xff, 0xff, 0xfb}) // -5
	waitDone(t, p)

	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "frame size -5") {
		t.Fatalf("Err() = %v, want a complaint about frame size -5", err)
	}
}

func TestEchoFramesCutOffIsClientGone(t *testing.T) {
	p := start(t, "tcp4", EchoFrames())
	c := dial(t, p)
	write(t, c, []byte{0, 0, 0, 9, 'a', 'b'}) // promises 9 bytes, sends 2
	c.CloseWrite()
	waitDone(t, p)

	requireNoErr(t, p)
	if events := p.Events(); len(events) != 1 || !strings.Contains(events[0], "unexpected EOF") {
		t.Fatalf("Events() = %q, want one unexpected-EOF event", events)
	}
}

// waitReceived waits until the peer has read at least n bytes.
func waitReceived(t *testing.T, p *Peer, n int64) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for p.ReceivedCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("peer received %d bytes, want %d", p.ReceivedCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
