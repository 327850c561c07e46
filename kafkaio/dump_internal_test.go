package kafkaio

// The frame trackers of dump.go, driven directly: whatever the chunks a
// stream is cut into, a dump shows every byte of a frame that holds no
// secret and hides exactly the SASL data of SaslAuthenticate frames, and
// the bytes shown and hidden always add up to the input.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// dumpLog is a logrus logger whose entries the test reads back.
type dumpLog struct {
	buf    bytes.Buffer
	logger *logrus.Logger
}

func newDumpLog() *dumpLog {
	l := &dumpLog{}
	l.logger = logrus.New()
	l.logger.Out = &l.buf
	l.logger.Formatter = &logrus.TextFormatter{DisableTimestamp: true, DisableQuote: true}
	return l
}

// dumpSeg is what one dump said about the bytes it covered: shown bytes,
// then hidden ones and why.
type dumpSeg struct {
	shown   []byte
	hidden  int
	unknown bool
}

// segs reads back every dump written so far, in order, and forgets them.
func (l *dumpLog) segs(t *testing.T) []dumpSeg {
	t.Helper()
	var out []dumpSeg
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		_, msg, ok := strings.Cut(line, "msg=")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(msg, kafkadebug.RequestPrefix), strings.HasPrefix(msg, kafkadebug.ResponsePrefix):
			out = append(out, dumpSeg{})
		case strings.HasPrefix(msg, kafkadebug.HexStreamPrefix):
			b, err := hex.DecodeString(strings.TrimPrefix(msg, kafkadebug.HexStreamPrefix))
			if err != nil {
				t.Fatalf("hex stream %q: %v", msg, err)
			}
			out[len(out)-1].shown = b
		default:
			if n, ok := kafkadebug.ParseRedactedLine(msg); ok {
				out[len(out)-1].hidden = n
				out[len(out)-1].unknown = msg == kafkadebug.RedactedLine(n, kafkadebug.RedactUnknown)
			}
		}
	}
	l.buf.Reset()
	return out
}

// dumpView is, byte by byte, what the dumps made of a stream: the byte
// shown, or -1 for a byte hidden as SASL data, -2 for one hidden because
// the frame boundaries were unknown.
type dumpView []int

const (
	viewSASL    = -1
	viewUnknown = -2
)

