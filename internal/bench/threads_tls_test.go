package bench

import (
	"testing"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// TestBlockedTLSReceivesUseFewThreads is TestBlockedReceivesUseFewThreads
// over TLS: 1000 Receives wait inside crypto/tls's Read, whose socket
// reads park in the poller as a plaintext receive does, so the process
// still has at most 20 OS threads; Close then ends every one of them.
func TestBlockedTLSReceivesUseFewThreads(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	ensureFDs(t, 2*blockedConns+100)
	peer := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), testpeer.Stall())

	conns := make([]*kafkaio.IO, 0, blockedConns)
	t.Cleanup(func() { closeAll(conns) })
	for range blockedConns {
		c, err := kafkaio.New(kafkaio.Config{Host: peer.Host(), Port: peer.Port(), Timeout: blockedTimeout, TLS: testcerts.ClientConfig()})
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		if _, ok := c.ConnectionState(); !ok {
			c.Close()
			t.Fatal("the IO is not using TLS")
		}
		conns = append(conns, c)
	}
	parkAndCount(t, conns, "TLS Receives", receiveFrame, func(c *kafkaio.IO) error {
		_, err := c.Receive(4)
		return err
	})
}
