package kafkatest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
)

// realClusterTimeout bounds the Metadata request that sizes a real cluster.
const realClusterTimeout = 15 * time.Second

// requireClusterSize skips tb unless the cluster behind addr has at least n
// brokers. It talks over a plain connection so that a kafkaio bug cannot
// hide behind a skip.
func requireClusterSize(tb testing.TB, addr string, n int) {
	tb.Helper()
	if n <= 1 {
		return
	}
	md, err := metadata(addr)
	if err != nil {
		tb.Fatalf("%s=%s: cannot read cluster metadata: %v", EnvBrokers, addr, err)
	}
	if len(md.Brokers) < n {
		tb.Skipf("%s points at a cluster of %d brokers; this test needs %d", EnvBrokers, len(md.Brokers), n)
	}
}

// metadata asks addr for the broker list (Metadata v1, no topics).
func metadata(addr string) (kafkawire.MetadataResponse, error) {
	conn, err := net.DialTimeout("tcp", addr, realClusterTimeout)
	if err != nil {
		return kafkawire.MetadataResponse{}, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(realClusterTimeout)); err != nil {
		return kafkawire.MetadataResponse{}, err
	}
	if _, err := conn.Write(kafkawire.Metadata(1, "kafkatest", 1, []string{})); err != nil {
		return kafkawire.MetadataResponse{}, err
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return kafkawire.MetadataResponse{}, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 1<<24 {
		return kafkawire.MetadataResponse{}, fmt.Errorf("implausible response size %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return kafkawire.MetadataResponse{}, err
	}
	return kafkawire.ParseMetadata(body)
}