func (v dumpView) String() string {
	var b strings.Builder
	for i, x := range v {
		switch x {
		case viewSASL:
			b.WriteString("--")
		case viewUnknown:
			b.WriteString("??")
		default:
			fmt.Fprintf(&b, "%02x", x)
		}
		if i%16 == 15 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// viewOf flattens dumps into a view.
func viewOf(segs []dumpSeg) dumpView {
	var v dumpView
	for _, s := range segs {
		for _, c := range s.shown {
			v = append(v, int(c))
		}
		mark := viewSASL
		if s.unknown {
			mark = viewUnknown
		}
		for range s.hidden {
			v = append(v, mark)
		}
	}
	return v
}

// feed dumps stream in one direction, cut into chunks at cuts (offsets,
// ascending), and returns the view. Every chunk's dumps must cover exactly
// the chunk: shown and hidden bytes add up to its length, and the shown
// bytes are the chunk's own.
func feed(t *testing.T, d *dumps, request bool, stream []byte, cuts []int, frameStart func(off int) bool) dumpView {
	t.Helper()
	l := newDumpLog()
	var view dumpView
	prev := 0
	for _, end := range append(cuts, len(stream)) {
		if end <= prev {
			continue
		}
		chunk := stream[prev:end]
		start := frameStart != nil && frameStart(prev)
		d.dump(l.logger, "broker:9092", request, chunk, start)
		segs := l.segs(t)
		total := 0
		for _, s := range segs {
			if !bytes.Equal(s.shown, chunk[total:total+len(s.shown)]) {
				t.Fatalf("the chunk [%d:%d] is dumped as % x at %d, which is not its bytes", prev, end, s.shown, total)
			}
			total += len(s.shown) + s.hidden
		}
		if total != len(chunk) {
			t.Fatalf("the chunk [%d:%d] of %d bytes is dumped as %d shown and hidden bytes", prev, end, len(chunk), total)
		}
		view = append(view, viewOf(segs)...)
		prev = end
	}
	return view
}

// Frames of the tests' streams.

// requestFrame builds a request frame: size, api_key, api_version,
// correlation id, client id (nil: null), then body.
func requestFrame(key int16, corr int32, clientID *string, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(key))
	b = binary.BigEndian.AppendUint16(b, 2)
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	if clientID == nil {
		b = binary.BigEndian.AppendUint16(b, 0xffff)
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(len(*clientID)))
		b = append(b, *clientID...)
	}
	b = append(b, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// responseFrame builds a response frame: size, correlation id, body.
func responseFrame(corr int32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(corr))
	b = append(b, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// expect is a view to expect: frames of which the first show bytes are
// visible and the rest SASL data.
type expect struct {
	stream []byte
	view   dumpView
	starts []int // where each frame begins
}

func (e *expect) add(frame []byte, show int) {
	e.starts = append(e.starts, len(e.stream))
	e.stream = append(e.stream, frame...)
	for i, c := range frame {
		if i < show {
			e.view = append(e.view, int(c))
		} else {
			e.view = append(e.view, viewSASL)
		}
	}
}

func (e *expect) isStart(off int) bool {
	for _, s := range e.starts {
		if s == off {
			return true
		}
	}
	return false
}

var (
	clientID  = "kafkaio"
	secretMsg = []byte("\x00user\x00pa55w0rd-that-must-not-show")
)

// requestStream is a connection's requests: ApiVersions, SaslHandshake,
// two SaslAuthenticate requests (with a client id and with a null one),
// Metadata, and frames too short for a header.
func requestStream() *expect {
	e := &expect{}
	e.add(requestFrame(18, 1, &clientID, []byte{0, 0}), 1<<30)
	e.add(requestFrame(17, 2, &clientID, []byte("\x00\x05PLAIN")), 1<<30)
	e.add(requestFrame(36, 3, &clientID, secretMsg), 4+2+2+4+2+len(clientID))
	e.add(requestFrame(36, 4, nil, secretMsg), 14)
	e.add(requestFrame(3, 5, &clientID, []byte{0xff, 0xff, 0xff, 0xff}), 1<<30)
	e.add([]byte{0, 0, 0, 2, 0, 36}, 1<<30) // a 6-byte "SaslAuthenticate": nothing secret fits
	e.add([]byte{0, 0, 0, 0}, 1<<30)        // an empty frame
	e.add(requestFrame(36, 6, &clientID, nil), 1<<30)
	return e
}

// responseStream answers requestStream's requests in order; the answers to
// correlation ids 3, 4 and 6 are SaslAuthenticate's.
func responseStream() *expect {
	e := &expect{}
	e.add(responseFrame(1, []byte("api versions body")), 1<<30)
	e.add(responseFrame(2, []byte("\x00\x00\x00\x00\x00\x01\x00\x05PLAIN")), 1<<30)
	e.add(responseFrame(3, []byte("server's SASL data: challenge")), 8)
	e.add(responseFrame(4, []byte("more SASL data")), 8)
	e.add(responseFrame(5, []byte("metadata")), 1<<30)
	e.add(responseFrame(6, []byte{0, 0}), 8) // only an error code after the correlation id
	e.add(responseFrame(99, []byte("an id no SaslAuthenticate had")), 1<<30)
	return e
}

// checkView compares a view with what was expected.
func checkView(t *testing.T, what string, got, want dumpView) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: the dumps cover %d bytes of %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: byte %d is %d, want %d; got\n%v\nwant\n%v", what, i, got[i], want[i], got, want)
		}
	}
}

// fresh returns a pair of trackers in step, as New makes them, with the
// request side already through the request stream (so that the response
// side knows which correlation ids are SaslAuthenticate's).
func fresh(t *testing.T, req *expect) *dumps {
	d := &dumps{}
	d.init(true)
	checkView(t, "requests in one chunk", feed(t, d, true, req.stream, nil, nil), req.view)
	return d
}

func TestDumpTrackerWholeStreams(t *testing.T) {
	req, resp := requestStream(), responseStream()
	d := fresh(t, req)
	if len(d.secrets) != 3 {
		t.Fatalf("after the requests the tracker expects %d SASL responses (%v), want 3", len(d.secrets), d.secrets)
	}
	checkView(t, "responses in one chunk", feed(t, d, false, resp.stream, nil, nil), resp.view)
	if len(d.secrets) != 0 {
		t.Errorf("after their responses the tracker still expects SASL responses %v", d.secrets)
	}
}

