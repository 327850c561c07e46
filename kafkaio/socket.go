package kafkaio

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// conn is a connected socket owned by Go's runtime poller: every wait on it
// parks a goroutine, not an OS thread, and its deadlines are the file's.
type conn struct {
	f  *os.File
	rc syscall.RawConn
}

// dialOne connects to one address before deadline, the way net/fd_unix.go
// does: a non-blocking connect, a wait for writability in the poller, then
// SO_ERROR, and getpeername to rule out a spurious wake-up. The error it
// returns is a *net.OpError, so callers see the familiar
// "dial tcp ADDR: connect: connection refused" and errors.Is works on the
// errno. No fd survives a failure.
func dialOne(ctx context.Context, ap netip.AddrPort, deadline time.Time, s *settings) (*conn, error) {
	fd, err := newSocket(ap, s)
	if err != nil {
		return nil, dialError(ap, err)
	}
	sa, err := sockaddr(ap)
	if err != nil {
		unix.Close(fd)
		return nil, dialError(ap, err)
	}
	switch err := unix.Connect(fd, sa); err {
	case nil, unix.EINPROGRESS, unix.EALREADY, unix.EINTR, unix.EISCONN:
		// Connected, or in progress: the wait below settles which.
	default:
		unix.Close(fd)
		return nil, dialError(ap, os.NewSyscallError("connect", err))
	}
	// From here the file owns fd: closing it closes the socket.
	c, err := newConn(fd, ap)
	if err != nil {
		return nil, dialError(ap, err)
	}
	if err := c.awaitConnect(ctx, deadline); err != nil {
		c.f.Close()
		return nil, dialError(ap, err)
	}
	return c, nil
}

// newSocket opens a non-blocking, close-on-exec TCP socket for ap's family
// with the options that must be set before connecting (buffer sizes decide
// the window scale in the SYN).
func newSocket(ap netip.AddrPort, s *settings) (int, error) {
	family := unix.AF_INET
	if ap.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := setOptions(fd, s); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// setOptions applies what Go's net package sets by default and a raw socket
// lacks (TCP_NODELAY, keepalive), and the configured buffer sizes.
func setOptions(fd int, s *settings) error {
	type opt struct {
		name       string
		level, key int
		value      int
		wanted     bool
	}
	// The kernel counts whole seconds; round up, as net.Dialer does, so a
	// configured interval is never shortened.
	keepSecs := int((s.keepAlive + time.Second - 1) / time.Second)
	opts := []opt{
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1, s.noDelay},
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1, s.keepAlive > 0},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, keepSecs, s.keepAlive > 0},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, keepSecs, s.keepAlive > 0},
		{"SO_SNDBUF", unix.SOL_SOCKET, unix.SO_SNDBUF, s.sndBuf, s.sndBuf > 0},
		{"SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, s.rcvBuf, s.rcvBuf > 0},
	}
	for _, o := range opts {
		if !o.wanted {
			continue
		}
		if err := unix.SetsockoptInt(fd, o.level, o.key, o.value); err != nil {
			return os.NewSyscallError("setsockopt "+o.name, err)
		}
	}
	return nil
}

// sockaddr converts ap, resolving an IPv6 zone name to its interface index.
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, error) {
	ip := ap.Addr()
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}
	if zone := ip.Zone(); zone != "" {
		id, err := zoneIndex(zone)
		if err != nil {
			return nil, err
		}
		sa.ZoneId = id
	}
	return sa, nil
}

// zoneIndex accepts a zone as an interface name ("eth0") or, as the net
// package does, as a numeric index ("2").
func zoneIndex(zone string) (uint32, error) {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// fileName names every socket's os.File. The name only shows in the
// errors of the file's own methods, which kafkaio never returns.
const fileName = "kafkaio socket"

// newConn hands fd to the runtime poller. os.NewFile registers a
// non-blocking descriptor with the poller; SyscallConn then lets every
// syscall run on the raw fd while waits go through the poller. (Fd() is never
// called: it would switch the socket back to blocking mode.)
func newConn(fd int, ap netip.AddrPort) (*conn, error) {
	f := os.NewFile(uintptr(fd), fileName) // a constant: a name per socket would cost an allocation
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &conn{f: f, rc: rc}, nil
}

// awaitConnect waits until the connect in progress completes, fails, or the
// deadline passes or ctx is cancelled. A connect that completes in the same
// instant as a cancellation still fails: the caller asked to give up.
func (c *conn) awaitConnect(ctx context.Context, deadline time.Time) error {
	if err := c.f.SetWriteDeadline(deadline); err != nil {
		return err
	}
	stop := onCancel(ctx, func() { _ = c.f.SetWriteDeadline(aLongTimeAgo) })
	var connErr error
	waitErr := c.rc.Write(func(fd uintptr) bool {
		connErr = connectResult(int(fd))
		return connErr != errConnecting
	})
	if stop != nil {
		stop()
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case waitErr != nil:
		return waitErr
	case connErr != nil:
		return connErr
	}
	return c.f.SetWriteDeadline(time.Time{})
}

// errConnecting means the connect is still in progress: wait again.
var errConnecting = &net.AddrError{Err: "connect in progress"}

// connectResult reads the outcome of a non-blocking connect.
func connectResult(fd int) error {
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	switch e := syscall.Errno(soerr); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return errConnecting
	case 0:
		// Writable with no error can be a spurious wake-up; only a peer
		// name proves the connection exists.
		if _, err := unix.Getpeername(fd); err == nil {
			return nil
		} else if err == unix.ENOTCONN {
			return errConnecting
		} else {
			return os.NewSyscallError("getpeername", err)
		}
	default:
		return os.NewSyscallError("connect", e)
	}
}

// dialError wraps err the way net.Dial reports a failed dial.
func dialError(ap netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
}
