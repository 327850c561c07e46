package kafkawire

// Names this package reports in ApiVersions v3+ requests. Brokers check them
// against [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? and reject anything else.
const (
	SoftwareName    = "kafkaio-kafkawire"
	SoftwareVersion = "1.0"
)

// ApiVersions builds an ApiVersions request frame. Version 0 has an empty
// body under request header v1. Version 3 is flexible: request header v2
// (a tagged-field section after the client id) and a body of two compact
// strings, SoftwareName and SoftwareVersion, plus its own tagged fields.
// Versions 1 and 2 share v0's empty body.
func ApiVersions(corrID int32, clientID string, version int16) []byte {
	flexible := version >= 3
	e := newRequest(KeyApiVersions, version, corrID, clientID, flexible)
	if flexible {
		e.compactString(SoftwareName)
		e.compactString(SoftwareVersion)
		e.emptyTags()
	}
	return e.frame()
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