// TestDumpTrackerEverySplit cuts each stream in two at every offset, and
// into single bytes.
func TestDumpTrackerEverySplit(t *testing.T) {
	req, resp := requestStream(), responseStream()
	for cut := 1; cut < len(req.stream); cut++ {
		d := &dumps{}
		d.init(true)
		checkView(t, fmt.Sprintf("requests cut at %d", cut), feed(t, d, true, req.stream, []int{cut}, nil), req.view)
	}
	for cut := 1; cut < len(resp.stream); cut++ {
		d := fresh(t, req)
		checkView(t, fmt.Sprintf("responses cut at %d", cut), feed(t, d, false, resp.stream, []int{cut}, nil), resp.view)
	}
	every := func(n int) []int {
		cuts := make([]int, n)
		for i := range cuts {
			cuts[i] = i + 1
		}
		return cuts
	}
	d := &dumps{}
	d.init(true)
	checkView(t, "requests byte by byte", feed(t, d, true, req.stream, every(len(req.stream)), nil), req.view)
	checkView(t, "responses byte by byte", feed(t, d, false, resp.stream, every(len(resp.stream)), nil), resp.view)
}

// TestDumpTrackerCutsAsTheIOMakesThem cuts the response stream where
// ReceiveFrame does, the 4-byte size and then the body, and cuts the
// request stream at every pair of offsets.
func TestDumpTrackerCutsAsTheIOMakesThem(t *testing.T) {
	req, resp := requestStream(), responseStream()
	d := fresh(t, req)
	var cuts []int
	for _, s := range resp.starts {
		cuts = append(cuts, s, s+4)
	}
	checkView(t, "responses cut as ReceiveFrame reads them", feed(t, d, false, resp.stream, cuts[1:], resp.isStart), resp.view)

	for a := 1; a < len(req.stream); a++ {
		for b := a + 1; b < len(req.stream); b += 3 {
			d := &dumps{}
			d.init(true)
			checkView(t, fmt.Sprintf("requests cut at %d and %d", a, b), feed(t, d, true, req.stream, []int{a, b}, nil), req.view)
		}
	}
}

// TestDumpTrackerUnsynced is a tracker made in the middle of a stream
// (debugging raised to 2 on a connection in use): it shows nothing of a
// chunk, only its length as "frame boundaries unknown", until a chunk
// that starts a frame puts it in step; from then on it dumps as a fresh
// one.
func TestDumpTrackerUnsynced(t *testing.T) {
	req := requestStream()
	for _, startAt := range req.starts[1:] {
		d := &dumps{}
		d.init(false)
		midway := req.stream[2:startAt] // from inside the first frame
		v := feed(t, d, true, midway, []int{1, len(midway) / 2}, nil)
		for i, x := range v {
			if x != viewUnknown {
				t.Fatalf("an unsynced tracker showed byte %d of a chunk: %v", i, v)
			}
		}
		rest := &expect{}
		for i, s := range req.starts {
			if s >= startAt {
				end := len(req.stream)
				if i+1 < len(req.starts) {
					end = req.starts[i+1]
				}
				show := 0
				for j := s; j < end && req.view[j] != viewSASL; j++ {
					show++
				}
				rest.add(req.stream[s:end], show)
			}
		}
		// The first chunk at a frame start syncs; later ones need not.
		synced := feed(t, d, true, rest.stream, []int{3, 20}, func(off int) bool { return off == 0 })
		checkView(t, fmt.Sprintf("synced at offset %d", startAt), synced, rest.view)
	}

	// A chunk that is not known to start a frame leaves it unsynced, even
	// if it happens to.
	d := &dumps{}
	d.init(false)
	for i, x := range feed(t, d, true, req.stream, nil, nil) {
		if x != viewUnknown {
			t.Fatalf("byte %d shown by a tracker never put in step", i)
		}
	}
	// The response side is unsynced on its own.
	d.init(false)
	resp := responseStream()
	v := feed(t, d, false, resp.stream, []int{4}, nil)
	for i, x := range v {
		if x != viewUnknown {
			t.Fatalf("byte %d of the responses shown by an unsynced tracker", i)
		}
	}
}

