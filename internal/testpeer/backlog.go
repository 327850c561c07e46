package testpeer

import (
	"testing"
	"time"
)

const (
	// settleConnect is how long a connect to a full listener must stay
	// pending before FullBacklog believes the queue is full. Loopback
	// connects otherwise complete in microseconds.
	settleConnect = 100 * time.Millisecond
	// maxFill bounds the connects FullBacklog makes; with backlog 0 Linux
	// queues one connection, so a few suffice anywhere sane.
	maxFill = 64
)

// FullBacklog returns the loopback address (host and port) of a listener
// whose accept queue is full, so that a new connect to it neither succeeds
// nor is refused: the SYN is dropped and the client waits until its own
// timeout. Use it to test connect timeouts.
//
// The listener has backlog 0 and never accepts; FullBacklog connects to it
// until a connect stays pending for 100 ms. Everything is closed by
// tb.Cleanup. network is "tcp4" or "tcp6" (skipped without IPv6 loopback).
func FullBacklog(tb testing.TB, network string) (host string, port int) {
	tb.Helper()
	lb := loopbackFor(tb, network)
	return lb.host(), fullBacklog(tb, lb, 0)
}

// fullBacklog fills the accept queue of a listener on lb's address and port
// (0: any free one) and returns its port.
func fullBacklog(tb testing.TB, lb loopback, port int) int {
	tb.Helper()
	lfd, port, err := rawListen(lb, port, 0)
	if err != nil {
		skipIfNoIPv6(tb, lb, err)
		tb.Fatalf("testpeer: FullBacklog: listen: %v", err)
	}
	fds := []int{lfd}
	tb.Cleanup(func() { closeAll(fds) })

	for range maxFill {
		fd, err := startConnect(lb, port)
		if err != nil {
			tb.Fatalf("testpeer: FullBacklog: connect to %s: %v", lb.tcpAddr(port), err)
		}
		fds = append(fds, fd)
		done, err := awaitConnect(fd, settleConnect)
		if err != nil {
			tb.Fatalf("testpeer: FullBacklog: connect to %s: %v", lb.tcpAddr(port), err)
		}
		if !done {
			return port // this SYN was dropped: the queue is full
		}
	}
	tb.Fatalf("testpeer: FullBacklog: %d connects to %s all completed; the accept queue never filled",
		maxFill, lb.tcpAddr(port))
	return 0
}
