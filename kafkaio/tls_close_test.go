package kafkaio_test

// How a TLS connection ends: Close sends close_notify, so the broker reads
// one more TLS record (the alert) before the TCP connection ends; a close
// after a failure sends none, since the stream may be broken. crypto/tls
// reports both ends as io.EOF, so the peer counts the raw bytes that come
// after the handshake instead.

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

func TestTLSCloseSendsCloseNotifyOnlyForClose(t *testing.T) {
	for _, tc := range []struct {
		name        string
		end         func(t *testing.T, c *kafkaio.IO)
		closeNotify bool
	}{
		{"Close", func(t *testing.T, c *kafkaio.IO) {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a receive timeout", func(t *testing.T, c *kafkaio.IO) {
			_, err := c.Receive(4)
			wantErr(t, err, kafkaerr.CannotRecv)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			ready, after := make(chan struct{}), make(chan int64, 1)
			p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(),
				testpeer.Func("handshake done", func(context.Context, *net.TCPConn) error {
					close(ready)
					return nil
				}),
				testpeer.Func("count raw bytes until EOF", func(_ context.Context, conn *net.TCPConn) error {
					n, err := io.Copy(io.Discard, conn)
					after <- n
					return err
				}))
			c := connect(t, p, kafkaio.Config{TLS: testcerts.ClientConfig(), Timeout: 200 * time.Millisecond})
			<-ready // nothing the client sends next can be read with the handshake
			tc.end(t, c)
			var n int64
			select {
			case n = <-after:
			case <-time.After(faultPatience):
				t.Fatal("the peer never saw the connection end")
			}
			if sent := n > 0; sent != tc.closeNotify {
				t.Errorf("the client sent %d bytes after the handshake; want a close_notify record: %v", n, tc.closeNotify)
			}
		})
	}
}
