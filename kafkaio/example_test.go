package kafkaio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// exampleBroker starts a loopback server that answers every request frame
// with the same frame, standing in for a broker so the examples run.
func exampleBroker() (host string, port int, stop func()) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port, func() { ln.Close() }
}

// A Kafka exchange: send a size-prefixed request, read the size-prefixed
// response into a buffer that is reused for every response.
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
	fmt.Printf("%d bytes, correlation id %d\n", len(body), int32(body[4])<<24|int32(body[5])<<16|int32(body[6])<<8|int32(body[7]))
	// Output: 14 bytes, correlation id 1
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
	_, err = conn.ReceiveContext(ctx, 4) // nothing was asked, so nothing comes
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
