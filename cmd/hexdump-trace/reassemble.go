package main

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxFrameSize is the largest size prefix taken as a Kafka frame: the
// broker's default socket.request.max.bytes and kafkaio's response cap.
const maxFrameSize = 100 << 20

// connKey names one connection: the writer's fields and the broker address.
type connKey struct{ writer, addr string }

// frame is one whole Kafka frame, size prefix included.
type frame struct {
	dir  direction
	conn connKey
	line int // header line of the dump that holds the frame's first byte
	time time.Time
	// data is the frame as the log has it: all of it, or, when the log
	// redacted some of it, the bytes before the redacted ones.
	data []byte
	// size is the frame's length, size prefix included; redacted of its
	// bytes were left out of the log (kafkaio's SASL redaction), and after
	// bytes after those were in the log but are not kept, since nothing
	// after a redacted byte is decoded or shown.
	size     int
	redacted int
	after    int
	// unplaced says the log's dumper did not know where frames began when
	// it left bytes of this frame out.
	unplaced bool
}

// stream is one direction of one connection.
type stream struct {
	buf  []byte
	line int
	time time.Time
	// cur is a frame that lost bytes to redaction: its remaining bytes
	// are counted, not kept.
	cur *frame
	// resync is set after bytes were lost: chunks are skipped until one
	// looks like the start of a frame.
	resync bool
}

type streamKey struct {
	conn connKey
	dir  direction
}

// reassembler joins chunks into frames: kafkaio reads a response as a 4-byte
// size and then the body, and a log may cut a frame anywhere.
type reassembler struct {
	streams map[streamKey]*stream
	emit    func(frame)
	report  reporter
	// quiet reports whether a connection may carry secrets (it did SASL),
	// so that problems about its bytes must not quote them.
	quiet func(connKey) bool
}

func newReassembler(emit func(frame), report reporter, quiet func(connKey) bool) *reassembler {
	return &reassembler{streams: map[streamKey]*stream{}, emit: emit, report: report, quiet: quiet}
}

func (r *reassembler) add(c chunk) {
	key := streamKey{connKey{c.writer, c.addr}, c.dir}
	s := r.streams[key]
	if s == nil {
		s = &stream{}
		r.streams[key] = s
	}
	if c.redacted > 0 {
		r.hole(key, s, c)
		return
	}
	if s.resync {
		if !startsFrame(c.data) {
			if len(c.data) > 0 {
				r.report(c.line, "skipped %d %s bytes while looking for the start of a frame", len(c.data), c.dir)
			}
			return
		}
		s.resync = false
	}
	if len(s.buf) == 0 {
		s.line, s.time = c.line, c.time
	}
	s.buf = append(s.buf, c.data...)
	r.extract(key, s, c)
	if c.damaged {
		if len(s.buf) > 0 {
			r.report(c.line, "dropped %d bytes of a %s cut short by the damaged dump", len(s.buf), c.dir)
		}
		if s.cur != nil {
			r.report(c.line, "dropped a %s with redacted bytes, cut short by the damaged dump", c.dir)
		}
		// What the damaged dump lost may have started a frame, so nothing
		// after it can be trusted until a frame visibly starts.
		s.buf, s.cur, s.resync = nil, nil, true
	}
}

// hole counts bytes the log redacted. They belong to the frame in
// progress; should they reach past its end, where the next frame starts is
// lost with them.
func (r *reassembler) hole(key streamKey, s *stream, c chunk) {
	n := c.redacted
	if c.unknownBoundary && s.cur == nil && len(s.buf) < 4 {
		// The dumper did not know where frames began (level 2 switched on
		// in the middle of a stream), and nor does the reader.
		if !s.resync {
			r.report(c.line, "the log does not show %s of %ss: kafkaio did not know where its frames began (debugging switched to level 2 on a connection in use); looking for the start of a frame", count(n, "byte"), key.dir)
		}
		s.buf, s.resync = nil, true
		return
	}
	if s.resync {
		r.report(c.line, "skipped %s the log redacted while looking for the start of a %s", count(n, "byte"), key.dir)
		return
	}
	if s.cur == nil {
		if len(s.buf) < 4 {
			r.report(c.line, "the log redacted %s where a %s's size should be; the frame boundary is lost", count(n, "byte"), key.dir)
			s.buf, s.resync = nil, true
			return
		}
		size := 4 + int(binary.BigEndian.Uint32(s.buf)) // extract checked it
		s.cur = &frame{dir: key.dir, conn: key.conn, line: s.line, time: s.time, data: slices.Clone(s.buf), size: size}
		s.buf = nil
	}
	f := s.cur
	f.unplaced = f.unplaced || c.unknownBoundary
	have := len(f.data) + f.redacted + f.after
	f.redacted += min(n, f.size-have)
	if over := n - (f.size - have); over > 0 {
		r.finishHole(s, c)
		r.report(c.line, "the log redacted %s more than the %s it was in holds; the next frame boundary is lost", count(over, "byte"), key.dir)
		s.resync = true
		return
	}
	if f.size == have+n {
		r.finishHole(s, c)
	}
}

