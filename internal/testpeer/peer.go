package testpeer

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
)

// Peer is a TCP server on loopback that runs a script of steps on every
// connection it accepts. Its methods are safe for concurrent use.
type Peer struct {
	lb    loopback
	ln    *net.TCPListener
	port  int
	steps []Step

	// ctx is cancelled by Close; steps that wait (Sleep, Stall, the pauses of
	// Dribble and SlowRead) watch it so that Close never waits for them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and one goroutine per connection

	received  recorder
	firstDone chan struct{} // closed when the first connection's script ends
	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	conns    map[*net.TCPConn]struct{} // open connections, closed by Close
	accepted int
	err      error    // first unexpected error
	events   []string // scripts that ended early because the client went away
}

// Start listens on a free loopback port of network ("tcp4" for 127.0.0.1,
// "tcp6" for [::1]) and runs steps on every connection it accepts, each in its
// own goroutine. The peer is closed by tb.Cleanup. When IPv6 loopback is not
// available, a "tcp6" peer skips the test.
func Start(tb testing.TB, network string, steps ...Step) *Peer {
	tb.Helper()
	return startPeer(tb, loopbackFor(tb, network), 0, steps)
}

// startPeer listens on lb's address and port (0: any free one) and serves steps.
func startPeer(tb testing.TB, lb loopback, port int, steps []Step) *Peer {
	tb.Helper()
	ln, err := listen(lb, port, steps)
	if err != nil {
		skipIfNoIPv6(tb, lb, err)
		tb.Fatalf("testpeer: listen on %s: %v", lb.tcpAddr(port), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Peer{
		lb:        lb,
		ln:        ln,
		port:      ln.Addr().(*net.TCPAddr).Port,
		steps:     append([]Step(nil), steps...),
		ctx:       ctx,
		cancel:    cancel,
		firstDone: make(chan struct{}),
		conns:     make(map[*net.TCPConn]struct{}),
	}
	tb.Cleanup(p.Close)
	p.wg.Go(p.acceptLoop)
	return p
}

// listen opens the listening socket. If the script sets a receive buffer,
// the listener gets it too: a connection inherits the listener's buffer, and
// only a buffer that is small from the handshake on gives a small TCP window.
func listen(lb loopback, port int, steps []Step) (*net.TCPListener, error) {
	var lc net.ListenConfig
	if size, ok := firstRecvBuffer(steps); ok {
		lc.Control = setRecvBufferControl(size)
	}
	ln, err := lc.Listen(context.Background(), lb.network, lb.tcpAddr(port))
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

// Host is the loopback address the peer listens on: "127.0.0.1" or "::1".
func (p *Peer) Host() string { return p.lb.host() }

// Port is the port the peer listens on.
func (p *Peer) Port() int { return p.port }

// Addr is Host and Port joined for net.Dial, e.g. "[::1]:41234".
func (p *Peer) Addr() string { return p.lb.tcpAddr(p.port) }

// Accepted is the number of connections accepted so far.
func (p *Peer) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Received returns a copy of every byte that the reading steps (Read,
// Discard, Echo, SlowRead, EchoFrames) received on all connections, in the
// order the reads completed. Bytes read after NoRecord are not included.
func (p *Peer) Received() []byte { return p.received.snapshot() }

// ReceivedCount is the number of bytes the reading steps received, including
// the bytes read after NoRecord.
func (p *Peer) ReceivedCount() int64 { return p.received.total() }

// Err returns the first unexpected error a step hit, or nil. A client that
// closes or resets its connection is expected, and so is the peer being
// closed: neither is an error (see Events).
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Events describes each script that ended early because its client went
// away, e.g. "conn 1, step 2 Read(4): client went away: EOF".
func (p *Peer) Events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.events...)
}

// Done is closed when the script of the first accepted connection has
// finished, whether it ran to its end, ended early or was stopped by Close.
func (p *Peer) Done() <-chan struct{} { return p.firstDone }

// Close stops the peer: it closes the listener and every open connection,
// interrupts steps that wait, and returns when all of the peer's goroutines
// have ended. It is safe to call more than once. A connection on which the
// client sent bytes that the peer has not read is reset rather than closed
// with a FIN.
func (p *Peer) Close() {
	p.closeOnce.Do(func() {
		p.cancel()
		p.ln.Close()
		for _, c := range p.takeConns() {
			c.Close()
		}
	})
	p.wg.Wait()
}

// takeConns marks the peer closed and hands over its open connections.
func (p *Peer) takeConns() []*net.TCPConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	conns := make([]*net.TCPConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.conns = nil
	return conns
}

func (p *Peer) acceptLoop() {
	for {
		c, err := p.ln.AcceptTCP()
		if err != nil {
			if p.ctx.Err() == nil {
				p.fail(fmt.Errorf("testpeer: accept: %w", err))
			}
			return
		}
		index, ok := p.track(c)
		if !ok {
			c.Close() // accepted while Close was running
			return
		}
		p.wg.Go(func() { p.serve(index, c) })
	}
}

// track registers a new connection and returns its 1-based index, or false
// when the peer is already closed.
func (p *Peer) track(c *net.TCPConn) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, false
	}
	p.conns[c] = struct{}{}
	p.accepted++
	return p.accepted, true
}

// release closes c and forgets it, unless Close already took it.
func (p *Peer) release(c *net.TCPConn) error {
	p.mu.Lock()
	_, mine := p.conns[c]
	delete(p.conns, c)
	p.mu.Unlock()
	if !mine {
		return nil
	}
	return c.Close()
}

func (p *Peer) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *Peer) event(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, msg)
}