// TestDumpTrackerSeveralFramesInOneChunk is a chunk that ends one frame,
// holds whole ones and starts another, as read-ahead delivers them.
func TestDumpTrackerSeveralFramesInOneChunk(t *testing.T) {
	req, resp := requestStream(), responseStream()
	d := fresh(t, req)
	// Cut in the middle of the first and of the last frame: the middle
	// chunk holds the end of one, several whole ones, and the start of the
	// last.
	cuts := []int{resp.starts[0] + 6, resp.starts[len(resp.starts)-1] + 2}
	checkView(t, "responses in three chunks", feed(t, d, false, resp.stream, cuts, nil), resp.view)
}

// TestDumpTrackerRedactedLineFollowsItsHeader checks the text: a
// SaslAuthenticate request's dump is its header and then the redaction
// line, and the bytes of the same chunk after the frame are a dump of
// their own.
func TestDumpTrackerRedactedLineFollowsItsHeader(t *testing.T) {
	l := newDumpLog()
	d := &dumps{}
	d.init(true)
	sasl := requestFrame(36, 7, &clientID, secretMsg)
	next := requestFrame(3, 8, &clientID, nil)
	d.dump(l.logger, "broker:9092", true, append(append([]byte(nil), sasl...), next...), true)
	var msgs []string
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		if _, msg, ok := strings.Cut(line, "msg="); ok {
			msgs = append(msgs, msg)
		}
	}
	hidden := len(sasl) - 14 - len(clientID)
	if len(msgs) < 4 || msgs[0] != "# Request to broker:9092" ||
		msgs[1] != "# Hex Stream: "+hex.EncodeToString(sasl[:14+len(clientID)]) {
		t.Fatalf("the dump starts\n%s", strings.Join(msgs, "\n"))
	}
	table := strings.Split(strings.TrimSuffix(string(kafkadebug.AppendHexTable(nil, sasl[:14+len(clientID)])), "\n"), "\n")
	i := 2 + len(table)
	if strings.Join(msgs[2:i], "\n") != strings.Join(table, "\n") {
		t.Errorf("the table is\n%s\nwant\n%s", strings.Join(msgs[2:i], "\n"), strings.Join(table, "\n"))
	}
	if msgs[i] != kafkadebug.RedactedLine(hidden, kafkadebug.RedactSASL) {
		t.Errorf("after the table: %q, want %q", msgs[i], kafkadebug.RedactedLine(hidden, kafkadebug.RedactSASL))
	}
	if msgs[i+1] != "# Request to broker:9092" || msgs[i+2] != "# Hex Stream: "+hex.EncodeToString(next) {
		t.Errorf("the next frame's dump is\n%s", strings.Join(msgs[i+1:], "\n"))
	}
	if strings.Contains(l.buf.String(), "pa55w0rd") {
		t.Error("the password is in the dump")
	}
}

