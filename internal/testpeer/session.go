package testpeer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// session is one accepted connection running the script.
type session struct {
	peer   *Peer
	conn   *net.TCPConn
	tls    *tls.Conn       // set by TLSHandshake: Read and Write go through it from then on
	ctx    context.Context // done when the peer closes
	record bool            // whether reads are kept for Peer.Received
	kafka  kafkaState      // what the Kafka steps know of this connection (steps_kafka.go)
}

// errEnded is wrapped by the error of a step that hung up on purpose, as a
// broker does after a failed authentication: the script ends there, which
// is listed in Events and is not an Err.
var errEnded = errors.New("script ended by the peer")

// serve runs the script on one connection and decides what each failure
// means: the peer closing, the client going away, or a real error.
func (p *Peer) serve(index int, c *net.TCPConn) {
	if index == 1 {
		defer close(p.firstDone)
	}
	s := &session{peer: p, conn: c, ctx: p.ctx, record: true}
	for i, st := range p.steps {
		err := st.run(s)
		if err == nil {
			continue
		}
		where := fmt.Sprintf("conn %d, step %d %v", index, i+1, st)
		switch {
		case p.ctx.Err() != nil:
			// Close interrupted the step; whatever it returned is a consequence.
		case errors.Is(err, errEnded):
			p.event(fmt.Sprintf("%s: %v", where, err))
			p.release(c) // the step hung up already; this only makes sure
		case clientGone(err):
			p.event(fmt.Sprintf("%s: client went away: %v", where, err))
			p.release(c) // nothing more can happen on it
		default:
			p.fail(fmt.Errorf("testpeer: %s: %w", where, err))
			p.release(c)
		}
		return
	}
}

// clientGone reports whether err means that the client closed or reset its
// connection.
func clientGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, errClientAlert)
}

// Read reads from the connection, or from the TLS stream once TLSHandshake
// ran, and records what it got, so that every reading step can use
// io.ReadFull and friends on the session.
func (s *session) Read(b []byte) (n int, err error) {
	if s.tls != nil {
		n, err = s.tls.Read(b)
	} else {
		n, err = s.conn.Read(b)
	}
	s.peer.received.add(b[:n], s.record)
	return n, err
}

// Write writes all of b to the connection, or to the TLS stream once
// TLSHandshake ran.
func (s *session) Write(b []byte) (int, error) {
	if s.tls != nil {
		return s.tls.Write(b)
	}
	return s.conn.Write(b)
}

// pause waits for d. When the peer closes first it returns at once with the
// context's error, which ends the script quietly.
func (s *session) pause(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// hangUp closes the connection, first arranging for a reset when abort is set.
func (s *session) hangUp(abort bool) error {
	if abort {
		// A zero linger time makes close discard unsent data and send RST.
		if err := s.conn.SetLinger(0); err != nil {
			return err
		}
	}
	return s.peer.release(s.conn)
}
