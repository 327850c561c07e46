package kafkaio_test

import (
	"io"
	"testing"

	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
)

// TestTLSSendToAReapedConnection is the broker that reaps an idle TLS
// connection: a close_notify, then its FIN. The alert is unread data, so a
// peek alone would let the Send through and the request would be lost; the
// TCP state (CLOSE_WAIT) shows the close, and the Send fails before writing
// a byte, as NoConnection that says a resend is safe. A FIN alone is the
// matrix's "peer closed before the first byte" row, over TLS.
func TestTLSSendToAReapedConnection(t *testing.T) {
	secRunTLSRows(t, []faultIORow{{
		name:   "close_notify then FIN before the first byte",
		script: []testpeer.Step{testpeer.CloseNotify(), testpeer.Close()},
		ready:  faultAwaitPeerGone,
		call:   faultSend(faultPayload(faultKiB)),
		want: faultWant{code: kafkaerr.NoConnection, causes: []error{io.EOF}, phase: "peer check",
			detail:   append([]string{"CLOSE_WAIT"}, faultUnsent...),
			progress: faultNone(faultKiB), took: faultQuick(), state: faultClosed},
	}})
}