// handshakeV0 is a SaslHandshake v0 request for mechanism.
func handshakeV0(corr int32, mechanism string) []byte {
	body := binary.BigEndian.AppendUint16(nil, uint16(len(mechanism)))
	body = append(body, mechanism...)
	b := binary.BigEndian.AppendUint16(nil, 17)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	b = append(b, body...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// bareToken is a SASL token after SaslHandshake v0: a size, then the token.
func bareToken(token string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...)
}

// TestDumpTrackerSaslHandshakeV0 follows the bare tokens after a
// SaslHandshake v0 (as sarama sends through the net.Conn view): one each
// way for PLAIN and OAUTHBEARER, two for SCRAM, each shown as its size
// only, cut at every offset.
func TestDumpTrackerSaslHandshakeV0(t *testing.T) {
	for _, tc := range []struct {
		mechanism string
		tokens    int
	}{{"PLAIN", 1}, {"OAUTHBEARER", 1}, {"SCRAM-SHA-256", 2}, {"SCRAM-SHA-512", 2}} {
		t.Run(tc.mechanism, func(t *testing.T) {
			req, resp := &expect{}, &expect{}
			req.add(requestFrame(18, 1, &clientID, nil), 1<<30)
			resp.add(responseFrame(1, []byte("versions")), 1<<30)
			req.add(handshakeV0(2, tc.mechanism), 1<<30)
			resp.add(responseFrame(2, []byte("\x00\x00\x00\x00\x00\x01\x00\x05PLAIN")), 1<<30)
			for i := range tc.tokens {
				req.add(bareToken(fmt.Sprintf("client token %d: pa55w0rd", i)), 4)
				resp.add(bareToken(fmt.Sprintf("server token %d: salt and signature", i)), 4)
			}
			req.add(requestFrame(3, 3, &clientID, []byte{0, 0, 0, 0}), 1<<30)
			resp.add(responseFrame(3, []byte("metadata")), 1<<30)
			for cut := 0; cut < len(req.stream); cut++ {
				d := &dumps{}
				d.init(true)
				var cuts []int
				if cut > 0 {
					cuts = []int{cut}
				}
				checkView(t, fmt.Sprintf("requests cut at %d", cut), feed(t, d, true, req.stream, cuts, req.isStart), req.view)
				if cut == 0 {
					for rcut := 1; rcut < len(resp.stream); rcut++ {
						d2 := &dumps{}
						d2.init(true)
						feed(t, d2, true, req.stream, nil, req.isStart)
						checkView(t, fmt.Sprintf("responses cut at %d", rcut), feed(t, d2, false, resp.stream, []int{rcut}, nil), resp.view)
					}
				}
			}
		})
	}
}

// TestDumpTrackerSaslHandshakeV0UnknownMechanism is a v0 handshake for a
// mechanism whose tokens cannot be counted (GSSAPI): from there on the
// stream is shown as byte counts only, in both directions, and nothing of
// the tokens may show, whether they come through the net.Conn view (no
// frame starts known) or through Send, whose every message starts a frame
// as far as the IO knows.
func TestDumpTrackerSaslHandshakeV0UnknownMechanism(t *testing.T) {
	const secret = "kerberos-ticket-secret"
	for _, viaSend := range []bool{false, true} {
		t.Run(fmt.Sprintf("tokens sent as frames: %v", viaSend), func(t *testing.T) {
			d := &dumps{}
			d.init(true)
			l := newDumpLog()
			chunks := [][]byte{handshakeV0(2, "GSSAPI"), bareToken(secret + " 1"), bareToken(secret + " 2")}
			for _, c := range chunks {
				d.dump(l.logger, "broker:9092", true, c, viaSend)
			}
			d.dump(l.logger, "broker:9092", false, responseFrame(2, []byte("\x00\x00\x00\x00\x00\x00")), viaSend)
			d.dump(l.logger, "broker:9092", false, bareToken(secret+" from the server"), viaSend)
			out := l.buf.String()
			if strings.Contains(out, hex.EncodeToString([]byte(secret))) || strings.Contains(out, secret) {
				t.Errorf("a token after a v0 handshake for GSSAPI is in the dump:\n%s", out)
			}
		})
	}
}

// TestDumpTrackerOtherSecretAPIs: the other frames that carry secrets
// show only their header (requests) or their correlation id (responses),
// and the rest of the stream is unaffected.
func TestDumpTrackerOtherSecretAPIs(t *testing.T) {
	header := 14 + len(clientID)
	req, resp := &expect{}, &expect{}
	secretReq := []int16{51, 39, 40, 33, 44} // AlterUserScramCredentials, Renew/ExpireDelegationToken, AlterConfigs, IncrementalAlterConfigs
	corr := int32(10)
	for _, key := range secretReq {
		req.add(requestFrame(key, corr, &clientID, []byte("salted password or hmac")), header)
		resp.add(responseFrame(corr, []byte("an answer with nothing secret")), 1<<30)
		corr++
	}
	for _, key := range []int16{38, 41} { // Create/DescribeDelegationToken: the token's HMAC comes back
		req.add(requestFrame(key, corr, &clientID, []byte("owner")), 1<<30)
		resp.add(responseFrame(corr, []byte("the token's hmac")), 8)
		corr++
	}
	req.add(requestFrame(3, corr, &clientID, nil), 1<<30)
	resp.add(responseFrame(corr, []byte("metadata")), 1<<30)
	d := &dumps{}
	d.init(true)
	every := make([]int, len(req.stream)-1)
	for i := range every {
		every[i] = i + 1
	}
	checkView(t, "requests byte by byte", feed(t, d, true, req.stream, every, nil), req.view)
	checkView(t, "responses in one chunk", feed(t, d, false, resp.stream, nil, nil), resp.view)
}
