package testpeer

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Write writes all of b. The bytes are copied, so b may be reused.
func Write(b []byte) Step {
	b = clone(b)
	return newStep(fmt.Sprintf("Write(%d bytes)", len(b)), func(s *session) error {
		_, err := s.Write(b)
		return err
	})
}

// WriteFrame writes body as a Kafka-style frame: its length as an int32
// big-endian prefix, then body.
func WriteFrame(body []byte) Step {
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	frame = append(frame, body...)
	return newStep(fmt.Sprintf("WriteFrame(%d bytes)", len(body)), func(s *session) error {
		_, err := s.Write(frame)
		return err
	})
}

// WriteSize writes only a frame's 4-byte size prefix, size in two's
// complement big-endian, so that any value can be sent, negative ones too.
func WriteSize(size int32) Step {
	prefix := binary.BigEndian.AppendUint32(nil, uint32(size))
	return newStep(fmt.Sprintf("WriteSize(%d)", size), func(s *session) error {
		_, err := s.Write(prefix)
		return err
	})
}

// Dribble writes b one byte at a time, waiting every between two bytes.
// Each byte leaves in its own TCP segment (the connection has TCP_NODELAY,
// Go's default), so a reader sees the bytes arrive one by one.
func Dribble(b []byte, every time.Duration) Step {
	b = clone(b)
	return newStep(fmt.Sprintf("Dribble(%d bytes, %v)", len(b), every), func(s *session) error {
		for i := range b {
			if i > 0 {
				if err := s.pause(every); err != nil {
					return err
				}
			}
			if _, err := s.Write(b[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Flood writes total bytes of Pattern as fast as it can. With a negative
// total it writes until the client goes away, which then ends the step
// normally.
func Flood(total int) Step {
	return newStep(fmt.Sprintf("Flood(%d)", total), func(s *session) error {
		if total < 0 {
			return ignoreClientGone(floodForever(s))
		}
		return floodN(s, total)
	})
}

// floodChunk is a whole number of pattern periods, so consecutive chunks
// continue the pattern without a seam.
var floodChunk = Pattern(patternPeriod * 256)

func floodN(s *session, total int) error {
	for total > 0 {
		n := min(total, len(floodChunk))
		if _, err := s.Write(floodChunk[:n]); err != nil {
			return err
		}
		total -= n
	}
	return nil
}

func floodForever(s *session) error {
	for {
		if _, err := s.Write(floodChunk); err != nil {
			return err
		}
	}
}

func ignoreClientGone(err error) error {
	if clientGone(err) {
		return nil
	}
	return err
}

// patternPeriod is prime, so the pattern never lines up with power-of-two
// buffer sizes and a byte lost or repeated at a buffer boundary shows up.
const patternPeriod = 251

// Pattern returns the first n bytes of the deterministic stream that Flood
// writes: byte i is i mod 251.
func Pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % patternPeriod)
	}
	return b
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
