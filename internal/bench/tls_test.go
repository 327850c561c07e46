package bench

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// The TLS cases run kafkaio with Config.TLS against crypto/tls over a
// net.Conn, the baseline a Go user would write, both talking to the same
// frame server in TLS mode (TLS 1.3, the test CA's ECDSA certificate).

// tlsImpls are the clients of the TLS round trips; tlsPipelineImpls those of
// the pipelined case, whose baseline reads through a bufio.Reader as
// sarama's broker.go does over TLS.
var (
	tlsImpls         = [2]namedDialer{{"kafkaio", dialKafkaioTLS}, {"tlsconn", dialTLSConn(false)}}
	tlsPipelineImpls = [2]namedDialer{{"kafkaio", dialKafkaioTLS}, {"tlsbufio", dialTLSConn(true)}}
)

// startTLSServer runs the frame server in TLS mode with the test server
// certificate.
func startTLSServer(tb testing.TB) string {
	tb.Helper()
	return framesrv.StartTLS(tb, testcerts.Server().CertPEM(), testcerts.Server().KeyPEM())
}

func dialKafkaioTLS(tb testing.TB, addr string, responseBytes int) client {
	tb.Helper()
	host, port := splitAddr(tb, addr)
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: ioTimeout, TLS: testcerts.ClientConfig()})
	if err != nil {
		tb.Fatal(err)
	}
	return &kafkaioClient{io: c, want: bodySize(responseBytes), buf: make([]byte, bodySize(responseBytes))}
}

// dialTLSConn returns a dialer of crypto/tls clients over net.Conn; with
// buffered set, they read through a bufio.Reader and set their deadlines
// as sarama does.
func dialTLSConn(buffered bool) dialer {
	return func(tb testing.TB, addr string, responseBytes int) client {
		tb.Helper()
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: ioTimeout}, Config: testcerts.ClientConfig()}
		conn, err := d.Dial("tcp4", addr)
		if err != nil {
			tb.Fatal(err)
		}
		nc := netconnClient{conn: conn, want: bodySize(responseBytes), buf: make([]byte, bodySize(responseBytes))}
		if buffered {
			return &bufioClient{netconnClient: nc, r: bufio.NewReader(conn), perCall: true}
		}
		return &nc
	}
}

// BenchmarkTLSRoundTrip64 and BenchmarkTLSRoundTrip1MiB are the plaintext
// round trips over TLS.
func BenchmarkTLSRoundTrip64(b *testing.B) {
	benchEachOn(b, startTLSServer(b), tlsImpls[:], roundTrips(smallBytes, smallBytes))
}

func BenchmarkTLSRoundTrip1MiB(b *testing.B) {
	benchEachOn(b, startTLSServer(b), tlsImpls[:], roundTrips(smallBytes, largeResponseBytes))
}

// BenchmarkTLSPipelined64 is BenchmarkPipelined64 over TLS.
func BenchmarkTLSPipelined64(b *testing.B) {
	benchEachOn(b, startTLSServer(b), tlsPipelineImpls[:], pipelined(64, smallBytes, smallBytes))
}

// BenchmarkConnect times connection set-up and tear-down: kafkaio.New and
// Close against net.Dial and Close, to the same server.
func BenchmarkConnect(b *testing.B) {
	benchEach(b, impls[:], connects)
}

// connects times dialing and closing one connection per op; the client
// dialled for the op is closed at once.
func connects(b *testing.B, addr string, dial dialer) {
	ops := 0
	cpu := StartCPU()
	for b.Loop() {
		if err := dial(b, addr, framesrv.MinResponseBytes).Close(); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	cpu.Report(b, ops)
}

// BenchmarkPairedTLS is BenchmarkPaired's serial and pipelined cases over
// TLS, op by op against crypto/tls over net.Conn, and TLS connection
// set-up (New with the handshake against tls.Dialer).
func BenchmarkPairedTLS(b *testing.B) {
	addr := startTLSServer(b)
	cases := []struct {
		name    string
		clients [2]namedDialer
		op      pairOp
	}{
		{"TLSRoundTrip64", tlsImpls, roundTripOp(smallBytes, smallBytes)},
		{"TLSRoundTrip1MiB", tlsImpls, roundTripOp(smallBytes, largeResponseBytes)},
		{"TLSPipelined64", tlsPipelineImpls, pipelineOp(64, smallBytes, smallBytes)},
	}
	for _, pc := range cases {
		b.Run("case="+pc.name, func(b *testing.B) { pairedSerial(b, addr, pc.clients, pc.op) })
	}
	b.Run("case=TLSConnect", func(b *testing.B) { pairedConnects(b, addr, tlsImpls) })
}
