package kafkaerr_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// refusedPort returns a loopback port that nothing listens on.
func refusedPort() int {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// errors.Is matches an error's Code and its cause; errors.As gives the
// details of a real failure: a connect to a port where nothing listens.
func Example() {
	_, err := kafkaio.New(kafkaio.Config{Host: "127.0.0.1", Port: refusedPort()})

	fmt.Println(errors.Is(err, kafkaerr.CannotBind))      // the class of failure
	fmt.Println(errors.Is(err, syscall.ECONNREFUSED))     // the cause, kept in the chain
	fmt.Println(errors.Is(err, context.DeadlineExceeded)) // not a timeout

	var e *kafkaerr.Error
	if errors.As(err, &e) {
		fmt.Println(int(e.Code), e.Code, "|", e.Op, "|", e.Phase)
	}
	// Output:
	// true
	// true
	// false
	// -1004 Cannot connect to broker | new | connect
}

// A deadline is a timeout whichever clock ran out: the error matches both
// deadline sentinels and is a net.Error whose Timeout is true.
func Example_timeout() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	conn, err := kafkaio.New(kafkaio.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = conn.ReceiveFrame(ctx, nil)

	var ne net.Error
	fmt.Println(errors.Is(err, kafkaerr.CannotRecv), errors.As(err, &ne) && ne.Timeout())
	fmt.Println(errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded))
	// Output:
	// true true
	// true true
}

// A Code is itself an error, so it can be compared and printed alone.
func ExampleCode() {
	err := fmt.Errorf("fetch: %w", kafkaerr.MismatchCorrelationID)
	fmt.Println(errors.Is(err, kafkaerr.MismatchCorrelationID), int(kafkaerr.MismatchCorrelationID))
	fmt.Println(kafkaerr.NoConnection)
	// Output:
	// true -1009
	// 'No connection'
}
