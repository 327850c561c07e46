package saslserver

import "bytes"

// OAuthBearer is an OAUTHBEARER server (RFC 7628) that accepts one token.
// The client's initial response must be exactly
// "n,,\x01auth=Bearer <Token>\x01\x01": no authorization id, no extensions.
//
// As Apache Kafka's OAuthBearerSaslServer does, a well-formed response with
// another token is answered with the JSON error InvalidTokenChallenge; the
// client must then send the single byte 0x01 (RFC 7628 section 3.2.3), and
// the exchange fails with that JSON as its message. A malformed response
// fails at once.
type OAuthBearer struct {
	Token string
}

// InvalidTokenChallenge is the JSON error an OAuthBearer server answers a
// wrong token with (RFC 7628 section 3.2.2).
const InvalidTokenChallenge = `{"status":"invalid_token"}`

// Mechanism is "OAUTHBEARER".
func (OAuthBearer) Mechanism() string { return "OAUTHBEARER" }

// Start begins one exchange.
func (o OAuthBearer) Start() Exchange { return &oauthExchange{o: o} }

type oauthExchange struct {
	o    OAuthBearer
	step int // 0: before the initial response, 1: sent the error, 2: finished
}

func (e *oauthExchange) Step(msg []byte) ([]byte, bool, error) {
	step := e.step
	e.step = 2
	switch step {
	case 0:
		tok, ok := bytes.CutPrefix(msg, []byte("n,,\x01auth=Bearer "))
		if ok {
			tok, ok = bytes.CutSuffix(tok, []byte("\x01\x01"))
		}
		if !ok || len(tok) == 0 || bytes.IndexByte(tok, 0x01) >= 0 {
			return nil, false, failure("Invalid OAUTHBEARER client first message: not n,,<0x01>auth=Bearer <token><0x01><0x01>")
		}
		if !bytes.Equal(tok, []byte(e.o.Token)) {
			e.step = 1
			return []byte(InvalidTokenChallenge), false, nil
		}
		return nil, true, nil
	case 1:
		if !bytes.Equal(msg, []byte{0x01}) {
			return nil, false, failure("Invalid OAUTHBEARER client response to the error: not the single byte 0x01")
		}
		return nil, false, failure(InvalidTokenChallenge)
	default:
		return nil, false, finished("OAUTHBEARER")
	}
}
