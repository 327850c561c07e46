package kafkawire

// SaslHandshake builds a SaslHandshake request frame asking for mechanism
// (e.g. "SCRAM-SHA-256"). Versions 0 and 1 share one body, the mechanism
// name, under request header v1; they differ in what follows a successful
// handshake: after v0 the SASL tokens travel as raw size-prefixed frames,
// after v1 inside SaslAuthenticate requests.
func SaslHandshake(corrID int32, clientID string, version int16, mechanism string) []byte {
	e := newRequest(KeySaslHandshake, version, corrID, clientID, false)
	e.string(mechanism)
	return e.frame()
}

// SaslHandshakeResponse is a parsed SaslHandshake response.
type SaslHandshakeResponse struct {
	CorrelationID int32
	ErrorCode     int16    // ErrUnsupportedSaslMechanism when the mechanism is not enabled
	Mechanisms    []string // the mechanisms the broker has enabled
}

// ParseSaslHandshake parses a SaslHandshake response body (v0 and v1 have
// the same layout under response header v0).
func ParseSaslHandshake(body []byte) (SaslHandshakeResponse, error) {
	d := decoder{b: body}
	r := SaslHandshakeResponse{CorrelationID: d.int32(), ErrorCode: d.int16()}
	n := d.arrayLen(2)
	r.Mechanisms = make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r.Mechanisms = append(r.Mechanisms, d.string())
	}
	return r, d.finish("SaslHandshake response")
}

// SaslAuthenticate builds a SaslAuthenticate request frame carrying one SASL
// message. Versions 0 and 1 have header v1 and int32-length bytes; version 2
// (and anything above, which this package treats as 2) is flexible: request
// header v2, compact bytes and an empty tagged-field section. v1 is the first
// version whose response carries session_lifetime_ms (KIP-368).
func SaslAuthenticate(corrID int32, clientID string, version int16, authBytes []byte) []byte {
	flexible := version >= 2
	e := newRequest(KeySaslAuthenticate, version, corrID, clientID, flexible)
	if flexible {
		e.compactBytes(authBytes)
		e.emptyTags()
	} else {
		e.bytes32(authBytes)
	}
	return e.frame()
}

// SaslAuthenticateResponse is a parsed SaslAuthenticate response.
type SaslAuthenticateResponse struct {
	CorrelationID int32
	ErrorCode     int16   // ErrSaslAuthenticationFailed on a wrong password
	ErrorMessage  *string // the broker's words; nil when it sent none
	// AuthBytes is the server's SASL message for the client's mechanism. It
	// aliases the body that was parsed.
	AuthBytes []byte
	// SessionLifetimeMs is how long the authentication holds (KIP-368): 0
	// for no limit, and always 0 in v0, which does not carry it.
	SessionLifetimeMs int64
}

// ParseSaslAuthenticate parses a SaslAuthenticate response to a request of
// the given version. v2 (and anything above) is flexible: response header
// v1 with a tagged-field section after the correlation id, compact strings
// and bytes, and trailing tagged fields, which are skipped.
func ParseSaslAuthenticate(body []byte, version int16) (SaslAuthenticateResponse, error) {
	flexible := version >= 2
	d := decoder{b: body}
	r := SaslAuthenticateResponse{CorrelationID: d.int32()}
	if flexible {
		d.skipTags()
	}
	r.ErrorCode = d.int16()
	if flexible {
		r.ErrorMessage = d.compactNullableString()
		r.AuthBytes = d.compactBytes()
	} else {
		r.ErrorMessage = d.nullableString()
		r.AuthBytes = d.bytes32()
	}
	if version >= 1 {
		r.SessionLifetimeMs = d.int64()
	}
	if flexible {
		d.skipTags()
	}
	return r, d.finish("SaslAuthenticate response")
}
