package kafkaio

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// Keeping secrets out of level-2 dumps. Some frames carry secrets: a
// SaslAuthenticate request a password, a SCRAM proof or a token, and its
// response the server's SASL data; after a SaslHandshake v0, the SASL
// tokens travel as bare size-prefixed frames; AlterUserScramCredentials
// carries salted passwords, the delegation-token requests and responses
// their HMACs, and AlterConfigs and IncrementalAlterConfigs may set
// password configs. A dump shows such a frame's size and header and
// replaces the rest with kafkadebug's redaction line (a bare SASL token
// shows only its size).
//
// Whoever sends them (kafkaio's own SASL in New, or a client speaking SASL
// through the net.Conn view), the frames are recognised on the wire, so a
// dump never depends on the sender saying so: each direction has a
// frameTrack that follows the frames through the chunks it is shown,
// however they are cut, and reads each frame's header. Requests name their
// API; a response is secret when its correlation id is that of a request
// whose responses are (responses carry no API key), or when it answers a
// bare SASL token.
//
// A tracker must see a direction from a frame's start. Trackers made when
// the connection opened are in step; ones made later (KAFKA_DEBUG raised to
// 2 on a connection already in use) are not, until a call that starts at a
// frame boundary (a Send, a ReceiveFrame) puts them in step. Until then a
// dump shows no content, only how many bytes it held. After a SaslHandshake
// v0 for a mechanism whose number of tokens is not known, that holds for
// the rest of the connection: its bare tokens may be written by Sends and
// read by ReceiveFrames, which would put a tracker in step on a token.

// API keys of the frames that carry secrets.
const (
	keyAlterConfigs             = 33
	keySaslHandshake            = 17
	keySaslAuthenticate         = 36
	keyCreateDelegationToken    = 38
	keyRenewDelegationToken     = 39
	keyExpireDelegationToken    = 40
	keyDescribeDelegationToken  = 41
	keyIncrementalAlterConfigs  = 44
	keyAlterUserScramCredential = 51
)

// secretParts says which side of an API's exchange carries secrets.
func secretParts(key int16) (request, response bool) {
	switch key {
	case keySaslAuthenticate:
		return true, true
	case keyAlterUserScramCredential, keyRenewDelegationToken, keyExpireDelegationToken,
		keyAlterConfigs, keyIncrementalAlterConfigs:
		return true, false
	case keyCreateDelegationToken, keyDescribeDelegationToken:
		return false, true
	}
	return false, false
}

// saslTokens is how many tokens a client sends after SaslHandshake v0 for
// mechanism, and false for a mechanism whose count is not fixed.
func saslTokens(mechanism string) (int, bool) {
	switch mechanism {
	case "PLAIN", "OAUTHBEARER":
		return 1, true
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		return 2, true
	}
	return 0, false
}

// dumps is a connection's pair of trackers and what they tell each other.
type dumps struct {
	mu      sync.Mutex // the two directions dump from different goroutines
	req     frameTrack
	resp    frameTrack
	secrets []int32 // correlation ids of requests whose responses are secret, not yet answered

	// After a SaslHandshake v0: its correlation id, until its response
	// passes; the bare tokens the client has still to send; and the bare
	// tokens the server has still to answer with.
	handshake   int32
	handshaking bool
	tokensOut   int
	tokensIn    int
	// blind: a SaslHandshake v0 for a mechanism the trackers cannot
	// follow; no frame start puts them in step again.
	blind bool
}

// init puts both trackers in step when the connection has carried nothing.
func (d *dumps) init(fresh bool) {
	d.req.request = true
	d.req.synced, d.resp.synced = fresh, fresh
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
	want    int  // header bytes to read before deciding show
	hdr     [64]byte
}

// Header lengths: a request's size, api_key, api_version, correlation_id
// and client_id's length; a response's size and correlation_id.
const (
	requestHeaderLen  = 14
	responseHeaderLen = 8
)

