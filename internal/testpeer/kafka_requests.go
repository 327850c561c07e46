package testpeer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Request is one Kafka request a Kafka step read (see Broker).
type Request struct {
	Key           int16
	Version       int16
	CorrelationID int32
	ClientID      *string // nil for a null client id
	// Msg is the parsed body, for the keys the Kafka steps answer
	// (ApiVersions, SaslHandshake, SaslAuthenticate) at a version they can
	// parse; nil otherwise.
	Msg kmsg.Request
	// Frame is the whole request as it came, size prefix included.
	Frame []byte
}

// RequestLog collects the requests a Broker's steps read: set Broker.Seen to
// its Add. It is safe for concurrent use.
type RequestLog struct {
	mu   sync.Mutex
	reqs []Request
}

// Add appends r to the log.
func (l *RequestLog) Add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
}

// Requests returns a copy of the requests logged so far, in the order they
// were read.
func (l *RequestLog) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.reqs...)
}

// errMalformedRequest is wrapped by the error for a request the steps cannot
// parse; it becomes the peer's Err.
var errMalformedRequest = errors.New("malformed Kafka request")

// readRequest reads one request frame and parses its header, and its body
// when the key is one the Kafka steps answer and maxVersion(key) admits the
// version. The body must re-encode to the same bytes through kmsg, so a
// request with trailing or non-canonical bytes is caught. EOF before the
// frame is returned as io.EOF.
func readRequest(s *session, maxVersion func(key int16) int16) (Request, error) {
	frame, err := readFrame(s)
	if err != nil {
		return Request{}, err
	}
	r := Request{Frame: frame}
	b := frame[4:]
	if len(b) < 10 {
		return r, fmt.Errorf("%w: a %d-byte frame is shorter than a request header", errMalformedRequest, len(b))
	}
	r.Key = int16(binary.BigEndian.Uint16(b))
	r.Version = int16(binary.BigEndian.Uint16(b[2:]))
	r.CorrelationID = int32(binary.BigEndian.Uint32(b[4:]))
	idLen := int(int16(binary.BigEndian.Uint16(b[8:])))
	b = b[10:]
	if idLen >= 0 {
		if idLen > len(b) {
			return r, fmt.Errorf("%w: client id of %d bytes, %d left", errMalformedRequest, idLen, len(b))
		}
		id := string(b[:idLen])
		r.ClientID = &id
		b = b[idLen:]
	}
	msg := kmsg.RequestForKey(r.Key)
	switch {
	case r.Key != kmsg.ApiVersions.Int16() && r.Key != kmsg.SASLHandshake.Int16() && r.Key != kmsg.SASLAuthenticate.Int16():
		return r, nil
	case r.Version < 0 || r.Version > msg.MaxVersion() || r.Version > maxVersion(r.Key):
		return r, nil // a version the broker does not speak: the body is not parsed
	}
	msg.SetVersion(r.Version)
	if msg.IsFlexible() {
		if b, err = skipHeaderTags(b); err != nil {
			return r, err
		}
	}
	if err := msg.ReadFrom(b); err != nil {
		return r, fmt.Errorf("%w: key %d v%d: %v", errMalformedRequest, r.Key, r.Version, err)
	}
	if again := msg.AppendTo(nil); !bytes.Equal(again, b) {
		return r, fmt.Errorf("%w: key %d v%d: body % x re-encodes as % x", errMalformedRequest, r.Key, r.Version, b, again)
	}
	r.Msg = msg
	return r, nil
}

// skipHeaderTags skips the tagged-field section of request header v2.
func skipHeaderTags(b []byte) ([]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, fmt.Errorf("%w: bad header tag count", errMalformedRequest)
	}
	b = b[k:]
	for range n {
		if _, k = binary.Uvarint(b); k <= 0 {
			return nil, fmt.Errorf("%w: bad header tag", errMalformedRequest)
		}
		b = b[k:]
		size, k := binary.Uvarint(b)
		if k <= 0 || size > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: bad header tag size", errMalformedRequest)
		}
		b = b[k+int(size):]
	}
	return b, nil
}

// writeResponse frames resp as the answer to r: size, correlation id, the
// empty tagged fields of response header v1 when resp is flexible (except
// ApiVersions, whose responses always use header v0), then the body.
func writeResponse(s *session, r Request, resp kmsg.Response) error {
	b := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(b[4:], uint32(r.CorrelationID))
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		b = append(b, 0)
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	_, err := s.Write(b)
	return err
}
