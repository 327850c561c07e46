package embedded

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// tracker stands between kfake and its sockets (through kfake.ListenFn). It
// pins the listen address to one loopback host and remembers every listener
// and accepted connection, because kfake's own Close neither waits for its
// accept loops nor promises when client connections drop; Close needs both to
// return with no socket left open.
//
// It also does TLS, in kfake's place: each accepted connection is tracked as
// the TCP socket it is and handed to kfake wrapped in tls.Server, exactly
// what kfake.TLS would do (tls.NewListener), except that a connection the
// cluster injects for itself (inject) skips TLS.
type tracker struct {
	host string
	tls  *tls.Config // nil: plaintext

	mu        sync.Mutex
	stopping  bool
	down      bool // Cluster.Down: refuse connections until Up
	conns     map[*trackedConn]struct{}
	listeners []*trackedListener
}

func newTracker(host string, tlsConfig *tls.Config) *tracker {
	return &tracker{host: host, tls: tlsConfig, conns: make(map[*trackedConn]struct{})}
}

// listen is the kfake.ListenFn. kfake asks for "127.0.0.1:port"; the port is
// kept (0 picks a free one) and the host replaced by the configured loopback.
func (t *tracker) listen(network, address string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, net.JoinHostPort(t.host, port))
	if err != nil {
		return nil, err
	}
	tl := &trackedListener{t: t, network: network, addr: ln.Addr(), ln: ln,
		stopped: make(chan struct{}), closing: make(chan struct{}), injected: make(chan net.Conn, 1)}
	t.mu.Lock()
	t.listeners = append(t.listeners, tl)
	t.mu.Unlock()
	return tl, nil
}

// add registers an accepted connection, or reports false once closeConns
// has run or while the cluster is down, so that a connection accepted
// during shutdown or Down is not left behind.
func (t *tracker) add(c *trackedConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping || t.down {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *tracker) remove(c *trackedConn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// closeConns closes every accepted connection and refuses new ones.
func (t *tracker) closeConns() {
	t.mu.Lock()
	t.stopping = true
	t.mu.Unlock()
	t.dropConns()
}

// dropConns closes every accepted connection.
func (t *tracker) dropConns() {
	t.mu.Lock()
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// setDown takes every broker off the network (down) or puts it back: see
// Cluster.Down and Cluster.Up.
func (t *tracker) setDown(down bool) error {
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		return net.ErrClosed
	}
	t.down = down
	listeners := append([]*trackedListener(nil), t.listeners...)
	t.mu.Unlock()
	if down {
		for _, l := range listeners {
			l.takeDown()
		}
		t.dropConns()
		return nil
	}
	for _, l := range listeners {
		if err := l.bringUp(); err != nil {
			return err
		}
	}
	return nil
}

// firstListener returns the listener opened first (broker 0's), or nil.
func (t *tracker) firstListener() *trackedListener {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.listeners) == 0 {
		return nil
	}
	return t.listeners[0]
}

// waitAcceptLoops returns once every listener's accept loop has seen its
// final error, i.e. kfake's accept goroutines are on their way out.
func (t *tracker) waitAcceptLoops() {
	t.mu.Lock()
	listeners := append([]*trackedListener(nil), t.listeners...)
	t.mu.Unlock()
	for _, l := range listeners {
		<-l.stopped
	}
}

// trackedListener reports accepted connections to its tracker, wraps them
// in TLS when the tracker has a configuration, and signals when Accept fails,
// which ends kfake's accept loop. While the cluster is down it has no
// socket, and its Accept waits for the one Up opens on the same address:
// kfake's accept loop never sees the outage.
type trackedListener struct {
	t        *tracker
	network  string
	addr     net.Addr
	stopped  chan struct{}
	stopOnce sync.Once
	closing  chan struct{} // closed by Close
	injected chan net.Conn // connections for the next Accept, without TLS

	mu     sync.Mutex
	ln     net.Listener  // the socket; nil while down or once closed
	up     chan struct{} // while down: closed when the socket is back
	closed bool
}

// Accept returns the next connection: one injected by the cluster itself,
// or else the next one a client opens.
func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		select {
		case c := <-l.injected:
			return l.admit(c, false)
		default:
		}
		ln, up, closed := l.current()
		switch {
		case closed:
			l.stop()
			return nil, net.ErrClosed
		case ln == nil: // down: wait for Up
			select {
			case <-up:
			case c := <-l.injected:
				return l.admit(c, false)
			case <-l.closing:
			}
			continue
		}
		c, err := ln.Accept()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// inject set a deadline in the past to wake us; it is the
			// only deadline ever set on the listener.
			if err := setDeadline(ln, time.Time{}); err == nil {
				continue
			}
		}
		if err != nil {
			if l.replaced(ln) {
				continue // Down or Close took this socket away; see above
			}
			l.stop()
			return nil, err
		}
		if conn, err := l.admit(c, l.t.tls != nil); conn != nil || !errors.Is(err, errDown) {
			return conn, err
		}
	}
}