func (f *frameTrack) reset() {
	f.pos, f.size, f.show = 0, 0, -1
	f.want = responseHeaderLen
	if f.request {
		f.want = requestHeaderLen
	}
}

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
	if !f.synced && frameStart && !d.blind {
		f.synced = true
		f.reset()
	}
	if !f.synced {
		kafkadebug.DumpRedacted(log, dir, addr, nil, len(b), kafkadebug.RedactUnknown)
		return
	}
	n := f.split(d, b, func(visible []byte, hidden int) {
		kafkadebug.DumpRedacted(log, dir, addr, visible, hidden, kafkadebug.RedactSASL)
	})
	if !f.synced { // a handshake for a mechanism we cannot follow
		d.req.synced, d.resp.synced, d.blind = false, false, true
		if n < len(b) {
			kafkadebug.DumpRedacted(log, dir, addr, nil, len(b)-n, kafkadebug.RedactUnknown)
		}
	}
}

// split walks b through the frames it continues and starts, calling emit
// for each visible run followed by the redacted bytes after it (0 for the
// last run). It reads the header bytes one at a time, since a chunk may end
// anywhere in them, and the rest of a frame in one step. It returns how much
// of b it followed: all of it, unless it lost track of the frames (see
// readRequestHeader), after which nothing of b is shown.
func (f *frameTrack) split(d *dumps, b []byte, emit func(visible []byte, hidden int)) int {
	from, i := 0, 0 // the visible run is b[from:i]
	for i < len(b) && f.synced {
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
	if from < i {
		emit(b[from:i], 0)
	}
	return i
}

// readHeader decides, once enough of the frame's start has been seen, how
// much of the frame to show.
func (f *frameTrack) readHeader(d *dumps) {
	if f.pos == 4 {
		f.size = 4 + int(int32(binary.BigEndian.Uint32(f.hdr[:4])))
		if f.size < 4 { // a negative size: nothing after it is a frame we know
			f.size = 4
		}
		if f.request && d.tokensOut > 0 { // a bare SASL token: its size only
			d.tokensOut--
			d.tokensIn++
			f.show = 4
			return
		}
		if !f.request && !d.handshaking && d.tokensIn > 0 { // the server's bare token
			d.tokensIn--
			f.show = 4
			return
		}
	}
	if f.pos >= f.want {
		if f.request {
			f.readRequestHeader(d)
		} else {
			f.readResponseHeader(d)
		}
	}
	if f.show < 0 && f.synced && f.size > 0 && f.pos >= f.size {
		f.show = f.size // the frame ended before its header did
	}
}

// readRequestHeader decides a request frame's fate from its header, reading
// on into a SaslHandshake v0's mechanism name, which says how many bare
// tokens follow it.
func (f *frameTrack) readRequestHeader(d *dumps) {
	key := int16(binary.BigEndian.Uint16(f.hdr[4:6]))
	version := int16(binary.BigEndian.Uint16(f.hdr[6:8]))
	corr := int32(binary.BigEndian.Uint32(f.hdr[8:12]))
	header := requestHeaderLen + max(int(int16(binary.BigEndian.Uint16(f.hdr[12:14]))), 0)
	if key == keySaslHandshake && version == 0 {
		switch f.want {
		case requestHeaderLen: // read on to the mechanism's length
			f.want = header + 2
		case header + 2: // and to the mechanism
			f.want = header + 2 + int(int16(binary.BigEndian.Uint16(f.hdr[header:header+2])))
			if f.want == header+2 {
				f.want = -1 // an empty name: no mechanism we know
			}
		default:
			tokens, known := saslTokens(string(f.hdr[header+2 : f.want]))
			if !known {
				f.synced = false // bare tokens of unknown number and shape follow
				return
			}
			d.handshake, d.handshaking, d.tokensOut = corr, true, tokens
			f.show = f.size
			return
		}
		if f.want < 0 || f.want > len(f.hdr) || f.want > f.size {
			f.synced = false // a mechanism name we cannot read
		}
		return
	}
	request, response := secretParts(key)
	if response {
		d.secrets = append(d.secrets, corr)
	}
	f.show = f.size
	if request {
		f.show = min(header, f.size)
	}
}

// readResponseHeader decides a response frame's fate from its correlation
// id.
func (f *frameTrack) readResponseHeader(d *dumps) {
	corr := int32(binary.BigEndian.Uint32(f.hdr[4:8]))
	f.show = f.size
	if d.handshaking && corr == d.handshake {
		d.handshaking = false // the bare tokens' answers come after this one
		return
	}
	if i := slices.Index(d.secrets, corr); i >= 0 {
		d.secrets = slices.Delete(d.secrets, i, i+1)
		f.show = responseHeaderLen
	}
}
