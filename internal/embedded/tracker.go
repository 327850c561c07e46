package embedded

import (
	"crypto/tls"
	"errors"
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
	tl := &trackedListener{Listener: ln, t: t, stopped: make(chan struct{}), injected: make(chan net.Conn, 1)}
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
// which ends kfake's accept loop.
type trackedListener struct {
	net.Listener
	t        *tracker
	stopped  chan struct{}
	stopOnce sync.Once
	injected chan net.Conn // connections for the next Accept, without TLS
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
		c, err := l.Listener.Accept()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// inject set a deadline in the past to wake us; it is the
			// only deadline ever set on the listener.
			if err := l.setDeadline(time.Time{}); err == nil {
				continue
			}
		}
		if err != nil {
			l.stop()
			return nil, err
		}
		return l.admit(c, l.t.tls != nil)
	}
}

// admit tracks c and returns it as kfake gets it: wrapped in TLS when secure.
func (l *trackedListener) admit(c net.Conn, secure bool) (net.Conn, error) {
	tc := &trackedConn{Conn: c, t: l.t}
	if !l.t.add(tc) {
		c.Close()
		l.stop()
		return nil, net.ErrClosed
	}
	if secure {
		return tls.Server(tc, l.t.tls), nil
	}
	return tc, nil
}

// inject makes the next Accept return c (without TLS), waking an Accept that
// is waiting for a client. The cluster uses it to talk to itself.
func (l *trackedListener) inject(c net.Conn) {
	l.injected <- c
	l.setDeadline(time.Unix(1, 0)) // a closed listener has nothing to wake
}

func (l *trackedListener) setDeadline(t time.Time) error {
	d, ok := l.Listener.(interface{ SetDeadline(time.Time) error })
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
