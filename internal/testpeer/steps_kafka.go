package testpeer

import (
	"fmt"
	"regexp"
	"time"

	"github.com/kafkaio/kafkaio/internal/saslserver"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// API keys the Kafka steps answer.
const (
	KeySaslHandshake    int16 = 17
	KeyApiVersions      int16 = 18
	KeySaslAuthenticate int16 = 36
)

// APIRange is one entry of an ApiVersions response: the versions a broker
// serves for one API key.
type APIRange struct {
	Key, Min, Max int16
}

// DefaultAPIs is what a Broker advertises when its APIs are nil: what an
// Apache Kafka 3.x broker lists for the keys connection set-up uses, plus
// Metadata so that the list holds a key the set-up does not use.
func DefaultAPIs() []APIRange {
	return []APIRange{
		{Key: 3, Min: 0, Max: 12}, // Metadata
		{Key: KeySaslHandshake, Min: 0, Max: 1},
		{Key: KeyApiVersions, Min: 0, Max: 3},
		{Key: KeySaslAuthenticate, Min: 0, Max: 2},
	}
}

// OnAuthFailure is what a Broker does when a SASL exchange fails.
type OnAuthFailure int

const (
	// AnswerThenClose answers the SaslAuthenticate request with
	// SASL_AUTHENTICATION_FAILED and the server's message, then closes the
	// connection, ending the script: what Apache Kafka brokers do.
	AnswerThenClose OnAuthFailure = iota
	// AnswerAndContinue answers with SASL_AUTHENTICATION_FAILED and keeps
	// the connection, which can start over with a new SaslHandshake.
	AnswerAndContinue
	// CloseSilently closes the connection without answering, ending the
	// script: what kfake does on a wrong password.
	CloseSilently
)

// Broker is the configuration of the Kafka-speaking steps: a scripted broker
// for connection set-up (ApiVersions, SaslHandshake, SaslAuthenticate). Its
// methods make the steps; a Broker value is copied into them, so changing it
// later changes no step. Build the script from single answers to control
// the order and the faults,
//
//	b := testpeer.Broker{Mechanisms: []saslserver.Server{saslserver.OAuthBearer{Token: "t"}}}
//	peer := testpeer.Start(t, "tcp4", b.ApiVersions(), b.SaslHandshake(), b.SaslExchange(), testpeer.EchoFrames())
//
// or let Serve answer whatever comes, in any order and any number of times.
// The steps of one connection share what it has done so far (the mechanism
// its last SaslHandshake chose, the exchange in progress, whether it is
// authenticated), whichever Broker value made them.
//
// The steps parse requests with franz-go's kmsg, independently of kafkaio's
// own codecs, and require each body to re-encode to the very bytes sent. A
// malformed request, an unexpected API key in a single-answer step, or a
// SaslHandshake or SaslAuthenticate version outside the advertised range is
// the peer's Err, and the connection is closed. SaslHandshake v0 is
// answered, but the raw SASL frames a v0 client sends next are not served:
// the exchange steps read SaslAuthenticate requests only.
type Broker struct {
	// APIs is what ApiVersions advertises; nil means DefaultAPIs(). An
	// ApiVersions request above the range of key 18 is answered
	// UNSUPPORTED_VERSION in the v0 layout with these ranges (KIP-511), and
	// so is one when key 18 is missing.
	APIs []APIRange
	// Mechanisms are the enabled SASL mechanisms, in the order SaslHandshake
	// lists them. With none, the broker has no SASL: SaslHandshake answers
	// UNSUPPORTED_SASL_MECHANISM with an empty list.
	Mechanisms []saslserver.Server
	// OnAuthFailure is what happens when a mechanism's exchange fails.
	OnAuthFailure OnAuthFailure
	// SessionLifetime is the session_lifetime_ms of a successful
	// SaslAuthenticate response (v1 and above; KIP-368), 0 for none. Only
	// when it is set may an authenticated connection send a new
	// SaslHandshake to re-authenticate, as with connections.max.reauth.ms on
	// a real broker; otherwise that handshake gets ILLEGAL_SASL_STATE.
	SessionLifetime time.Duration
	// Seen, when set, is called with every request the steps read, on the
	// peer's goroutine, before it is answered. RequestLog.Add fits.
	Seen func(Request)
}

// kafkaState is what the Kafka steps know of one connection.
type kafkaState struct {
	mech          saslserver.Server   // chosen by the last successful SaslHandshake
	exchange      saslserver.Exchange // started by the first SaslAuthenticate after it
	authenticated bool
}

// maxExchangeRounds bounds one SASL exchange, so a client in a loop ends.
const maxExchangeRounds = 16

// maxFallbacks bounds the ApiVersions retries one ApiVersions step answers.
const maxFallbacks = 4

// ApiVersions answers one ApiVersions request with b.APIs. When the request's
// version is above what key 18 advertises, it answers UNSUPPORTED_VERSION (in
// the v0 layout, with the ranges) and answers the client's retry too, up to
// 4 retries: a KIP-511 fallback takes one step. A v3+ request whose client
// software name or version does not match KIP-511's pattern is answered
// INVALID_REQUEST, as a broker does.
func (b Broker) ApiVersions() Step {
	b = b.copy()
	return newStep("Broker.ApiVersions()", func(s *session) error {
		for range maxFallbacks + 1 {
			r, err := b.expect(s, KeyApiVersions)
			if err != nil {
				return err
			}
			fellBack, err := b.answerApiVersions(s, r)
			if err != nil || !fellBack {
				return err
			}
		}
		return fmt.Errorf("client retried ApiVersions %d times after UNSUPPORTED_VERSION", maxFallbacks)
	})
}

// SaslHandshake answers one SaslHandshake request: success when it names
// one of b.Mechanisms (which the next SaslAuthenticate steps then run),
// UNSUPPORTED_SASL_MECHANISM otherwise, ILLEGAL_SASL_STATE when the
// connection is in the middle of an exchange or is authenticated without a
// session lifetime. Every answer lists the enabled mechanisms.
func (b Broker) SaslHandshake() Step {
	b = b.copy()
	return newStep("Broker.SaslHandshake()", func(s *session) error {
		r, err := b.expect(s, KeySaslHandshake)
		if err != nil {
			return err
		}
		return b.answerSaslHandshake(s, r)
	})
}

// SaslAuthenticate answers one SaslAuthenticate request: one round of the
// exchange with the mechanism the last SaslHandshake chose. A request
// without a chosen mechanism is answered ILLEGAL_SASL_STATE and the
// connection is closed. A failed exchange is handled as b.OnAuthFailure says.
func (b Broker) SaslAuthenticate() Step {
	b = b.copy()
	return newStep("Broker.SaslAuthenticate()", func(s *session) error {
		r, err := b.expect(s, KeySaslAuthenticate)
		if err != nil {
			return err
		}
		_, err = b.answerSaslAuthenticate(s, r)
		return err
	})
}

// SaslExchange answers SaslAuthenticate requests until the exchange ends:
// in success, or in failure (handled as b.OnAuthFailure says).
func (b Broker) SaslExchange() Step {
	b = b.copy()
	return newStep("Broker.SaslExchange()", func(s *session) error {
		for range maxExchangeRounds {
			r, err := b.expect(s, KeySaslAuthenticate)
			if err != nil {
				return err
			}
			if ended, err := b.answerSaslAuthenticate(s, r); err != nil || ended {
				return err
			}
		}
		return fmt.Errorf("SASL exchange still going after %d rounds", maxExchangeRounds)
	})
}

// Serve answers requests until the client closes between two of them:
// ApiVersions, SaslHandshake and SaslAuthenticate as the single steps do, in
// any order and any number of times (so a client can re-authenticate), and
// any other request by echoing its frame back, as EchoFrames does. Before
// authentication, on a broker with Mechanisms, any other request makes the
// broker close the connection, as Apache Kafka does, ending the script.
func (b Broker) Serve() Step {
	b = b.copy()
	return newStep("Broker.Serve()", func(s *session) error {
		for {
			r, err := b.read(s)
			if err != nil {
				return ignoreEOF(err)
			}
			switch r.Key {
			case KeyApiVersions:
				_, err = b.answerApiVersions(s, r)
			case KeySaslHandshake:
				err = b.answerSaslHandshake(s, r)
			case KeySaslAuthenticate:
				_, err = b.answerSaslAuthenticate(s, r)
			default:
				if len(b.Mechanisms) > 0 && !s.kafka.authenticated {
					return b.end(s, fmt.Sprintf("request key %d before authentication, connection closed", r.Key))
				}
				_, err = s.Write(r.Frame)
			}
			if err != nil {
				return err
			}
		}
	})
}

// ReadFrame reads one Kafka-style frame (an int32 big-endian size, then
// that many bytes) and records it, without answering: with Stall after it,
// a broker that goes silent in the middle of connection set-up. EOF before
// the frame ends the script early (the client went away).
func ReadFrame() Step {
	return newStep("ReadFrame()", func(s *session) error {
		_, err := readFrame(s)
		return err
	})
}

func (b Broker) copy() Broker {
	b.APIs = append([]APIRange(nil), b.apis()...)
	b.Mechanisms = append([]saslserver.Server(nil), b.Mechanisms...)
	return b
}

func (b Broker) apis() []APIRange {
	if b.APIs == nil {
		return DefaultAPIs()
	}
	return b.APIs
}

// maxVersion is the highest version advertised for key, -1 if none.
func (b Broker) maxVersion(key int16) int16 {
	if r, ok := b.find(key); ok {
		return r.Max
	}
	return -1
}

func (b Broker) find(key int16) (APIRange, bool) {
	for _, r := range b.APIs {
		if r.Key == key {
			return r, true
		}
	}
	return APIRange{}, false
}

// read reads one request and shows it to Seen.
func (b Broker) read(s *session) (Request, error) {
	r, err := readRequest(s, b.maxVersion)
	if err == nil && b.Seen != nil {
		b.Seen(r)
	}
	return r, err
}

// expect reads one request that must have key.
func (b Broker) expect(s *session, key int16) (Request, error) {
	r, err := b.read(s)
	if err != nil {
		return r, err // EOF before a request: the client went away
	}
	if r.Key != key {
		return r, fmt.Errorf("want a request with key %d, got key %d v%d", key, r.Key, r.Version)
	}
	return r, nil
}

// end hangs up on purpose and ends the script.
func (b Broker) end(s *session, why string) error {
	if err := s.hangUp(false); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", errEnded, why)
}

// checkVersion fails a SASL request whose version the broker does not
// advertise: a client that negotiated would never send it.
func (b Broker) checkVersion(r Request) error {
	rg, ok := b.find(r.Key)
	if !ok || r.Version < rg.Min || r.Version > rg.Max || r.Msg == nil {
		return fmt.Errorf("key %d v%d is not advertised (ranges %v)", r.Key, r.Version, b.APIs)
	}
	return nil
}

// kip511 is the pattern brokers check client software names and versions
// against.
var kip511 = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

// answerApiVersions answers r and reports whether it was an
// UNSUPPORTED_VERSION answer, after which the client retries.
func (b Broker) answerApiVersions(s *session, r Request) (fellBack bool, err error) {
	resp := kmsg.NewPtrApiVersionsResponse()
	for _, a := range b.APIs {
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: a.Key, MinVersion: a.Min, MaxVersion: a.Max})
	}
	rg, ok := b.find(KeyApiVersions)
	if !ok || r.Version < rg.Min || r.Version > rg.Max || r.Msg == nil {
		resp.Version = 0
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		return true, writeResponse(s, r, resp)
	}
	resp.Version = r.Version
	req := r.Msg.(*kmsg.ApiVersionsRequest)
	if r.Version >= 3 && (!kip511.MatchString(req.ClientSoftwareName) || !kip511.MatchString(req.ClientSoftwareVersion)) {
		resp.ErrorCode = kerr.InvalidRequest.Code
		resp.ApiKeys = nil
	}
	return false, writeResponse(s, r, resp)
}