func (r *reassembler) finishHole(s *stream, c chunk) {
	r.emit(*s.cur)
	s.cur = nil
	s.line, s.time = c.line, c.time
}

// extract emits every whole frame at the front of the stream's buffer.
func (r *reassembler) extract(key streamKey, s *stream, c chunk) {
	if f := s.cur; f != nil {
		// Bytes that follow redacted ones in the same frame are counted
		// and let go.
		n := min(len(s.buf), f.size-len(f.data)-f.redacted-f.after)
		f.after += n
		s.buf = s.buf[n:]
		if len(f.data)+f.redacted+f.after < f.size {
			return
		}
		r.finishHole(s, c)
	}
	for len(s.buf) >= 4 {
		size := int64(int32(binary.BigEndian.Uint32(s.buf)))
		if size < 0 || size > maxFrameSize {
			if r.quiet(key.conn) {
				r.report(s.line, "%s bytes are not a Kafka frame (size %d); skipped %d bytes (not shown: the connection did SASL)", key.dir, size, len(s.buf))
			} else {
				r.report(s.line, "%s bytes %s are not a Kafka frame (size %d)%s; skipped %d bytes",
					key.dir, spacedHex(s.buf[:4]), size, lookalike(s.buf), len(s.buf))
			}
			s.buf, s.resync = nil, true
			return
		}
		end := 4 + int(size)
		if len(s.buf) < end {
			return
		}
		r.emit(frame{dir: key.dir, conn: key.conn, line: s.line, time: s.time, data: slices.Clone(s.buf[:end]), size: end})
		s.buf = s.buf[end:]
		s.line, s.time = c.line, c.time
	}
}

// startsFrame reports whether a chunk can begin a frame after bytes were
// lost: a 4-byte size read on its own, or exactly one whole frame. Anything
// looser would take a body's correlation id for a size.
func startsFrame(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	size := int64(int32(binary.BigEndian.Uint32(b)))
	return size >= 0 && size <= maxFrameSize && (len(b) == 4 || int64(len(b)) == 4+size)
}

// flush reports every partial frame left at the end of the log.
func (r *reassembler) flush() {
	type leftover struct {
		key streamKey
		s   *stream
	}
	var left []leftover
	for k, s := range r.streams {
		if len(s.buf) > 0 || s.cur != nil {
			left = append(left, leftover{k, s})
		}
	}
	slices.SortFunc(left, func(a, b leftover) int { return a.s.line - b.s.line })
	for _, l := range left {
		if f := l.s.cur; f != nil {
			r.report(l.s.line, "%s incomplete at the end of the log: %d of %d bytes (%d of them redacted in the log)", l.key.dir, len(f.data)+f.redacted+f.after, f.size, f.redacted)
			continue
		}
		if len(l.s.buf) < 4 {
			r.report(l.s.line, "%s incomplete at the end of the log: %d of the 4 size bytes", l.key.dir, len(l.s.buf))
			continue
		}
		size := binary.BigEndian.Uint32(l.s.buf)
		r.report(l.s.line, "%s incomplete at the end of the log: %d of %d bytes", l.key.dir, len(l.s.buf), 4+int(size))
	}
}

// lookalike names what a non-Kafka size prefix usually is.
func lookalike(b []byte) string {
	switch {
	case len(b) >= 3 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03 && b[2] <= 0x04:
		return ": looks like TLS (a plaintext client on a TLS port?)"
	case len(b) >= 4 && strings.HasPrefix(string(b), "HTTP"):
		return ": looks like HTTP (not a Kafka port?)"
	case len(b) >= 4 && asciiColumn(b[:4]) == string(b[:4]):
		return fmt.Sprintf(": looks like text %q", b[:min(len(b), 16)])
	}
	return ""
}

func spacedHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}
