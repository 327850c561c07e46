package framesrv

import (
	"encoding/binary"
	"fmt"
)

// Offsets and sizes of the request body fields (after the size prefix).
const (
	offAPIKey        = 0
	offAPIVersion    = 2
	offCorrelationID = 4
	offClientID      = 8
	offResponseSize  = 10

	// HeaderBytes is how much of a request body the server interprets.
	HeaderBytes = 14
	// MinRequestBytes is the smallest request: size prefix plus header.
	MinRequestBytes = 4 + HeaderBytes
	// MinResponseBytes is the smallest response: size prefix plus
	// correlation id.
	MinResponseBytes = 8
	// MaxFrameBytes bounds requests and responses, so that a corrupt size
	// cannot make the server allocate gigabytes.
	MaxFrameBytes = 64 << 20
	// APIKey is the api key requests carry. It is no real Kafka API, so a
	// request sent to a real broker by mistake is refused, not served.
	APIKey = 1000
)

// NewRequest returns a request of requestBytes bytes on the wire that asks
// for a response of responseBytes bytes (0: no response), with correlation
// id 0. It panics on sizes the server would refuse: they are programming
// errors in a benchmark.
func NewRequest(requestBytes, responseBytes int) []byte {
	if err := checkSizes(requestBytes, responseBytes); err != nil {
		panic("framesrv.NewRequest: " + err.Error())
	}
	req := make([]byte, requestBytes)
	binary.BigEndian.PutUint32(req, uint32(requestBytes-4))
	body := req[4:]
	binary.BigEndian.PutUint16(body[offAPIKey:], APIKey)
	binary.BigEndian.PutUint16(body[offAPIVersion:], 0)
	binary.BigEndian.PutUint16(body[offClientID:], 0xffff) // -1: null client id
	binary.BigEndian.PutUint32(body[offResponseSize:], uint32(responseBytes))
	return req
}

// checkSizes validates the sizes of a request and of the response it asks for.
func checkSizes(requestBytes, responseBytes int) error {
	switch {
	case requestBytes < MinRequestBytes || requestBytes > MaxFrameBytes:
		return fmt.Errorf("request size %d is outside %d..%d", requestBytes, MinRequestBytes, MaxFrameBytes)
	case responseBytes != 0 && (responseBytes < MinResponseBytes || responseBytes > MaxFrameBytes):
		return fmt.Errorf("response size %d is neither 0 nor within %d..%d", responseBytes, MinResponseBytes, MaxFrameBytes)
	}
	return nil
}

// SetCorrelationID stores id in a request built by NewRequest.
func SetCorrelationID(req []byte, id int32) {
	binary.BigEndian.PutUint32(req[4+offCorrelationID:], uint32(id))
}

// ResponseCorrelationID returns the correlation id a response body (the
// frame without its size prefix) begins with; ok is false when the body is
// too short to hold one.
func ResponseCorrelationID(body []byte) (id int32, ok bool) {
	if len(body) < 4 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(body)), true
}

// header is what the server reads from a request body.
type header struct {
	correlationID int32
	responseBytes int
}

// parseHeader reads a request body's header and checks the response size.
func parseHeader(body []byte) (header, error) {
	if len(body) < HeaderBytes {
		return header{}, fmt.Errorf("request body of %d bytes is under the %d-byte header", len(body), HeaderBytes)
	}
	h := header{
		correlationID: int32(binary.BigEndian.Uint32(body[offCorrelationID:])),
		responseBytes: int(int32(binary.BigEndian.Uint32(body[offResponseSize:]))),
	}
	if err := checkSizes(MinRequestBytes, h.responseBytes); err != nil {
		return header{}, err
	}
	return h, nil
}

// fillResponse makes resp a response of h.responseBytes bytes for h, reusing
// its storage when it is large enough. Bytes after the correlation id are
// left as they are: their content does not matter, only their count.
func fillResponse(resp []byte, h header) []byte {
	if cap(resp) < h.responseBytes {
		resp = make([]byte, h.responseBytes)
	}
	resp = resp[:h.responseBytes]
	binary.BigEndian.PutUint32(resp, uint32(h.responseBytes-4))
	binary.BigEndian.PutUint32(resp[4:], uint32(h.correlationID))
	return resp
}
