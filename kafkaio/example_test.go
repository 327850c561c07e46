package kafkaio_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// exampleBroker starts a Kafka-protocol broker on loopback (franz-go's
// kfake, in this process) so that the examples run against something that
// answers as Kafka does. A real program connects to its own brokers.
func exampleBroker() (host string, port int, stop func()) {
	cluster, err := embedded.Start(1)
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
