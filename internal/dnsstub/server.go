package dnsstub

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Config says how the server behaves.
type Config struct {
	// Hosts are the names the server knows (matched without case, with or
	// without a trailing dot) and their addresses; it answers an A question
	// with the IPv4 ones and AAAA with the IPv6 ones. Every other name gets
	// NXDOMAIN.
	Hosts map[string][]netip.Addr
	// Delay is how long the server waits before answering a query.
	Delay time.Duration
	// Silent makes the server read every query and never answer: a name
	// server that is down or black-holed, from the client's side.
	Silent bool
}

// Server is a DNS server on 127.0.0.1, UDP and TCP on the same port.
type Server struct {
	cfg   Config
	hosts map[string][]netip.Addr // Config.Hosts with normalised names
	udp   *net.UDPConn
	tcp   *net.TCPListener
	addr  netip.AddrPort

	ctx    context.Context // cancelled by Close: pending answers are dropped
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	queries atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{} // open TCP connections, closed by Close
}

// Start listens on a free port of 127.0.0.1 (UDP and TCP) and serves
// queries as cfg says until tb's cleanup, which closes the server.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := listen(cfg)
	if err != nil {
		tb.Fatalf("dnsstub: %v", err)
	}
	tb.Cleanup(s.Close)
	s.wg.Go(s.serveUDP)
	s.wg.Go(s.acceptTCP)
	return s
}

// Silent starts a server that never answers.
func Silent(tb testing.TB) *Server {
	tb.Helper()
	return Start(tb, Config{Silent: true})
}

// listen opens the UDP socket on a free port, then TCP on the same port; a
// port free for UDP can be taken for TCP, so it tries a few.
func listen(cfg Config) (*Server, error) {
	var lastErr error
	for range 10 {
		udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			udp.Close()
			lastErr = err
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		return &Server{
			cfg:    cfg,
			hosts:  normaliseHosts(cfg.Hosts),
			udp:    udp,
			tcp:    tcp,
			addr:   netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)),
			ctx:    ctx,
			cancel: cancel,
			conns:  make(map[net.Conn]struct{}),
		}, nil
	}
	return nil, lastErr
}

func normaliseHosts(in map[string][]netip.Addr) map[string][]netip.Addr {
	out := make(map[string][]netip.Addr, len(in))
	for name, addrs := range in {
		out[strings.ToLower(strings.TrimSuffix(name, "."))] = addrs
	}
	return out
}

// Addr is the server's address, 127.0.0.1 and its port, for UDP and TCP.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Queries is the number of queries received so far, answered or not. A test
// can check it to prove that a lookup really went to the stub.
func (s *Server) Queries() int { return int(s.queries.Load()) }

// Resolver returns a pure-Go resolver that sends every query to the server,
// over UDP or TCP as the resolver chooses, whatever address it meant to ask.
//
// Its connections give up when the query's context ends. Go's resolver does
// not do that by itself: a lookup whose caller gave up keeps its goroutine
// and socket waiting for an answer until resolv.conf's own timeout (5 s by
// default), which a leak check taken after the caller returned would count
// against the caller.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, s.addr.String())
			if err != nil {
				return nil, err
			}
			// A past deadline wakes the resolver's read at once. The
			// context is the resolver's own for this exchange, cancelled
			// when it ends, so the hook never outlives the connection's use.
			context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
			return c, nil
		},
	}
}

// Close stops the server: it closes its sockets and every TCP connection,
// drops the answers not yet sent, and waits for its goroutines. It is safe
// to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.cancel()
		s.udp.Close()
		s.tcp.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.conns = nil
		s.mu.Unlock()
	})
	s.wg.Wait()
}

// respond works out the reply to one query and hands it to send, after
// Config.Delay, on a goroutine of its own so that a slow answer delays no
// other query. A silent server only counts the query.
func (s *Server) respond(msg []byte, send func([]byte)) {
	s.queries.Add(1)
	if s.cfg.Silent {
		return
	}
	reply := s.reply(msg)
	if reply == nil {
		return
	}
	s.wg.Go(func() {
		if s.cfg.Delay > 0 {
			t := time.NewTimer(s.cfg.Delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-s.ctx.Done():
				return
			}
		}
		send(reply)
	})
}

// reply is the answer to msg, or nil for bytes too short to answer at all.
func (s *Server) reply(msg []byte) []byte {
	q, err := parseQuery(msg)
	if err != nil {
		if len(msg) < 2 {
			return nil
		}
		return formatError(binary.BigEndian.Uint16(msg))
	}
	addrs, known := s.hosts[q.name]
	return answer(q, addrs, known)
}

func (s *Server) serveUDP() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		msg := append([]byte(nil), buf[:n]...)
		s.respond(msg, func(reply []byte) {
			_, _ = s.udp.WriteToUDPAddrPort(reply, from) // the client may be gone: nothing to do
		})
	}
}

func (s *Server) acceptTCP() {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return // closed
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Go(func() { s.serveTCP(c) })
	}
}

// track registers c so that Close can close it; false once the server is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// serveTCP reads length-prefixed queries until the client or the server
// closes the connection. Replies are written under a lock, since delayed
// replies to pipelined queries may be ready at the same time.
func (s *Server) serveTCP(c net.Conn) {
	defer s.untrack(c)
	var wmu sync.Mutex
	var prefix [2]byte
	for {
		if _, err := io.ReadFull(c, prefix[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(prefix[:]))
		if _, err := io.ReadFull(c, msg); err != nil {
			return
		}
		s.respond(msg, func(reply []byte) {
			framed := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
			wmu.Lock()
			defer wmu.Unlock()
			_, _ = c.Write(append(framed, reply...))
		})
	}
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns != nil {
		delete(s.conns, c)
	}
	c.Close()
}
