package dnsstub

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
)

// Just enough of RFC 1035 to read one question and answer it with address
// records: the module may not depend on golang.org/x/net, and a stub needs
// nothing more.

// Record types and the one class the stub knows.
const (
	TypeA    uint16 = 1
	TypeAAAA uint16 = 28
	classIN  uint16 = 1
)

// Header flag bits and response codes used in answers.
const (
	flagResponse           = 1 << 15
	flagAuthoritative      = 1 << 10
	flagRecursionDesired   = 1 << 8
	flagRecursionAvailable = 1 << 7
	rcodeFormatError       = 1
	rcodeNameError         = 3 // NXDOMAIN
)

const headerLen = 12

// question is the first (and, in practice, only) question of a query.
type question struct {
	id    uint16
	flags uint16
	name  string // lower case, without the trailing dot
	qtype uint16
	// raw is the question section as it came, copied into the answer, which
	// must repeat the question exactly for the resolver to accept it.
	raw []byte
}

var errMalformed = errors.New("dnsstub: malformed query")

// parseQuery reads the header and the first question of msg. Compression
// pointers are not accepted in a question: resolvers never send them there.
func parseQuery(msg []byte) (question, error) {
	if len(msg) < headerLen {
		return question{}, errMalformed
	}
	q := question{
		id:    binary.BigEndian.Uint16(msg[0:2]),
		flags: binary.BigEndian.Uint16(msg[2:4]),
	}
	if binary.BigEndian.Uint16(msg[4:6]) < 1 {
		return q, errMalformed
	}
	var labels []string
	off := headerLen
	for {
		if off >= len(msg) {
			return q, errMalformed
		}
		n := int(msg[off])
		off++
		if n == 0 {
			break
		}
		if n > 63 || off+n > len(msg) {
			return q, errMalformed
		}
		labels = append(labels, strings.ToLower(string(msg[off:off+n])))
		off += n
	}
	if off+4 > len(msg) {
		return q, errMalformed
	}
	q.qtype = binary.BigEndian.Uint16(msg[off : off+2])
	q.name = strings.Join(labels, ".")
	q.raw = msg[headerLen : off+4]
	return q, nil
}

// answer builds the response to q: the addresses of the question's type
// among addrs, or NXDOMAIN when the name is unknown (known is false). A known
// name without an address of the asked type gets an empty, successful
// answer (NODATA), as a real server gives it.
func answer(q question, addrs []netip.Addr, known bool) []byte {
	flags := uint16(flagResponse|flagAuthoritative|flagRecursionAvailable) | q.flags&flagRecursionDesired
	if !known {
		flags |= rcodeNameError
	}
	var records [][]byte
	for _, a := range addrs {
		if rr, ok := record(q.qtype, a); ok {
			records = append(records, rr)
		}
	}
	msg := make([]byte, headerLen, 512)
	binary.BigEndian.PutUint16(msg[0:2], q.id)
	binary.BigEndian.PutUint16(msg[2:4], flags)
	binary.BigEndian.PutUint16(msg[4:6], 1)
	binary.BigEndian.PutUint16(msg[6:8], uint16(len(records)))
	msg = append(msg, q.raw...)
	for _, rr := range records {
		msg = append(msg, rr...)
	}
	return msg
}

// formatError is the reply to a query the stub cannot read but whose ID it
// has: a resolver gets an answer instead of waiting for nothing.
func formatError(id uint16) []byte {
	msg := make([]byte, headerLen)
	binary.BigEndian.PutUint16(msg[0:2], id)
	binary.BigEndian.PutUint16(msg[2:4], flagResponse|rcodeFormatError)
	return msg
}

// record is one answer record for a of type qtype, its owner name a pointer
// to the question's name (offset 12), TTL 0 so nothing caches it.
func record(qtype uint16, a netip.Addr) ([]byte, bool) {
	var data []byte
	switch {
	case qtype == TypeA && a.Is4():
		b := a.As4()
		data = b[:]
	case qtype == TypeAAAA && a.Is6() && !a.Is4In6():
		b := a.As16()
		data = b[:]
	default:
		return nil, false
	}
	rr := []byte{0xc0, headerLen} // name: pointer to the question's name
	rr = binary.BigEndian.AppendUint16(rr, qtype)
	rr = binary.BigEndian.AppendUint16(rr, classIN)
	rr = binary.BigEndian.AppendUint32(rr, 0) // TTL
	rr = binary.BigEndian.AppendUint16(rr, uint16(len(data)))
	return append(rr, data...), true
}
