package testpeer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// copyBufSize is the buffer for steps that move data as fast as they can.
const copyBufSize = 64 << 10

// MaxFrameSize is the largest frame EchoFrames accepts, the default of a Kafka
// broker's socket.request.max.bytes.
const MaxFrameSize = 100 << 20

// Echo writes back everything it reads, until the client half-closes or
// closes its side (EOF). The bytes read are recorded.
func Echo() Step {
	return newStep("Echo()", func(s *session) error {
		// The session has no ReadFrom or WriteTo, so the copy goes through
		// its recording Read in chunks of the given buffer.
		_, err := io.CopyBuffer(s, s, make([]byte, copyBufSize))
		return err // nil at EOF
	})
}

// Read reads exactly n bytes and records them. EOF before n bytes ends the
// script early (the client went away).
func Read(n int) Step {
	if n < 0 {
		panic(fmt.Sprintf("testpeer: Read(%d): negative length", n))
	}
	return newStep(fmt.Sprintf("Read(%d)", n), func(s *session) error {
		_, err := io.ReadFull(s, make([]byte, n))
		return err
	})
}

// Discard reads and drops everything as fast as it can, until EOF. The bytes
// are recorded unless NoRecord came first.
func Discard() Step {
	return newStep("Discard()", func(s *session) error {
		buf := make([]byte, copyBufSize)
		for {
			if _, err := s.Read(buf); err != nil {
				return ignoreEOF(err)
			}
		}
	})
}

// SlowRead is a slow but steady reader: it reads at most chunk bytes, waits
// for every, and repeats until EOF. The bytes read are recorded.
func SlowRead(chunk int, every time.Duration) Step {
	if chunk <= 0 {
		panic(fmt.Sprintf("testpeer: SlowRead(%d, %v): chunk must be positive", chunk, every))
	}
	return newStep(fmt.Sprintf("SlowRead(%d, %v)", chunk, every), func(s *session) error {
		buf := make([]byte, chunk)
		for {
			if _, err := s.Read(buf); err != nil {
				return ignoreEOF(err)
			}
			if err := s.pause(every); err != nil {
				return err
			}
		}
	})
}

// EchoFrames reads Kafka-style frames (an int32 big-endian size, then that
// many bytes) and answers each with the same frame, until EOF between
// frames; a client can pipeline several requests before reading the answers.
// A negative size or one over MaxFrameSize is an error (Peer.Err). The
// frames read are recorded.
func EchoFrames() Step {
	return newStep("EchoFrames()", func(s *session) error {
		for {
			frame, err := readFrame(s)
			if err != nil {
				return ignoreEOF(err) // io.ReadFull gives EOF only before the first byte
			}
			if _, err := s.Write(frame); err != nil {
				return err
			}
		}
	})
}

// readFrame reads one size-prefixed frame and returns it with its prefix.
func readFrame(s *session) ([]byte, error) {
	var prefix [4]byte
	if _, err := io.ReadFull(s, prefix[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(prefix[:]))
	if size < 0 || size > MaxFrameSize {
		return nil, fmt.Errorf("frame size %d is outside [0, %d]", size, MaxFrameSize)
	}
	frame := make([]byte, 4+int(size))
	copy(frame, prefix[:])
	if _, err := io.ReadFull(s, frame[4:]); err != nil {
		return nil, noEOF(err)
	}
	return frame, nil
}

// ignoreEOF turns the EOF that normally ends a read-until-EOF step into success.
func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// noEOF marks EOF in the middle of something as unexpected.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