// errDown is admit's answer for a connection that arrived as the cluster
// went down: it is closed, and Accept goes on.
var errDown = errors.New("the cluster is down")

// admit tracks c and returns it as kfake gets it: wrapped in TLS when secure.
func (l *trackedListener) admit(c net.Conn, secure bool) (net.Conn, error) {
	tc := &trackedConn{Conn: c, t: l.t}
	if !l.t.add(tc) {
		c.Close()
		l.t.mu.Lock()
		down := l.t.down && !l.t.stopping
		l.t.mu.Unlock()
		if down {
			return nil, errDown
		}
		l.stop()
		return nil, net.ErrClosed
	}
	if secure {
		return tls.Server(tc, l.t.tls), nil
	}
	return tc, nil
}

// current returns the socket, or nil and the channel closed when it is
// back, and whether the listener is closed for good.
func (l *trackedListener) current() (net.Listener, <-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ln, l.up, l.closed
}

// replaced reports whether ln is no longer the listener's socket.
func (l *trackedListener) replaced(ln net.Listener) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed || l.ln != ln
}

// takeDown closes the socket, so that connects are refused, until bringUp.
func (l *trackedListener) takeDown() {
	l.mu.Lock()
	ln := l.ln
	if ln != nil {
		l.ln, l.up = nil, make(chan struct{})
	}
	l.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// bringUp listens again on the listener's address.
func (l *trackedListener) bringUp() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	if l.ln != nil {
		return nil
	}
	ln, err := net.Listen(l.network, l.addr.String())
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", l.addr, err)
	}
	l.ln = ln
	close(l.up)
	return nil
}

// Addr returns the address the listener has, down or up.
func (l *trackedListener) Addr() net.Addr { return l.addr }

// Close closes the listener for good; kfake's accept loop then ends.
func (l *trackedListener) Close() error {
	l.mu.Lock()
	ln := l.ln
	first := !l.closed
	l.ln, l.closed = nil, true
	l.mu.Unlock()
	if first {
		close(l.closing)
	}
	if ln != nil {
		return ln.Close()
	}
	return nil
}

// inject makes the next Accept return c (without TLS), waking an Accept that
// is waiting for a client. The cluster uses it to talk to itself.
func (l *trackedListener) inject(c net.Conn) {
	l.injected <- c
	if ln, _, _ := l.current(); ln != nil {
		setDeadline(ln, time.Unix(1, 0)) // a closed listener has nothing to wake
	}
}

func setDeadline(ln net.Listener, t time.Time) error {
	d, ok := ln.(interface{ SetDeadline(time.Time) error })
	if !ok {
		return errors.ErrUnsupported
	}
	return d.SetDeadline(t)
}

func (l *trackedListener) stop() { l.stopOnce.Do(func() { close(l.stopped) }) }

// trackedConn forgets itself in its tracker when closed.
type trackedConn struct {
	net.Conn
	t *tracker
}

// Close closes the connection; kfake and the tracker may both call it.
func (c *trackedConn) Close() error {
	c.t.remove(c)
	return c.Conn.Close()
}
