package testpeer

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Raw sockets, for what package net cannot do: a listener that never
// accepts, with a backlog of our choosing, and connects that are started and
// left pending without a goroutine each.

// rawSocket opens a non-blocking, close-on-exec TCP socket of lb's family.
func rawSocket(lb loopback) (int, error) {
	return unix.Socket(lb.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func (lb loopback) sockaddr(port int) unix.Sockaddr {
	if lb.family == unix.AF_INET {
		return &unix.SockaddrInet4{Port: port, Addr: lb.addr.As4()}
	}
	return &unix.SockaddrInet6{Port: port, Addr: lb.addr.As16()}
}

// rawListen opens a socket listening on lb's address and port (0: a free
// one) with the given backlog and returns it with its port.
func rawListen(lb loopback, port, backlog int) (fd, boundPort int, err error) {
	fd, err = rawSocket(lb)
	if err != nil {
		return -1, 0, err
	}
	if err = unix.Bind(fd, lb.sockaddr(port)); err == nil {
		err = unix.Listen(fd, backlog)
	}
	if err == nil {
		boundPort, err = localPort(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	return fd, boundPort, nil
}

func localPort(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return sa.Port, nil
	case *unix.SockaddrInet6:
		return sa.Port, nil
	}
	return 0, errors.New("getsockname: not an internet address")
}

// startConnect opens a socket and starts a non-blocking connect to port. The
// socket is returned even when the connect is still in progress.
func startConnect(lb loopback, port int) (int, error) {
	fd, err := rawSocket(lb)
	if err != nil {
		return -1, err
	}
	err = unix.Connect(fd, lb.sockaddr(port))
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// awaitConnect waits up to timeout for a connect started by startConnect.
// It reports whether the connect completed; a connect that failed returns
// its error (from SO_ERROR).
func awaitConnect(fd int, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		wait := time.Until(deadline)
		if wait <= 0 {
			return false, nil
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, err := unix.Poll(fds, int(wait.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue // the Go runtime's preemption signals interrupt poll
		}
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, nil
		}
		soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return false, err
		}
		if soErr != 0 {
			return false, unix.Errno(soErr)
		}
		return true, nil
	}
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
