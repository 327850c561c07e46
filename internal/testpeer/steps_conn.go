package testpeer

import (
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sleep waits for d, or until the peer closes.
func Sleep(d time.Duration) Step {
	return newStep(fmt.Sprintf("Sleep(%v)", d), func(s *session) error {
		return s.pause(d)
	})
}

// Stall does nothing, neither reading nor writing, until the peer closes: a
// hung server. Writes to it succeed until the socket buffers are full.
func Stall() Step {
	return newStep("Stall()", func(s *session) error {
		<-s.ctx.Done()
		return s.ctx.Err()
	})
}

// FIN shuts down the peer's sending side (shutdown SHUT_WR): the client reads
// EOF, while the peer can still read what the client sends.
func FIN() Step {
	return newStep("FIN()", func(s *session) error {
		return s.conn.CloseWrite()
	})
}

// Close closes the connection. The client reads EOF, unless bytes it sent
// were still unread by the peer: then the kernel sends a reset instead (read
// them first, e.g. with Read or Discard, for a clean EOF).
func Close() Step {
	return newStep("Close()", func(s *session) error {
		return s.hangUp(false)
	})
}

// Reset aborts the connection (SO_LINGER on with a zero timeout, then close):
// the kernel sends RST, and the client's next read or write fails with
// ECONNRESET. As the first step of a script it races the client's connect:
// the client may see the reset as the connect's own error (SO_ERROR) rather
// than on its first read. Put a Read before it for a deterministic order.
func Reset() Step {
	return newStep("Reset()", func(s *session) error {
		return s.hangUp(true)
	})
}

// SetRecvBuffer sets SO_RCVBUF to n bytes (the kernel doubles it for its
// bookkeeping), so that a peer that stops reading fills up after a few
// kilobytes instead of megabytes. The first SetRecvBuffer of a script is also
// applied to the listening socket, since the TCP window is fixed by the
// buffer in place at the handshake.
func SetRecvBuffer(n int) Step {
	if n <= 0 {
		panic(fmt.Sprintf("testpeer: SetRecvBuffer(%d): size must be positive", n))
	}
	return recvBuffer(n)
}

// recvBuffer is SetRecvBuffer's step; a type of its own so that Start can
// find it in a script.
type recvBuffer int

func (n recvBuffer) String() string { return fmt.Sprintf("SetRecvBuffer(%d)", int(n)) }

func (n recvBuffer) run(s *session) error { return s.conn.SetReadBuffer(int(n)) }

// firstRecvBuffer returns the size of the script's first SetRecvBuffer.
func firstRecvBuffer(steps []Step) (int, bool) {
	for _, st := range steps {
		if n, ok := st.(recvBuffer); ok {
			return int(n), true
		}
	}
	return 0, false
}

// setRecvBufferControl is a net.ListenConfig.Control that sets SO_RCVBUF on
// the socket before it listens.
func setRecvBufferControl(size int) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var opErr error
		err := c.Control(func(fd uintptr) {
			opErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, size)
		})
		if err != nil {
			return err
		}
		return opErr
	}
}
