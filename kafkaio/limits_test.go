package kafkaio_test

// The limits are inclusive: a Receive of exactly Config.MaxResponseBytes
// is accepted, one byte more is an argument error.

import (
	"bytes"
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
