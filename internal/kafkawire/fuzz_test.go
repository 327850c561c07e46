package kafkawire

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzParseFetch feeds arbitrary bodies to the most involved parser (nested
// arrays, nullable bytes, record batches with varints and a CRC). It must
// never panic, and any error must wrap ErrMalformed. Run it longer with
// go test -fuzz=FuzzParseFetch ./internal/kafkawire/.
func FuzzParseFetch(f *testing.F) {
	f.Add(kmsgResponse(fetchKmsg(), 1))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseFetch(body)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("err = %v does not wrap ErrMalformed", err)
		}
		if err == nil && len(body) < 12 {
			t.Fatalf("accepted a %d-byte body as %+v", len(body), r)
		}
	})
}

// FuzzParseSASL feeds arbitrary bodies to the SASL parsers, which kafkaio
// runs on whatever a broker (or something pretending to be one) answers
// during connection set-up. They must never panic, any error must wrap
// ErrMalformed, and a body that parses must at least hold the fixed fields.
func FuzzParseSASL(f *testing.F) {
	f.Add(kmsgResponse(saslHandshakeKmsg(0), 1), int16(1))
	for _, v := range []int16{0, 1, 2} {
		f.Add(kmsgResponse(saslAuthenticateKmsg(v, kmsg.StringPtr("err"), []byte("r=nonce,s=c2FsdA==,i=4096"), 1000), 1), v)
	}
	f.Add([]byte{}, int16(0))
	f.Fuzz(func(t *testing.T, body []byte, version int16) {
		if _, err := ParseSaslHandshake(body); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("SaslHandshake: err = %v does not wrap ErrMalformed", err)
		} else if err == nil && len(body) < 10 {
			t.Fatalf("SaslHandshake accepted a %d-byte body", len(body))
		}
		v := version & 3 // 0..3: the versions plus one beyond
		r, err := ParseSaslAuthenticate(body, v)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("SaslAuthenticate v%d: err = %v does not wrap ErrMalformed", v, err)
		}
		if err == nil && len(r.AuthBytes) > len(body) {
			t.Fatalf("SaslAuthenticate v%d: %d auth bytes from a %d-byte body", v, len(r.AuthBytes), len(body))
		}
	})
}
