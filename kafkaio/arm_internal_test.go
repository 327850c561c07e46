package kafkaio

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestArmGivesTheRawTransferItsDeadline checks that a call over TLS hands
// its deadline to the socket transfer beneath crypto/tls: a write that
// crypto/tls makes from a receive (a TLS 1.3 KeyUpdate answer) waits under
// it (rawConn.Write), rather than under none.
func TestArmGivesTheRawTransferItsDeadline(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := &IO{f: r}
	raw := &transfer{}
	call := newTransfer()
	call.conn, call.raw = c, raw
	deadline := time.Now().Add(time.Hour)
	if err := call.arm(context.Background(), deadline); err != nil {
		t.Fatal(err)
	}
	call.disarm()
	if !raw.deadline.Equal(deadline) {
		t.Errorf("the raw transfer's deadline is %v, want the call's %v", raw.deadline, deadline)
	}
}
