package kafkawire

import (
	"errors"
	"fmt"
	"strings"
)

// Names this package reports in ApiVersions v3+ requests. Brokers check them
// against [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? and reject anything else.
const (
	SoftwareName    = "kafkaio-kafkawire"
	SoftwareVersion = "1.0"
)

// ClientSoftware is the client name and version an ApiVersions v3+ request
// reports (KIP-511), e.g. {"kafkaio", "1.2.0"}. Brokers show them in their
// metrics and answer INVALID_REQUEST when either does not match
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?.
type ClientSoftware struct {
	Name, Version string
}

// ErrInvalidSoftware is wrapped by ApiVersionsWith's error for a name or
// version that brokers would reject.
var ErrInvalidSoftware = errors.New("kafkawire: client software name or version does not match KIP-511's [a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?")

// ValidSoftwareString reports whether s matches KIP-511's pattern
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?: letters, digits, '-' and '.',
// starting and ending with a letter or digit.
func ValidSoftwareString(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' && s[i] != '.' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// SanitizeSoftwareString makes s valid for ClientSoftware the way librdkafka
// does with its client.software settings: every byte that is not a letter,
// digit, '-' or '.' becomes '-', and bytes that are not letters or digits are
// trimmed from both ends. So a Go module version "v1.2.0+incompatible" becomes
// "v1.2.0-incompatible" and "(devel)" becomes "devel". A string with no
// letter or digit at all becomes "unknown".
func SanitizeSoftwareString(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !isAlnum(c) && c != '-' && c != '.' {
			b[i] = '-'
		}
	}
	// Every byte is ASCII by now, so each rune is one byte.
	out := strings.TrimFunc(string(b), func(r rune) bool { return !isAlnum(byte(r)) })
	if out == "" {
		return "unknown"
	}
	return out
}

// ApiVersions builds an ApiVersions request frame. Version 0 has an empty
// body under request header v1. Version 3 is flexible: request header v2
// (a tagged-field section after the client id) and a body of two compact
// strings, SoftwareName and SoftwareVersion, plus its own tagged fields.
// Versions 1 and 2 share v0's empty body.
func ApiVersions(corrID int32, clientID string, version int16) []byte {
	frame, err := ApiVersionsWith(corrID, clientID, version, ClientSoftware{SoftwareName, SoftwareVersion})
	if err != nil {
		panic(err) // the constants are valid; TestSoftwareConstantsValid checks
	}
	return frame
}

// ApiVersionsWith is ApiVersions reporting sw as the client software in
// version 3 and above. Versions below 3 do not carry it, but sw is checked
// for every version, so that a client falling back from v3 (KIP-511) gets
// the same answer. An invalid name or version is an error wrapping
// ErrInvalidSoftware; SanitizeSoftwareString makes any string valid.
func ApiVersionsWith(corrID int32, clientID string, version int16, sw ClientSoftware) ([]byte, error) {
	if !ValidSoftwareString(sw.Name) || !ValidSoftwareString(sw.Version) {
		return nil, fmt.Errorf("%w: name %q, version %q", ErrInvalidSoftware, sw.Name, sw.Version)
	}
	flexible := version >= 3
	e := newRequest(KeyApiVersions, version, corrID, clientID, flexible)
	if flexible {
		e.compactString(sw.Name)
		e.compactString(sw.Version)
		e.emptyTags()
	}
	return e.frame(), nil
}

// ApiVersionsResponse is a parsed ApiVersions response.
type ApiVersionsResponse struct {
	CorrelationID  int32
	ErrorCode      int16
	APIKeys        []APIKeyRange
	ThrottleTimeMs int32 // absent in v0 and in the v0-shaped error reply
}

// APIKeyRange is the version range a broker supports for one API key.
type APIKeyRange struct {
	Key, MinVersion, MaxVersion int16
}

// Find returns the range the broker lists for key, if any.
func (r ApiVersionsResponse) Find(key int16) (APIKeyRange, bool) {
	for _, k := range r.APIKeys {
		if k.Key == key {
			return k, true
		}
	}
	return APIKeyRange{}, false
}

// ParseApiVersions parses an ApiVersions response to a request of the given
// version. The response header is always v0 (no tagged fields), even when the
// body is flexible, because a client must be able to read it before it knows
// which versions the broker speaks. For the same reason a broker that does
// not support the requested version answers UNSUPPORTED_VERSION in the v0
// layout, which this parser recognises.
func ParseApiVersions(body []byte, version int16) (ApiVersionsResponse, error) {
	d := decoder{b: body}
	r := ApiVersionsResponse{CorrelationID: d.int32(), ErrorCode: d.int16()}
	if r.ErrorCode == ErrUnsupportedVersion {
		version = 0
	}
	if version >= 3 {
		r.APIKeys = readKeyRanges(&d, d.compactArrayLen(7), true)
	} else {
		r.APIKeys = readKeyRanges(&d, d.arrayLen(6), false)
	}
	if version >= 1 {
		r.ThrottleTimeMs = d.int32()
	}
	if version >= 3 {
		d.skipTags()
	}
	return r, d.finish("ApiVersions response")
}

// readKeyRanges reads n (api_key, min_version, max_version) entries; in
// flexible versions each entry ends with its own tagged fields.
func readKeyRanges(d *decoder, n int, flexible bool) []APIKeyRange {
	keys := make([]APIKeyRange, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := APIKeyRange{Key: d.int16(), MinVersion: d.int16(), MaxVersion: d.int16()}
		if flexible {
			d.skipTags()
		}
		keys = append(keys, k)
	}
	return keys
}
