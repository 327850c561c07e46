package kafkaio

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// IO is one blocking connection to a Kafka broker.
//
// Send and Receive calls block until they have moved every byte, failed, or
// run out of time; each call has one deadline for the whole of it. After any
// Send or Receive failure the IO closes itself: the stream may be out of
// step, and a late response must never be read as the answer to the next
// request. Argument errors close nothing.
//
// Receives read ahead: each read from the socket asks for as much as the
// IO's read buffer holds, so one syscall can bring in several pipelined
// responses, and a response already read ahead is returned without a
// syscall. The bytes still come out in order and exactly as asked, and a
// response that arrives after its receive gave up is never returned: a
// failed receive closes the IO and discards what it had read ahead. The
// buffer is taken from a pool when a receive needs it and given back when a
// receive empties it, so an idle connection holds none. Bytes read ahead
// count as unread data for Send's peer check (which, like a peek, cannot
// see a close behind them) and make no difference to IsAlive (which reads
// the TCP state: a connection whose peer has closed is not alive, even
// while responses it sent before closing are still buffered).
//
// Concurrency: one Send and one Receive (of any kind) may run at the same
// time from two goroutines, which is how a pipelining client uses a
// connection. Concurrent Sends are serialised, as are concurrent Receives,
// each call moving its bytes as one unit. Close, IsAlive and the accessors
// are safe at any time; Close unblocks calls in progress.
type IO struct {
	f       *os.File                   // the socket, owned by the runtime poller
	rc      syscall.RawConn            // f's, through which every syscall runs
	remote  netip.AddrPort             // the broker's address, as connected
	timeout time.Duration              // each call's budget when its context has none
	sec     *tlsState                  // nil on a plaintext connection
	ext     *extras                    // what a default Config does not need; nil then
	dbgs    atomic.Pointer[debugState] // made at the connection's first debug output

	closed atomic.Bool
	once   sync.Once
	cerr   error
	why    string // why the IO closed: the failure that closed it, or Close; set once, before closed

	wlock    callLock    // serialises senders
	rlock    callLock    // serialises receivers; guards rb, hdr and answered
	rb       readBuf     // bytes read ahead
	maxResp  int32       // the largest response accepted
	hdr      [4]byte     // the size prefix ReceiveFrame reads
	buffered atomic.Bool // rb holds bytes (read by Send's peer check)
	waiting  atomic.Bool // a receive is reading from the socket (read by Send's peer check)
	answered bool        // a byte has been received on the connection
}

// extras are the parts of an IO that only some configurations use, kept
// out of line so that an idle connection with a default Config is small.
type extras struct {
	log logrus.FieldLogger // Config.Logger
	neg *negotiation       // what New's ApiVersions and SASL found
}

// logger returns Config.Logger, or nil for kafkadebug's default.
func (c *IO) logger() logrus.FieldLogger {
	if c.ext == nil {
		return nil
	}
	return c.ext.log
}

// localAddr returns the socket's local address; the zero AddrPort if the
// kernel cannot say.
func (c *IO) localAddr() netip.AddrPort {
	var local netip.AddrPort
	_ = c.rc.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		if err != nil {
			return
		}
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			local = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
		case *unix.SockaddrInet6:
			local = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
		}
	})
	return local
}

// Addr returns the broker's address as connected, "host:port" with an IPv6
// host in brackets.
func (c *IO) Addr() string { return c.remote.String() }

// LocalAddr returns the connection's local "host:port".
func (c *IO) LocalAddr() string { return c.localAddr().String() }

// localTCPAddr and remoteTCPAddr are the addresses as net.Conn gives them.
func (c *IO) localTCPAddr() *net.TCPAddr  { return net.TCPAddrFromAddrPort(c.localAddr()) }
func (c *IO) remoteTCPAddr() *net.TCPAddr { return net.TCPAddrFromAddrPort(c.remote) }

// Timeout returns the default budget of each Send and Receive call.
func (c *IO) Timeout() time.Duration { return c.timeout }

// Close closes the connection. It unblocks any Send or Receive in progress,
// which then fail with net.ErrClosed in the chain: kafkaerr.NoConnection if
// nothing of that call had moved yet, CannotSend or CannotRecv if some of it
// had. Close is idempotent: later calls return the first call's result.
// Every call made after the IO closed, by Close or by a failure, is
// kafkaerr.NoConnection with net.ErrClosed in the chain, and its message
// says why the IO closed ("Close was called", or the failure that closed it:
// "receive failed (wait readable): i/o timeout").
//
// On a TLS connection Close first sends a close_notify alert, if the
// socket can take it without waiting and no Send is writing; a close
// after a failure sends none, since the stream may be broken.
func (c *IO) Close() error { return c.close(closedByCaller) }

// closedByCaller is why an IO closed by Close closed.
const closedByCaller = "Close was called"

// close closes the IO once, recording why for the errors of later calls.
func (c *IO) close(why string) error {
	c.once.Do(func() {
		c.why = why
		c.closed.Store(true)
		if c.sec != nil && why == closedByCaller {
			c.closeTLS()
		}
		c.cerr = c.f.Close()
		c.dbg().closed(why)
	})
	return c.cerr
}

// closeReason says why the IO closed, or "" while it is open.
func (c *IO) closeReason() string {
	if !c.closed.Load() {
		return ""
	}
	return c.why
}

// IsAlive reports whether the connection is open, has no pending error,
// and the peer has neither closed nor reset it. It never waits and never
// opens a second connection. Responses read ahead and not yet returned do
// not make a connection whose peer has closed alive.
//
// It asks the kernel for the connection's TCP state (TCP_INFO) instead of
// reading SO_ERROR or peeking: both of those clear a pending error, so a
// reset seen by IsAlive would reach the next Receive as a plain EOF. A peer
// that sent FIN leaves the state ESTABLISHED for CLOSE_WAIT, a reset or
// socket error for CLOSE: only ESTABLISHED is alive.
func (c *IO) IsAlive() bool {
	if c.closed.Load() {
		return false
	}
	alive := false
	err := c.rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		alive = err == nil && info.State == tcpEstablished
	})
	return err == nil && alive
}

// tcpEstablished is Linux's TCP_ESTABLISHED state in tcp_info.
const tcpEstablished = 1
