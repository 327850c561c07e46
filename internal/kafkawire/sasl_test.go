package kafkawire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestSaslHandshakeMatchesKmsg(t *testing.T) {
	for _, v := range []int16{0, 1} {
		for _, mech := range []string{"PLAIN", "SCRAM-SHA-512", ""} {
			req := kmsg.NewPtrSASLHandshakeRequest()
			req.Version = v
			req.Mechanism = mech
			sameBytes(t, "SaslHandshake", SaslHandshake(11, "kafkaio", v, mech), kmsgRequest(req, 11, "kafkaio"))
		}
	}
}

// authPayloads covers empty bytes, a one-byte uvarint length, and a length
// that needs two uvarint bytes in v2.
var authPayloads = [][]byte{nil, {}, []byte("n,,n=user,r=abc"), bytes.Repeat([]byte{0xa5}, 300)}

func TestSaslAuthenticateMatchesKmsg(t *testing.T) {
	for _, v := range []int16{0, 1, 2} {
		for _, p := range authPayloads {
			req := kmsg.NewPtrSASLAuthenticateRequest()
			req.Version = v
			req.SASLAuthBytes = p
			sameBytes(t, "SaslAuthenticate", SaslAuthenticate(-3, "kafkaio", v, p), kmsgRequest(req, -3, "kafkaio"))
		}
	}
}

func TestSaslAuthenticateV2KnownBytes(t *testing.T) {
	want := []byte{
		0, 0, 0, 0x13, // size: 19 bytes follow
		0, 36, 0, 2, 0, 0, 0, 5, 0, 2, 'i', 'o', // header v1 part
		0,                       // header v2 tagged fields
		5, 0x00, 'u', 0x00, 'p', // compact bytes: length 4+1
		0, // body tagged fields
	}
	if got := SaslAuthenticate(5, "io", 2, []byte("\x00u\x00p")); !bytes.Equal(got, want) {
		t.Fatalf("SaslAuthenticate v2 = % x\nwant               % x", got, want)
	}
}

func saslHandshakeKmsg(errCode int16) *kmsg.SASLHandshakeResponse {
	r := kmsg.NewPtrSASLHandshakeResponse()
	r.Version = 1
	r.ErrorCode = errCode
	r.SupportedMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"}
	return r
}

