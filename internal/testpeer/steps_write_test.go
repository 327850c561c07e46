package testpeer

import (
	"bytes"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		msg := []byte("response")
		p := Start(t, network, Write(msg), Close())
		msg[0] = 'X' // Write copied it

		if got, err := readToEOF(t, dial(t, p)); err != nil || string(got) != "response" {
			t.Fatalf("read %q, %v; want \"response\" then EOF", got, err)
		}
	})
}

func TestWriteFrame(t *testing.T) {
	p := start(t, "tcp4", WriteFrame([]byte("body")), Close())

	got, err := readToEOF(t, dial(t, p))
	want := []byte{0, 0, 0, 4, 'b', 'o', 'd', 'y'}
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read % x, %v; want % x then EOF", got, err, want)
	}
}

func TestWriteSize(t *testing.T) {
	cases := []struct {
		size int32
		want []byte
	}{
		{-1, []byte{0xff, 0xff, 0xff, 0xff}},
		{0x15030300, []byte{0x15, 0x03, 0x03, 0x00}}, // what a TLS alert looks like as a size
		{0, []byte{0, 0, 0, 0}},
	}
	for _, tc := range cases {
		p := start(t, "tcp4", WriteSize(tc.size), Close())
		got, err := readToEOF(t, dial(t, p))
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Fatalf("WriteSize(%d): read % x, %v; want % x then EOF", tc.size, got, err, tc.want)
		}
	}
}

func TestDribble(t *testing.T) {
	const every = 80 * time.Millisecond
	msg := []byte("abcd")
	p := start(t, "tcp4", Dribble(msg, every), Close())

	// The first byte may leave before dial returns, so time from before it.
	began := time.Now()
	c := dial(t, p)
	var got []byte
	reads := 0
	buf := make([]byte, 16)
	c.SetReadDeadline(time.Now().Add(patience))
	for len(got) < len(msg) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
		reads++
	}
	took := time.Since(began)

	if string(got) != "abcd" {
		t.Fatalf("dribbled %q, want %q", got, "abcd")
	}
	// Three pauses separate four bytes; the timers cannot fire early.
	if took < 3*every {
		t.Fatalf("four dribbled bytes arrived within %v, want at least %v", took, 3*every)
	}
	// Bytes that leave 80 ms apart only share a read if the reader stalls
	// for longer than that; all four together would take a 240 ms stall.
	if reads < 2 {
		t.Fatalf("all of %q arrived in one read; want separate arrivals", got)
	}
}

func TestFlood(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, network string) {
		const total = 3<<20 + 17 // not a multiple of the chunk or of the pattern
		p := Start(t, network, Flood(total), Close())

		got, err := readToEOF(t, dial(t, p))
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.Equal(got, Pattern(total)) {
			t.Fatalf("flood of %d bytes differs from Pattern(%d)", len(got), total)
		}
	})
}

func TestFloodForeverEndsWhenClientLeaves(t *testing.T) {
	p := start(t, "tcp4", Flood(-1), Write([]byte("x")))
	c := dial(t, p)

	if got := readN(t, c, 100_000); !bytes.Equal(got, Pattern(100_000)) {
		t.Fatal("flood bytes differ from Pattern")
	}
	c.Close() // with unread bytes pending, this resets the connection
	waitDone(t, p)

	// Flood(-1) ends normally; the Write after it finds the client gone.
	requireNoErr(t, p)
	if events := p.Events(); len(events) != 1 || !bytes.Contains([]byte(events[0]), []byte("step 2 Write")) {
		t.Fatalf("Events() = %q, want the following Write to find the client gone", events)
	}
}

func TestFloodIsStoppedByClose(t *testing.T) {
	p := start(t, "tcp4", Flood(-1))
	c := dial(t, p)
	readN(t, c, 1) // the flood is running, and will block on full buffers

	p.Close()
	waitDone(t, p)
	requireNoErr(t, p)
}