func (b Broker) answerSaslHandshake(s *session, r Request) error {
	if err := b.checkVersion(r); err != nil {
		return err
	}
	req := r.Msg.(*kmsg.SASLHandshakeRequest)
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	for _, m := range b.Mechanisms {
		resp.SupportedMechanisms = append(resp.SupportedMechanisms, m.Mechanism())
	}
	k := &s.kafka
	switch {
	case k.mech != nil || (k.authenticated && b.SessionLifetime <= 0):
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return writeResponse(s, r, resp)
	}
	for _, m := range b.Mechanisms {
		if m.Mechanism() == req.Mechanism {
			k.mech, k.exchange = m, nil
			return writeResponse(s, r, resp)
		}
	}
	resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
	return writeResponse(s, r, resp)
}

// answerSaslAuthenticate runs one round of the exchange and reports whether
// the exchange ended with it (in success, or in a failure that left the
// connection open).
func (b Broker) answerSaslAuthenticate(s *session, r Request) (ended bool, err error) {
	if err := b.checkVersion(r); err != nil {
		return false, err
	}
	req := r.Msg.(*kmsg.SASLAuthenticateRequest)
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	k := &s.kafka
	if k.mech == nil {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		resp.ErrorMessage = kmsg.StringPtr("SaslAuthenticate without a SaslHandshake before it")
		if err := writeResponse(s, r, resp); err != nil {
			return false, err
		}
		return true, b.end(s, "SaslAuthenticate before SaslHandshake, connection closed")
	}
	if k.exchange == nil {
		k.exchange = k.mech.Start()
	}
	challenge, done, failure := k.exchange.Step(req.SASLAuthBytes)
	if failure != nil {
		k.mech, k.exchange, k.authenticated = nil, nil, false
		msg := failure.Error()
		if b.OnAuthFailure == CloseSilently {
			return true, b.end(s, "authentication failed, connection closed without an answer: "+msg)
		}
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = &msg
		if err := writeResponse(s, r, resp); err != nil {
			return false, err
		}
		if b.OnAuthFailure == AnswerThenClose {
			return true, b.end(s, "authentication failed, answered and closed: "+msg)
		}
		return true, nil
	}
	resp.SASLAuthBytes = challenge
	if resp.SASLAuthBytes == nil {
		resp.SASLAuthBytes = []byte{}
	}
	if done {
		k.mech, k.exchange, k.authenticated = nil, nil, true
		resp.SessionLifetimeMillis = b.SessionLifetime.Milliseconds()
	}
	return done, writeResponse(s, r, resp)
}
