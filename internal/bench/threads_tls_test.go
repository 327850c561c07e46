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
	results := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			_, err := c.Receive(4)
			results <- err
		}()
	}
	parked, err := awaitParked(len(conns), receiveFrame)
	if err != nil {
		closeAll(conns)
		t.Fatal(err)
	}
	threads, err := osThreads()
	if err != nil {
		closeAll(conns)
		t.Fatal(err)
	}
	t.Logf("%d TLS Receives parked in the poller; the process has %d OS threads", parked, threads)
	if threads > maxThreads {
		t.Errorf("%d OS threads with %d blocked TLS Receives, want at most %d", threads, parked, maxThreads)
	}
	closeAll(conns)
	checkAllEndedByClose(t, results, len(conns))
}
