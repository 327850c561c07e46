package kafkaio_test

// What an error says, where the words carry a decision: whether a request
// may be sent again after NoConnection (a Send's was never written; a
// Receive's was, and may have been carried out), whether the broker hung up
// before answering anything (the sign of a listener that wants TLS or
// SASL), and what a frame size that is not Kafka's reads as.

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const (
	msgSafeToResend = "nothing of the request was written: sending it again on a new connection is safe"
	msgIdempotent   = "resend it on a new connection only if it is idempotent"
	msgUnanswered   = "the broker closed the connection before sending a single byte on it"
	msgWantsTLS     = "a TLS listener does that to a plaintext client (set Config.TLS)"
	msgClosedByYou  = "the IO had closed (Close was called)"
)

func TestNoConnectionSaysWhetherResendingIsSafe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  []testpeer.Step
		ready   func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer)
		call    faultCall
		want    []string
		notWant []string
	}{{
		name:    "a Send to a peer that closed: never written, safe",
		script:  []testpeer.Step{testpeer.Close()},
		ready:   faultAwaitPeerGone,
		call:    faultSend([]byte("request")),
		want:    []string{msgSafeToResend},
		notWant: []string{msgIdempotent, msgUnanswered, "the IO had closed"},
	}, {
		name:    "a Receive the caller closed the IO under: it says so",
		script:  []testpeer.Step{testpeer.Stall()},
		ready:   func(*testing.T, *kafkaio.IO, *testpeer.Peer) {},
		call:    faultCloseAfter(50*time.Millisecond, faultReceive(4)),
		want:    []string{msgClosedByYou, msgIdempotent},
		notWant: []string{msgSafeToResend},
	}, {
		name:    "a Receive from a peer that hung up before answering anything: maybe carried out, and maybe TLS",
		script:  []testpeer.Step{testpeer.Read(4), testpeer.FIN()},
		ready:   faultSendFirst,
		call:    faultReceive(4),
		want:    []string{msgIdempotent, msgUnanswered, msgWantsTLS},
		notWant: []string{msgSafeToResend, "the IO had closed"},
	}, {
		name:   "a Receive after an answer: maybe carried out, no hint",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Write([]byte("ans!")), testpeer.FIN()},
		ready: func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer) {
			faultSendFirst(t, c, p)
			if got, err := c.Receive(4); err != nil || string(got) != "ans!" {
				t.Fatalf("the first answer: %q, %v", got, err)
			}
		},
		call:    faultReceive(4),
		want:    []string{msgIdempotent},
		notWant: []string{msgSafeToResend, msgUnanswered},
	}, {
		name:    "a ReceiveFrame from a peer that hung up before answering anything",
		script:  []testpeer.Step{testpeer.Read(4), testpeer.FIN()},
		ready:   faultSendFirst,
		call:    faultReceiveFrame(nil),
		want:    []string{msgIdempotent, msgUnanswered, msgWantsTLS},
		notWant: []string{msgSafeToResend},
	}, {
		name:   "a ReceiveFrame after an answer",
		script: []testpeer.Step{testpeer.Read(4), testpeer.WriteFrame([]byte("ans!")), testpeer.FIN()},
		ready: func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer) {
			faultSendFirst(t, c, p)
			if got, err := c.ReceiveFrame(context.Background(), nil); err != nil || string(got) != "ans!" {
				t.Fatalf("the first answer: %q, %v", got, err)
			}
		},
		call:    faultReceiveFrame(nil),
		want:    []string{msgIdempotent},
		notWant: []string{msgSafeToResend, msgUnanswered},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4", tc.script...)
			c := connect(t, p, kafkaio.Config{Timeout: faultPatience})
			tc.ready(t, c, p)
			err := tc.call(c)
			faultLogErr(t, err)
			wantErr(t, err, kafkaerr.NoConnection)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the message does not say %q: %v", w, err)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("the message says %q, which is not so here: %v", w, err)
				}
			}
		})
	}
}

// TestFrameSizeReadsAsTextAtTheEdgesOfPrintable: a space and a tilde are
// the first and last printable ASCII characters, so "GET " and "~~~~"
// read as text, while a control character makes four bytes not text.
func TestFrameSizeReadsAsTextAtTheEdgesOfPrintable(t *testing.T) {
	for _, tc := range []struct {
		first  []byte
		text   bool
		detail string
	}{
		{[]byte("GET / HTTP/1.1\r\n"), true, `they read as text "GET "`},
		{[]byte("~~~~"), true, `they read as text "~~~~"`},
		{[]byte{0x1f, 'a', 'b', 'c'}, false, "1f 61 62 63"},
		{[]byte{'a', 'b', 'c', 0x7f}, false, "61 62 63 7f"},
	} {
		t.Run(string(tc.first[:4]), func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4", testpeer.Write(tc.first))
			c := connect(t, p, kafkaio.Config{Timeout: faultPatience})
			_, err := c.ReceiveFrame(context.Background(), nil)
			e := wantErr(t, err, kafkaerr.CannotRecv)
			if !strings.Contains(e.Detail, tc.detail) || strings.Contains(e.Detail, "read as text") != tc.text {
				t.Errorf("Detail %q: want %q, reading as text %v", e.Detail, tc.detail, tc.text)
			}
		})
	}
}

func TestLocalAddrIsWhatThePeerSees(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	seen := make(chan string, 1)
	p := testpeer.Start(t, "tcp4", testpeer.Func("note the client's address", func(_ context.Context, conn *net.TCPConn) error {
		seen <- conn.RemoteAddr().String()
		return nil
	}))
	c := connect(t, p, kafkaio.Config{Timeout: faultPatience})
	if got, want := c.LocalAddr(), <-seen; got != want {
		t.Errorf("LocalAddr() = %q; the peer sees the client at %q", got, want)
	}
	if c.Addr() != p.Addr() {
		t.Errorf("Addr() = %q, want %q", c.Addr(), p.Addr())
	}
}
