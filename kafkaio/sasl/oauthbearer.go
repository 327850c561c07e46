package sasl

import (
	"context"
	"strconv"
)

const nameOAuthBearer = "OAUTHBEARER"

// OAuthBearer returns the OAUTHBEARER mechanism (RFC 7628). Every Start
// calls token with its context for the bearer token to send, so a token can
// be refreshed for each connection and each re-authentication. The token
// must be an RFC 6750 b64token (letters, digits, "-._~+/", then any number
// of "="); an empty or invalid one fails Start with ErrInvalidCredentials,
// and an error from token fails it with that error as the cause.
//
// A bearer token lets anyone who sees it act as its owner: use it over TLS.
func OAuthBearer(token func(ctx context.Context) (string, error)) Mechanism {
	return oauthBearer{token: token}
}

type oauthBearer struct {
	token func(ctx context.Context) (string, error)
}

func (oauthBearer) Name() string { return nameOAuthBearer }

func (m oauthBearer) Start(ctx context.Context) (Session, []byte, error) {
	if m.token == nil {
		return nil, nil, invalid(nameOAuthBearer, "no token callback")
	}
	tok, err := m.token(ctx)
	if err != nil {
		return nil, nil, &Error{Mechanism: nameOAuthBearer, Reason: "token callback failed", Err: err}
	}
	if err := checkB64Token(tok); err != nil {
		return nil, nil, err
	}
	// RFC 7628 section 3.1: gs2-header kvsep "auth=Bearer " token kvsep kvsep,
	// with kvsep = 0x01 and no authorization id in the gs2 header.
	msg := make([]byte, 0, len(gs2Header)+len("\x01auth=Bearer \x01\x01")+len(tok))
	msg = append(msg, gs2Header...)
	msg = append(msg, "\x01auth=Bearer "...)
	msg = append(msg, tok...)
	msg = append(msg, "\x01\x01"...)
	return &oauthSession{token: tok}, msg, nil
}

// checkB64Token checks RFC 6750's
//
//	b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// The error gives the offset of the first bad byte, never the byte or the token.
func checkB64Token(tok string) error {
	if tok == "" {
		return invalid(nameOAuthBearer, "empty token")
	}
	i := 0
	for i < len(tok) && isB64TokenChar(tok[i]) {
		i++
	}
	if i == 0 {
		return invalid(nameOAuthBearer, "token is not an RFC 6750 b64token: it does not start with a token character")
	}
	for i < len(tok) && tok[i] == '=' {
		i++
	}
	if i < len(tok) {
		return invalid(nameOAuthBearer, "token is not an RFC 6750 b64token: byte "+strconv.Itoa(i)+
			" of "+strconv.Itoa(len(tok))+" is not allowed there")
	}
	return nil
}

func isB64TokenChar(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/':
		return true
	}
	return false
}

// oauthSession waits for the server's answer to the initial response: empty
// on success, the server's JSON error otherwise.
type oauthSession struct {
	step        int    // 0: waiting for the answer, 1: sent 0x01 after an error, 2: done
	serverError []byte // the JSON error, for the error if the server goes on
	token       string // only to redact it from server text
}

func (s *oauthSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	step := s.step
	s.step = 2
	switch step {
	case 0:
		if len(challenge) == 0 {
			return true, nil, nil
		}
		// RFC 7628 section 3.2.3: the client answers an error with a single
		// kvsep, and the server then fails the authentication.
		s.serverError = append([]byte(nil), challenge...)
		s.step = 1
		return false, []byte{0x01}, nil
	case 1:
		return false, nil, &Error{Mechanism: nameOAuthBearer,
			Reason: "server rejected the token with " + quote(s.serverError, s.token), Err: ErrRejected}
	default:
		return false, nil, badServer(nameOAuthBearer, "server message after the exchange was complete")
	}
}
