package kafkaio_test

// The limits are inclusive: a Receive of exactly Config.MaxResponseBytes
// is accepted, one byte more is an argument error.

import (
	"bytes"
	"context"
	"testing"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

func TestReceiveOfExactlyTheCapIsAccepted(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	const maxResp = 4 * faultKiB
	p := testpeer.Start(t, "tcp4", testpeer.Write(testpeer.Pattern(maxResp)))
	c := connect(t, p, kafkaio.Config{MaxResponseBytes: maxResp, Timeout: faultPatience})
	_, err := c.Receive(maxResp + 1)
	wantErr(t, err, kafkaerr.MismatchArgument)
	got, err := c.Receive(maxResp)
	if err != nil {
		t.Fatalf("Receive(MaxResponseBytes) = %v, want the %d bytes", err, maxResp)
	}
	if !bytes.Equal(got, testpeer.Pattern(maxResp)) {
		t.Errorf("Receive(MaxResponseBytes) returned %d other bytes", len(got))
	}
}

// A dst whose capacity is exactly the body's size is large enough: the
// body is read into it, not into a new slice.
func TestReceiveFrameFillsADstOfExactlyTheBodysSize(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	body := testpeer.Pattern(100)
	p := testpeer.Start(t, "tcp4", testpeer.WriteFrame(body))
	c := connect(t, p, kafkaio.Config{Timeout: faultPatience})
	dst := make([]byte, 0, len(body))
	got, err := c.ReceiveFrame(context.Background(), dst)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("ReceiveFrame = %d bytes, %v; want the %d-byte body", len(got), err, len(body))
	}
	if &got[0] != &dst[:1][0] {
		t.Error("ReceiveFrame allocated although dst's capacity is exactly the body's size")
	}
}
