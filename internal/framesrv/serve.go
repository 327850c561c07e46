package framesrv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
)

// readBufferBytes is the size of each connection's read buffer: a small
// request and its size prefix arrive in one read, while a body larger than
// the buffer is read straight into the request buffer, bypassing it.
const readBufferBytes = 64 << 10

// Server answers requests on the connections it accepts. The zero value is
// ready to use.
type Server struct {
	// ErrorLog receives one line per connection closed because of a
	// malformed request or an IO error other than the client hanging up.
	// nil discards them.
	ErrorLog *log.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Serve runs a zero Server on ln; see Server.Serve.
func Serve(ln net.Listener) error {
	var s Server
	return s.Serve(ln)
}

// Serve accepts connections on ln and answers each one's requests in its own
// goroutine, in order, until ln is closed. It then closes every open
// connection, waits for their goroutines and returns nil; any other accept
// error is returned the same way, after the same cleanup. A connection is
// closed when its client hangs up or sends a malformed request.
func (s *Server) Serve(ln net.Listener) error {
	defer s.shutdown()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if !s.track(c) {
			c.Close()
			return nil
		}
		s.wg.Go(func() { s.serveConn(c) })
	}
}

// track registers c so that shutdown can close it; false when the server
// is already shutting down.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

// shutdown closes every open connection and waits for their goroutines.
func (s *Server) shutdown() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serveConn answers c's requests until it fails, then closes c.
func (s *Server) serveConn(c net.Conn) {
	err := answer(c)
	s.mu.Lock()
	delete(s.conns, c)
	closing := s.closed
	s.mu.Unlock()
	c.Close()
	if err != nil && !closing && !clientGone(err) && s.ErrorLog != nil {
		s.ErrorLog.Printf("conn %v: %v", c.RemoteAddr(), err)
	}
}

// answer is the request loop of one connection. Responses are buffered
// and flushed when the server has no further request in hand, as a broker
// answering pipelined requests does: one request is answered at once,
// many sent together are answered in few writes.
func answer(c net.Conn) error {
	st := &connState{c: c, r: bufio.NewReaderSize(c, readBufferBytes), w: bufio.NewWriterSize(c, writeBufferBytes)}
	for {
		if err := st.next(); err != nil {
			return err
		}
		if st.r.Buffered() == 0 && st.w.Buffered() > 0 {
			if err := st.w.Flush(); err != nil {
				return err
			}
		}
	}
}

// writeBufferBytes is the size of each connection's response buffer; a
// response larger than it is written straight through.
const writeBufferBytes = 64 << 10

// connState is one connection's reader and buffers. They are reused from
// request to request, so that a steady stream of requests costs the server
// no allocation: its garbage collector would otherwise compete with the
// client being measured for the machine's cores.
type connState struct {
	c      net.Conn
	r      *bufio.Reader
	w      *bufio.Writer
	prefix [4]byte
	req    []byte
	resp   []byte
}

// next reads one request and writes its response, if it asks for one.
func (st *connState) next() error {
	body, err := st.readFrame()
	if err != nil {
		return err
	}
	h, err := parseHeader(body)
	if err != nil {
		return err
	}
	if h.responseBytes == 0 {
		return nil // send-only traffic
	}
	st.resp = fillResponse(st.resp, h)
	_, err = st.w.Write(st.resp)
	return err
}

// readFrame reads one size-prefixed frame and returns its body, which stays
// valid until the next call.
func (st *connState) readFrame() ([]byte, error) {
	if _, err := io.ReadFull(st.r, st.prefix[:]); err != nil {
		return nil, err
	}
	size := int(int32(binary.BigEndian.Uint32(st.prefix[:])))
	if size < HeaderBytes || size > MaxFrameBytes-4 {
		return nil, fmt.Errorf("request size %d is outside %d..%d", size, HeaderBytes, MaxFrameBytes-4)
	}
	if cap(st.req) < size {
		st.req = make([]byte, size)
	}
	body := st.req[:size]
	if _, err := io.ReadFull(st.r, body); err != nil {
		return nil, noEOF(err)
	}
	return body, nil
}

// noEOF turns an EOF inside a frame into ErrUnexpectedEOF: the client hung
// up half way through a request, which is worth a log line.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// clientGone reports whether err just means the client closed its
// connection between requests, which every benchmark does at its end.
func clientGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
