package kafkawire

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// parsers runs every parser on a body, for the robustness tests.
var parsers = map[string]func([]byte) error{
	"ApiVersions v0": func(b []byte) error { _, err := ParseApiVersions(b, 0); return err },
	"ApiVersions v3": func(b []byte) error { _, err := ParseApiVersions(b, 3); return err },
	"Metadata":       func(b []byte) error { _, err := ParseMetadata(b); return err },
	"ListOffsets":    func(b []byte) error { _, err := ParseListOffsets(b); return err },
	"Produce":        func(b []byte) error { _, err := ParseProduce(b); return err },
	"Fetch":          func(b []byte) error { _, err := ParseFetch(b); return err },
	"CreateTopics":   func(b []byte) error { _, err := ParseCreateTopics(b); return err },
	"SaslHandshake":  func(b []byte) error { _, err := ParseSaslHandshake(b); return err },
	"SaslAuth v0":    func(b []byte) error { _, err := ParseSaslAuthenticate(b, 0); return err },
	"SaslAuth v1":    func(b []byte) error { _, err := ParseSaslAuthenticate(b, 1); return err },
	"SaslAuth v2":    func(b []byte) error { _, err := ParseSaslAuthenticate(b, 2); return err },
}

// validBodies are well-formed responses, one per parser.
func validBodies() map[string][]byte {
	return map[string][]byte{
		"ApiVersions v0": kmsgResponse(apiVersionsKmsg(0, 0), 1),
		"ApiVersions v3": kmsgResponse(apiVersionsKmsg(3, 0), 1),
		"Metadata":       kmsgResponse(metadataKmsg(), 1),
		"ListOffsets":    kmsgResponse(listOffsetsKmsg(), 1),
		"Produce":        kmsgResponse(produceKmsg(), 1),
		"Fetch":          kmsgResponse(fetchKmsg(), 1),
		"CreateTopics":   kmsgResponse(createTopicsKmsg(), 1),
		"SaslHandshake":  kmsgResponse(saslHandshakeKmsg(ErrUnsupportedSaslMechanism), 1),
		"SaslAuth v0":    kmsgResponse(saslAuthenticateKmsg(0, kmsg.StringPtr("bad"), []byte("r=abc"), 0), 1),
		"SaslAuth v1":    kmsgResponse(saslAuthenticateKmsg(1, nil, []byte("v=sig"), 9000), 1),
		"SaslAuth v2":    kmsgResponse(saslAuthenticateKmsg(2, kmsg.StringPtr("no"), []byte("e=x"), 9000), 1),
	}
}

// Every strict prefix of a valid response is an error, never a panic and
// never a silently shorter result; so is a byte too many.
func TestParsersRejectTruncatedAndTrailing(t *testing.T) {
	for name, body := range validBodies() {
		parse := parsers[name]
		if err := parse(body); err != nil {
			t.Fatalf("%s: valid body: %v", name, err)
		}
		for i := range body {
			if err := parse(body[:i]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: %d of %d bytes: err = %v, want ErrMalformed", name, i, len(body), err)
			}
		}
		if err := parse(append(body, 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: trailing byte: err = %v, want ErrMalformed", name, err)
		}
	}
}

// Random corruption of valid responses must not panic; any error must wrap
// ErrMalformed. A fixed seed keeps failures reproducible.
func TestParsersSurviveCorruption(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, body := range validBodies() {
		parse := parsers[name]
		for range 2000 {
			b := append([]byte(nil), body...)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			if err := parse(b); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: % x: err = %v does not wrap ErrMalformed", name, b, err)
			}
		}
	}
}

// Huge counts in a tiny input are rejected up front rather than allocated.
func TestParsersRejectHugeCounts(t *testing.T) {
	huge := []byte{0x7f, 0xff, 0xff, 0xff}
	corr := []byte{0, 0, 0, 1}
	noError := []byte{0, 0}
	bodies := map[string][]byte{
		"ApiVersions v0": cat(corr, noError, huge),
		"ApiVersions v3": cat(corr, noError, []byte{0xff, 0xff, 0xff, 0xff, 0x07}),
		"Metadata":       cat(corr, huge),
		"ListOffsets":    cat(corr, huge),
		"Produce":        cat(corr, huge),
		"Fetch":          cat(corr, huge, huge), // throttle, then the count
		"CreateTopics":   cat(corr, huge, huge),
		"SaslHandshake":  cat(corr, noError, huge),
		"SaslAuth v0":    cat(corr, noError, []byte{0xff, 0xff}, huge),            // null message, then a huge length
		"SaslAuth v1":    cat(corr, noError, []byte{0x7f, 0xff}),                  // a huge message length
		"SaslAuth v2":    cat(corr, []byte{0}, noError, []byte{0xff, 0xff, 0x07}), // a huge compact length
	}
	for name, body := range bodies {
		parse := parsers[name]
		allocs := testing.AllocsPerRun(10, func() { _ = parse(body) })
		if err := parse(body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
		if allocs > 20 {
			t.Errorf("%s: %v allocations for a %d-byte input", name, allocs, len(body))
		}
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
