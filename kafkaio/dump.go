package kafkaio

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// Keeping secrets out of level-2 dumps. A SaslAuthenticate request carries
// a password, a SCRAM proof or a token, and its response the server's SASL
// data; a dump shows such a frame's size and header and replaces the rest
// with kafkadebug's redaction line. Whoever sends them (kafkaio's own SASL
// in New, or a client speaking SASL through the net.Conn view), the frames
// are recognised on the wire, so a dump never depends on the sender saying
// so: each direction has a frameTrack that follows the frames through the
// chunks it is shown, however they are cut, and reads each frame's header.
// Requests name their API; a response is secret when its correlation id is
// that of a SaslAuthenticate request, which the request side records.
//
// A tracker must see a direction from a frame's start. Trackers made when
// the connection opened are in step; ones made later (KAFKA_DEBUG raised to
// 2 on a connection already in use) are not, until a call that starts at a
// frame boundary (a Send, a ReceiveFrame) puts them in step. Until then a
// dump shows no content, only how many bytes it held.

// keySaslAuthenticate is the API key of SaslAuthenticate.
const keySaslAuthenticate = 36

// dumps is a connection's pair of trackers.
type dumps struct {
	mu      sync.Mutex // the two directions dump from different goroutines
	req     frameTrack
	resp    frameTrack
	secrets []int32 // correlation ids of SaslAuthenticate requests not yet answered
}

// init puts both trackers in step when the connection has carried nothing.
func (d *dumps) init(fresh bool) {
	d.req.request, d.req.synced = true, fresh
	d.resp.synced = fresh
	d.req.reset()
	d.resp.reset()
}

// frameTrack follows the frames of one direction of the stream.
type frameTrack struct {
	request bool // requests (their header names the API) or responses
	synced  bool // the tracker knows where frames begin
	pos     int  // bytes of the current frame seen, its size prefix included
	size    int  // the frame's length with its prefix; 0 until the prefix is read
	show    int  // bytes of the frame shown before the rest is redacted; -1 until known
	hdr     [14]byte
}

// requestHeaderLen is how much of a request the tracker reads: size,
// api_key, api_version, correlation_id and client_id's length; a response
// needs its size and correlation_id.
const (
	requestHeaderLen  = 14
	responseHeaderLen = 8
)

func (f *frameTrack) reset() { f.pos, f.size, f.show = 0, 0, -1 }

// dump writes b through log, a chunk of one direction, as kafkadebug dumps:
// visible runs as hex, redacted runs as their length. frameStart puts an
// unsynced tracker in step.
func (d *dumps) dump(log logrus.FieldLogger, addr string, request bool, b []byte, frameStart bool) {
	dir := kafkadebug.Response
	f := &d.resp
	if request {
		dir, f = kafkadebug.Request, &d.req
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !f.synced && frameStart {
		f.synced = true
		f.reset()
	}
	if !f.synced {
		kafkadebug.DumpRedacted(log, dir, addr, nil, len(b), kafkadebug.RedactUnknown)
		return
	}
	f.split(d, b, func(visible []byte, hidden int) {
		kafkadebug.DumpRedacted(log, dir, addr, visible, hidden, kafkadebug.RedactSASL)
	})
}

// split walks b through the frames it continues and starts, calling emit
// for each visible run followed by the redacted bytes after it (0 for the
// last run). It reads the header bytes one at a time, since a chunk may end
// anywhere in them, and the rest of a frame in one step.
func (f *frameTrack) split(d *dumps, b []byte, emit func(visible []byte, hidden int)) {
	from := 0 // start of the visible run
	for i := 0; i < len(b); {
		if f.show < 0 {
			if f.pos < len(f.hdr) {
				f.hdr[f.pos] = b[i]
			}
			f.pos++
			i++
			f.readHeader(d)
		} else {
			n := min(f.size-f.pos, len(b)-i)
			if f.pos < f.show {
				n = min(n, f.show-f.pos)
			} else {
				emit(b[from:i], n)
				from = i + n
			}
			f.pos += n
			i += n
		}
		if f.size > 0 && f.pos >= f.size {
			f.reset()
		}
	}
	if from < len(b) {
		emit(b[from:], 0)
	}
}

// readHeader decides, once enough of the frame's start has been seen, how
// much of the frame to show.
func (f *frameTrack) readHeader(d *dumps) {
	if f.pos == 4 {
		f.size = 4 + int(int32(binary.BigEndian.Uint32(f.hdr[:4])))
		if f.size < 4 { // a negative size: nothing after it is a frame we know
			f.size = 4
		}
	}
	need := responseHeaderLen
	if f.request {
		need = requestHeaderLen
	}
	switch {
	case f.size > 0 && f.size <= need && f.pos >= f.size:
		f.show = f.size // too short to hold a secret
	case f.pos < need:
		return
	case f.request && int16(binary.BigEndian.Uint16(f.hdr[4:6])) == keySaslAuthenticate:
		idLen := max(int(int16(binary.BigEndian.Uint16(f.hdr[12:14]))), 0)
		f.show = min(requestHeaderLen+idLen, f.size)
		d.secrets = append(d.secrets, int32(binary.BigEndian.Uint32(f.hdr[8:12])))
	case !f.request && d.answers(int32(binary.BigEndian.Uint32(f.hdr[4:8]))):
		f.show = responseHeaderLen
	default:
		f.show = f.size
	}
}

// answers reports whether a response with correlation id corr answers a
// SaslAuthenticate request, and forgets that request if so.
func (d *dumps) answers(corr int32) bool {
	i := slices.Index(d.secrets, corr)
	if i < 0 {
		return false
	}
	d.secrets = slices.Delete(d.secrets, i, i+1)
	return true
}
