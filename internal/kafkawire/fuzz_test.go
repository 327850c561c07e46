package kafkawire

import (
	"errors"
	"testing"
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
