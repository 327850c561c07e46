package kafkaio

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The syscalls on the hot path, called with raw arguments: x/sys's wrappers
// either do not return the byte count (Sendto) or build a msghdr
// (SendmsgN), and these run once per chunk, so they must not allocate.

// sendNoSignal writes p with send(2). MSG_NOSIGNAL turns a write to a reset
// connection into EPIPE instead of a SIGPIPE that would kill a process that
// embeds kafkaio with the signal not ignored (a c-shared library, say).
func sendNoSignal(fd int, p []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd),
		uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// recvInto reads at most len(p) bytes, as many as the socket has: the
// receive path offers the whole free part of its read buffer, which is how
// it reads ahead.
func recvInto(fd int, p []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd),
		uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// peekState looks at the receive queue without consuming it or waiting. It
// returns 1 when data is waiting, 0 at EOF (the peer closed), or an errno:
// EAGAIN for an open, idle connection, ECONNRESET for a reset one.
func peekState(fd int) (int, error) {
	var b [1]byte
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd),
		uintptr(unsafe.Pointer(&b[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
