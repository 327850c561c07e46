package embedded

import (
	"net"
	"sync"
)

// tracker stands between kfake and its sockets (through kfake.ListenFn). It
// pins the listen address to one loopback host and remembers every listener
// and accepted connection, because kfake's own Close neither waits for its
// accept loops nor promises when client connections drop; Close needs both to
// return with no socket left open.
type tracker struct {
	host string

	mu        sync.Mutex
	stopping  bool
	conns     map[*trackedConn]struct{}
	listeners []*trackedListener
}

func newTracker(host string) *tracker {
	return &tracker{host: host, conns: make(map[*trackedConn]struct{})}
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
	tl := &trackedListener{Listener: ln, t: t, stopped: make(chan struct{})}
	t.mu.Lock()
	t.listeners = append(t.listeners, tl)
	t.mu.Unlock()
	return tl, nil
}

// add registers an accepted connection, or reports false once closeConns
// has run, so a connection accepted during shutdown is not left behind.
func (t *tracker) add(c *trackedConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
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
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
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

// trackedListener reports accepted connections to its tracker and signals
// when Accept fails, which ends kfake's accept loop.
type trackedListener struct {
	net.Listener
	t        *tracker
	stopped  chan struct{}
	stopOnce sync.Once
}

// Accept wraps each connection so the tracker can close it.
func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		l.stopOnce.Do(func() { close(l.stopped) })
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: l.t}
	if !l.t.add(tc) {
		c.Close()
		l.stopOnce.Do(func() { close(l.stopped) })
		return nil, net.ErrClosed
	}
	return tc, nil
}

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