func TestParseSaslHandshake(t *testing.T) {
	for _, code := range []int16{ErrNone, ErrUnsupportedSaslMechanism, ErrIllegalSaslState} {
		got, err := ParseSaslHandshake(kmsgResponse(saslHandshakeKmsg(code), 12))
		if err != nil {
			t.Fatal(err)
		}
		want := SaslHandshakeResponse{CorrelationID: 12, ErrorCode: code, Mechanisms: []string{"PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
	empty := kmsg.NewPtrSASLHandshakeResponse()
	got, err := ParseSaslHandshake(kmsgResponse(empty, 1))
	if err != nil || len(got.Mechanisms) != 0 {
		t.Fatalf("no mechanisms: %+v, %v", got, err)
	}
}

func saslAuthenticateKmsg(version int16, errMsg *string, auth []byte, lifetime int64) *kmsg.SASLAuthenticateResponse {
	r := kmsg.NewPtrSASLAuthenticateResponse()
	r.Version = version
	r.ErrorMessage = errMsg
	if errMsg != nil {
		r.ErrorCode = ErrSaslAuthenticationFailed
	}
	r.SASLAuthBytes = auth
	r.SessionLifetimeMillis = lifetime
	return r
}

func TestParseSaslAuthenticate(t *testing.T) {
	msg := "Authentication failed: Invalid username or password"
	for _, v := range []int16{0, 1, 2} {
		for _, errMsg := range []*string{nil, &msg, kmsg.StringPtr("")} {
			for _, auth := range authPayloads {
				body := kmsgResponse(saslAuthenticateKmsg(v, errMsg, auth, 3_600_000), 77)
				got, err := ParseSaslAuthenticate(body, v)
				if err != nil {
					t.Fatalf("v%d: %v", v, err)
				}
				want := SaslAuthenticateResponse{CorrelationID: 77, ErrorMessage: errMsg, AuthBytes: auth}
				if errMsg != nil {
					want.ErrorCode = ErrSaslAuthenticationFailed
				}
				if want.AuthBytes == nil {
					want.AuthBytes = []byte{}
				}
				if v >= 1 {
					want.SessionLifetimeMs = 3_600_000
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("v%d:\n got %+v\nwant %+v", v, got, want)
				}
			}
		}
	}
}

// Tagged fields in the v2 response header and body are skipped.
func TestParseSaslAuthenticateSkipsTags(t *testing.T) {
	r := saslAuthenticateKmsg(2, nil, []byte("v=sig"), 5000)
	r.UnknownTags.Set(7, []byte("future"))
	body := []byte{0, 0, 0, 9, 1, 3, 2, 0xab, 0xcd} // corr id 9, one header tag (3) of 2 bytes
	body = r.AppendTo(body)
	got, err := ParseSaslAuthenticate(body, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.CorrelationID != 9 || string(got.AuthBytes) != "v=sig" || got.SessionLifetimeMs != 5000 {
		t.Fatalf("got %+v", got)
	}
}

// A null where bytes are required is malformed, in both encodings.
func TestParseSaslAuthenticateNullBytes(t *testing.T) {
	v1 := cat([]byte{0, 0, 0, 1, 0, 0, 0xff, 0xff}, []byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 8))
	if _, err := ParseSaslAuthenticate(v1, 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("v1 null auth bytes: err = %v", err)
	}
	v2 := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, err := ParseSaslAuthenticate(v2, 2); !errors.Is(err, ErrMalformed) {
		t.Fatalf("v2 null auth bytes: err = %v", err)
	}
}

func TestApiVersionsWithMatchesKmsg(t *testing.T) {
	sw := ClientSoftware{Name: "kafkaio", Version: "0.3.1-rc.2"}
	for _, v := range []int16{0, 1, 2, 3, 4} {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName = sw.Name
		req.ClientSoftwareVersion = sw.Version
		got, err := ApiVersionsWith(3, "app", v, sw)
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "ApiVersions", got, kmsgRequest(req, 3, "app"))
	}
}

func TestApiVersionsWithRejectsInvalidSoftware(t *testing.T) {
	for _, sw := range []ClientSoftware{
		{"", "1"}, {"kafkaio", ""}, {"-kafkaio", "1"}, {"kafkaio.", "1"}, {"kafka io", "1"},
		{"kafkaio", "v1.0.0+incompatible"}, {"kafkaio", "(devel)"}, {"käfka", "1"}, {"a_b", "1"},
	} {
		for _, v := range []int16{0, 3} {
			frame, err := ApiVersionsWith(1, "x", v, sw)
			if !errors.Is(err, ErrInvalidSoftware) || frame != nil {
				t.Errorf("v%d %+v: frame %x, err %v", v, sw, frame, err)
			}
		}
	}
	for _, ok := range []string{"a", "7", "kafkaio", "v1.2.3-rc.1", "a-.b", "0.0.0-20260918054303-01f206a7e32c"} {
		if !ValidSoftwareString(ok) {
			t.Errorf("ValidSoftwareString(%q) = false", ok)
		}
	}
}

func TestSanitizeSoftwareString(t *testing.T) {
	for in, want := range map[string]string{
		"kafkaio":             "kafkaio",
		"v1.2.0+incompatible": "v1.2.0-incompatible",
		"(devel)":             "devel",
		"go1.26.8 linux":      "go1.26.8-linux",
		"-.x.-":               "x",
		"käfka":               "k--fka",
		"":                    "unknown",
		"+++":                 "unknown",
		"ü":                   "unknown",
	} {
		got := SanitizeSoftwareString(in)
		if got != want || !ValidSoftwareString(got) {
			t.Errorf("SanitizeSoftwareString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSoftwareConstantsValid(t *testing.T) {
	if !ValidSoftwareString(SoftwareName) || !ValidSoftwareString(SoftwareVersion) {
		t.Fatalf("%q / %q are not valid KIP-511 strings", SoftwareName, SoftwareVersion)
	}
}
