package testpeer

import (
	"context"
	"fmt"
	"net"
)

// Step is one action of a peer's script. Steps are made by the constructors
// of this package (Read, Write, Reset, ...) or by Func for anything else. A
// Step holds no per-connection state, so one script serves any number of
// connections.
type Step interface {
	// String names the step in errors and events, e.g. "Read(4)".
	String() string
	run(s *session) error
}

// step is a Step made of a name and a function.
type step struct {
	name string
	fn   func(s *session) error
}

func newStep(name string, fn func(*session) error) Step {
	return step{name: name, fn: fn}
}

func (st step) String() string       { return st.name }
func (st step) run(s *session) error { return st.fn(s) }

// Func is a custom step: fn gets the connection and a context that is
// cancelled when the peer closes (the connection is closed then too). Its
// error is treated like a built-in step's: EOF, a reset or a broken pipe end
// the script quietly, anything else becomes Peer.Err. Bytes fn reads are not
// recorded in Peer.Received. fn must not call the peer's Close.
func Func(name string, fn func(ctx context.Context, conn *net.TCPConn) error) Step {
	return newStep(fmt.Sprintf("Func(%s)", name), func(s *session) error {
		return fn(s.ctx, s.conn)
	})
}

// NoRecord makes the following steps of the script stop keeping the bytes
// they read (they are still counted in Peer.ReceivedCount), so that a
// benchmark can push gigabytes through Discard or Echo without the peer
// holding on to them.
func NoRecord() Step {
	return newStep("NoRecord()", func(s *session) error {
		s.record = false
		return nil
	})
}
