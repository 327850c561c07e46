package kafkaio_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// apiVersionsV0 is an ApiVersions v0 request: correlation id 1, client id
// "test".
var apiVersionsV0 = []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}

// The net.Conn view reads what is there and takes net.Conn's absolute
// deadlines; its errors are kafkaio's.
func ExampleIO_NetConn() {
	host, port, stop := exampleBroker()
	defer stop()
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port})
	if err != nil {
		fmt.Println(err)
		return
	}
	nc := c.NetConn()
	defer nc.Close() // closes the IO

	if err := nc.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := nc.Write(apiVersionsV0); err != nil {
		fmt.Println(err)
		return
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		fmt.Println(err)
		return
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("correlation id", binary.BigEndian.Uint32(body), "error code", binary.BigEndian.Uint16(body[4:]))
	_, isTCP := nc.LocalAddr().(*net.TCPAddr)
	fmt.Println("local address is a *net.TCPAddr:", isTCP)

	// Nothing more comes: the deadline ends the Read, as a net.Conn's would.
	if err := nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		fmt.Println(err)
		return
	}
	_, err = nc.Read(size[:])
	var ne net.Error
	fmt.Println(errors.As(err, &ne) && ne.Timeout(), errors.Is(err, kafkaerr.CannotRecv))
	// Output:
	// correlation id 1 error code 0
	// local address is a *net.TCPAddr: true
	// true true
}

// A Go Kafka client on kafkaio: franz-go with kafkaio as its dialer, one
// line. sarama takes the same Dialer as Net.Proxy.Dialer, kafka-go its
// DialContext as Transport.Dial and Dialer.DialFunc. TLS and SASL go in the
// Dialer's Config, and the client is configured without them.
func ExampleDialer() {
	cluster, err := embedded.Start(1, embedded.SeedTopics(1, "example")) // a broker with a topic
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	d := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: 5 * time.Second}}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cluster.Addrs()...),
		kgo.Dialer(d.DialContext),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := &kgo.Record{Topic: "example", Value: []byte("over kafkaio")}
	if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("produced %q to %s/%d at offset %d\n", r.Value, r.Topic, r.Partition, r.Offset)
	// Output: produced "over kafkaio" to example/0 at offset 0
}

// Bootstrap connects to the first broker of a list that answers, under one
// budget; when none does, every broker's failure is in the error.
func ExampleBootstrap() {
	host, port, stop := exampleBroker()
	defer stop()
	// A broker that is down: a port nothing listens on any more.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	down := ln.Addr().String()
	ln.Close()
	up := net.JoinHostPort(host, strconv.Itoa(port))

	c, err := kafkaio.Bootstrap(context.Background(), []string{down, up}, kafkaio.Config{Timeout: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("connected to the second broker:", c.Addr() == up)
	c.Close()

	_, err = kafkaio.Bootstrap(context.Background(), []string{down, down}, kafkaio.Config{Timeout: 2 * time.Second})
	var e *kafkaerr.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, "with", 1+len(e.Others), "failures attached")
	}
	_, err = kafkaio.Bootstrap(context.Background(), nil, kafkaio.Config{})
	fmt.Println(errors.Is(err, kafkaerr.NoKnownBrokers))
	// Output:
	// connected to the second broker: true
	// Cannot connect to broker with 2 failures attached
	// true
}

// RoundTrip sends a request frame and returns its response body, checked
// to answer it: the body starts with the request's correlation id.
func ExampleIO_RoundTrip() {
	host, port, stop := exampleBroker()
	defer stop()
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	body, err := c.RoundTrip(context.Background(), apiVersionsV0, make([]byte, 0, 4096))
	if err != nil {
		fmt.Println(err) // a response answering another request is kafkaerr.MismatchCorrelationID
		return
	}
	fmt.Println("correlation id", binary.BigEndian.Uint32(body), "error code", binary.BigEndian.Uint16(body[4:]))
	// Output: correlation id 1 error code 0
}
