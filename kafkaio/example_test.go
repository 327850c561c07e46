package kafkaio_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// exampleBroker starts a Kafka-protocol broker on loopback (franz-go's
// kfake, in this process) so that the examples run against something that
// answers as Kafka does. A real program connects to its own brokers.
func exampleBroker(opts ...embedded.Option) (host string, port int, stop func()) {
	cluster, err := embedded.Start(1, opts...)
	if err != nil {
		panic(err)
	}
	ap := netip.MustParseAddrPort(cluster.Addrs()[0])
	return ap.Addr().String(), int(ap.Port()), cluster.Close
}

// A Kafka exchange: send a size-prefixed request, read the size-prefixed
// response into a buffer that is reused for every response. The response
// body starts with the correlation id (response header v0), then the
// ApiVersions body, whose first field is the error code.
func Example() {
	host, port, stop := exampleBroker()
	defer stop()

	conn, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	// ApiVersions v0, correlation id 1, client id "test".
	request := []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}
	if _, err := conn.Send(request); err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 0, 64<<10)
	body, err := conn.ReceiveFrame(context.Background(), buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	correlationID := int32(binary.BigEndian.Uint32(body[0:4]))
	errorCode := int16(binary.BigEndian.Uint16(body[4:6]))
	fmt.Printf("correlation id %d, error code %d\n", correlationID, errorCode)
	// Output: correlation id 1, error code 0
}

// Per-call deadlines: a context's deadline replaces the IO's timeout for
// that call only.
func ExampleIO_ReceiveContext() {
	host, port, stop := exampleBroker()
	defer stop()
	conn, err := kafkaio.New(kafkaio.Config{Host: host, Port: port})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = conn.ReceiveContext(ctx, 4) // no request was sent, so no response comes
	fmt.Println(errors.Is(err, kafkaerr.CannotRecv), errors.Is(err, context.DeadlineExceeded))
	fmt.Println(conn.IsAlive()) // a failed receive closes the IO
	// Output:
	// true true
	// false
}

// Telling failures apart: NoConnection means nothing of the call went
// through and the peer is gone (reconnect and retry is safe), a timeout is
// a net.Error, and every failure names what happened.
func ExampleNew_errors() {
	_, err := kafkaio.New(kafkaio.Config{Host: "127.0.0.1", Port: 70000})
	fmt.Println(err)
	fmt.Println(errors.Is(err, kafkaerr.MismatchArgument))

	_, err = kafkaio.New(kafkaio.Config{Host: "::1", IPVersion: kafkaio.IPv4})
	fmt.Println(errors.Is(err, kafkaerr.IncompatibleHostIPVersion))

	var kerr *kafkaerr.Error
	if errors.As(err, &kerr) {
		fmt.Println(kerr.Code, int(kerr.Code))
	}
	// Output:
	// Invalid argument: new: Port 70000 is outside 1..65535
	// true
	// true
	// 'Incompatible host name and IP version' -1017
}

// Close may be called from any goroutine; it unblocks a waiting call.
func ExampleIO_Close() {
	host, port, stop := exampleBroker()
	defer stop()
	conn, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		conn.Close()
	}()
	_, err = conn.ReceiveFrame(context.Background(), nil)
	fmt.Println(errors.Is(err, kafkaerr.NoConnection), errors.Is(err, net.ErrClosed))
	// Output: true true
}

// exampleAPIVersions sends ApiVersions v0 and returns the response's error
// code, as Example does.
func exampleAPIVersions(conn *kafkaio.IO) (int16, error) {
	request := []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}
	body, err := conn.RoundTrip(context.Background(), request, nil)
	if err != nil {
		return 0, err
	}
	return int16(binary.BigEndian.Uint16(body[4:6])), nil
}

// TLS: New runs the handshake inside its one budget, verifying the
// broker's certificate against the CAs in RootCAs; ServerName defaults to
// Host. The example's broker has a certificate from a test CA; a program
// reads its own CA's PEM file instead.
func ExampleConfig_tls() {
	host, port, stop := exampleBroker(embedded.TLS(testcerts.Server().ServerConfig()))
	defer stop()

	caPEM := testcerts.CA().CertPEM() // os.ReadFile("ca.pem") in a program
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		fmt.Println("no CA certificate in the PEM")
		return
	}
	conn, err := kafkaio.New(kafkaio.Config{
		Host:    host,
		Port:    port,
		Timeout: 5 * time.Second, // DNS, connect and the handshake together
		TLS:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	state, _ := conn.ConnectionState()
	fmt.Println(tls.VersionName(state.Version), state.PeerCertificates[0].Subject.CommonName)
	code, err := exampleAPIVersions(conn)
	fmt.Println(code, err)
	// Output:
	// TLS 1.3 kafkaio-test-server
	// 0 <nil>
}

// SASL over TLS (SASL_SSL): after the handshake New sends ApiVersions,
// SaslHandshake and the SaslAuthenticate rounds of the mechanism, all
// within its one budget; a wrong password is AuthenticationFailed, and
// the error never holds the password.
func ExampleConfig_sasl() {
	host, port, stop := exampleBroker(
		embedded.TLS(testcerts.Server().ServerConfig()),
		embedded.SASL(embedded.ScramSHA512, "alice", "alice-secret"),
	)
	defer stop()
	cfg := kafkaio.Config{
		Host:    host,
		Port:    port,
		Timeout: 5 * time.Second,
		TLS:     &tls.Config{RootCAs: testcerts.Pool()},
		SASL:    sasl.ScramSHA512("alice", "alice-secret"),
	}
	conn, err := kafkaio.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	code, err := exampleAPIVersions(conn)
	fmt.Println(code, err)

	cfg.SASL = sasl.ScramSHA512("alice", "wrong-secret")
	_, err = kafkaio.New(cfg)
	var kerr *kafkaerr.Error
	if errors.As(err, &kerr) {
		fmt.Println(kerr.Code == kafkaerr.AuthenticationFailed, kerr.Phase)
	}
	// Output:
	// 0 <nil>
	// true sasl authenticate
}

// Session lifetimes (KIP-368): a broker with connections.max.reauth.ms
// closes a connection whose SASL session has expired. SessionExpiry says
// when that is; Reauthenticate runs the exchange again on the open
// connection, between requests, and moves it forward.
func ExampleIO_Reauthenticate() {
	host, port, stop := exampleBroker(
		embedded.SASL(embedded.Plain, "alice", "alice-secret"),
		embedded.BrokerConfigs(map[string]string{"connections.max.reauth.ms": "3600000"}),
	)
	defer stop()
	conn, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, SASL: sasl.Plain("alice", "alice-secret")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	first := conn.SessionExpiry()
	fmt.Println("session ends in", time.Until(first).Round(time.Minute))

	// Nothing may be in flight on the connection meanwhile.
	if err := conn.Reauthenticate(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("moved forward:", conn.SessionExpiry().After(first))
	code, err := exampleAPIVersions(conn)
	fmt.Println(code, err)
	// Output:
	// session ends in 1h0m0s
	// moved forward: true
	// 0 <nil>
}
