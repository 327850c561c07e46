package kafkaio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// fuzzMaxResponse is the response cap of the fuzzed IO: small, so that
// fuzzed sizes cross it often and an accepted size never costs much.
const fuzzMaxResponse = 64 << 10

// fuzzFrames is what a stream of bytes followed by the peer's FIN must read
// as, by the wire format alone: the bodies of its whole frames, then how
// ReceiveFrame must fail on what is left.
type fuzzFrames struct {
	bodies [][]byte
	end    faultWant
	// size is the bad size prefix that ends the stream, if that is how it ends.
	size    int32
	badSize bool
}

// fuzzSplit is the reference reading of data, written from the contract,
// not from kafkaio's code: a frame is a big-endian int32 size of 4 or more
// (the correlation id) and at most the cap, then that many bytes.
func fuzzSplit(data []byte) fuzzFrames {
	var out fuzzFrames
	closed := func(code kafkaerr.Code, cause error, p *faultProgress) faultWant {
		w := faultWant{code: code, progress: p, took: faultSpan{0, faultPatience}, state: faultClosed}
		if cause != nil {
			w.causes = []error{cause}
		}
		return w
	}
	for {
		switch {
		case len(data) == 0: // FIN between frames: nothing of the call came
			out.end = closed(kafkaerr.NoConnection, io.EOF, faultNone(4))
			return out
		case len(data) < 4: // FIN inside the size prefix
			out.end = closed(kafkaerr.CannotRecv, io.ErrUnexpectedEOF, faultBytes(len(data), len(data), 4))
			return out
		}
		size := int32(binary.BigEndian.Uint32(data))
		if size < 4 || size > fuzzMaxResponse {
			out.end = closed(kafkaerr.CannotRecv, nil, faultBytes(4, 4, 4))
			out.end.phase, out.end.as = "frame size", faultNoCause
			out.size, out.badSize = size, true
			return out
		}
		if len(data)-4 < int(size) { // FIN inside the body
			out.end = closed(kafkaerr.CannotRecv, io.ErrUnexpectedEOF, faultBytes(len(data), len(data), 4+int(size)))
			return out
		}
		out.bodies = append(out.bodies, data[4:4+size])
		data = data[4+size:]
	}
}

// fuzzFrame is body with its size prefix.
func fuzzFrame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// FuzzReceiveFrame has a peer send fuzzed bytes and then FIN, and reads
// them with ReceiveFrame until it fails. Every whole frame must come back
// exactly, and the failure must be the one the bytes call for, at once
// (never a timeout), with the IO closed afterwards.
func FuzzReceiveFrame(f *testing.F) {
	corr := []byte{0, 0, 0, 1}
	for _, seed := range [][]byte{
		nil,
		fuzzFrame(corr),
		append(fuzzFrame(corr), fuzzFrame([]byte("answer two"))...),
		append(fuzzFrame(corr), 0, 0), // a whole frame, then half a size
		fuzzFrame(corr)[:6],           // half a frame
		{0, 0, 0, 0},
		{0, 0, 0, 3, 1, 2, 3},
		{0xff, 0xff, 0xff, 0xff},
		binary.BigEndian.AppendUint32(nil, math.MaxInt32),
		binary.BigEndian.AppendUint32(nil, fuzzMaxResponse+1),
		fuzzFrame(bytes.Repeat([]byte{7}, fuzzMaxResponse)), // exactly the cap
		{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28},          // a TLS alert
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := fuzzSplit(data)
		p := testpeer.Start(t, "tcp4", testpeer.Write(data), testpeer.Close())
		c := connect(t, p, kafkaio.Config{MaxResponseBytes: fuzzMaxResponse, Timeout: faultPatience})

		// A small reused buffer: small frames land in it, larger ones
		// get their own slice; both paths are exercised.
		dst := make([]byte, 0, 16)
		for i, wantBody := range want.bodies {
			body, err := c.ReceiveFrame(context.Background(), dst)
			if err != nil {
				t.Fatalf("frame %d of %d: %v", i+1, len(want.bodies), err)
			}
			if !bytes.Equal(body, wantBody) {
				t.Fatalf("frame %d: got %d bytes %.32x, want %d bytes %.32x", i+1, len(body), body, len(wantBody), wantBody)
			}
		}
		began := time.Now()
		_, err := c.ReceiveFrame(context.Background(), dst)
		faultCheckErr(t, err, time.Since(began), want.end)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the stream's end was a timeout; the peer's FIN should have ended it: %v", err)
		}
		if want.badSize {
			if msg := fmt.Sprintf("frame size %d ", want.size); !strings.Contains(fmt.Sprint(err), msg) {
				t.Errorf("the error does not quote the size %d: %v", want.size, err)
			}
		}
		faultCheckState(t, c, want.end.state, err)
	})
}
