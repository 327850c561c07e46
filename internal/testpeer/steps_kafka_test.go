package testpeer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/saslserver"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Kafka steps are tested with the client side kafkaio uses: requests
// built by kafkawire, SASL messages made by kafkaio/sasl. The steps parse
// them with kmsg, so both sides are checked against independent code.

// kclient is a minimal Kafka client over a plain connection.
type kclient struct {
	t    *testing.T
	c    *net.TCPConn
	corr int32
}

func kafkaDial(t *testing.T, p *Peer) *kclient { return &kclient{t: t, c: dial(t, p)} }

func (k *kclient) next() int32 { k.corr++; return k.corr }

// roundTrip sends frame and returns the response body, checking that its
// correlation id is the one frame carries.
func (k *kclient) roundTrip(frame []byte) []byte {
	k.t.Helper()
	write(k.t, k.c, frame)
	body := k.recv()
	if want := int32(binary.BigEndian.Uint32(frame[8:])); len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != want {
		k.t.Fatalf("response % x does not carry correlation id %d", body, want)
	}
	return body
}

// echo sends frame and checks that the same frame comes back.
func (k *kclient) echo(frame []byte) {
	k.t.Helper()
	write(k.t, k.c, frame)
	if got := k.recv(); string(got) != string(frame[4:]) {
		k.t.Fatalf("echo of % x = % x", frame[4:], got)
	}
}

func (k *kclient) recv() []byte {
	k.t.Helper()
	size := readN(k.t, k.c, 4)
	return readN(k.t, k.c, int(binary.BigEndian.Uint32(size)))
}

// expectEOF checks that the peer closed the connection without sending more.
func (k *kclient) expectEOF() {
	k.t.Helper()
	if rest, err := readToEOF(k.t, k.c); err != nil || len(rest) != 0 {
		k.t.Fatalf("read %q, %v; want EOF", rest, err)
	}
}

func (k *kclient) apiVersions(version int16) kafkawire.ApiVersionsResponse {
	k.t.Helper()
	frame, err := kafkawire.ApiVersionsWith(k.next(), "kafkaio", version, kafkawire.ClientSoftware{Name: "kafkaio", Version: "0.1.0"})
	if err != nil {
		k.t.Fatal(err)
	}
	r, err := kafkawire.ParseApiVersions(k.roundTrip(frame), version)
	if err != nil {
		k.t.Fatal(err)
	}
	return r
}

func (k *kclient) handshake(mech string) kafkawire.SaslHandshakeResponse {
	k.t.Helper()
	r, err := kafkawire.ParseSaslHandshake(k.roundTrip(kafkawire.SaslHandshake(k.next(), "kafkaio", 1, mech)))
	if err != nil {
		k.t.Fatal(err)
	}
	return r
}

func (k *kclient) saslRound(version int16, msg []byte) kafkawire.SaslAuthenticateResponse {
	k.t.Helper()
	r, err := kafkawire.ParseSaslAuthenticate(k.roundTrip(kafkawire.SaslAuthenticate(k.next(), "kafkaio", version, msg)), version)
	if err != nil {
		k.t.Fatal(err)
	}
	return r
}

// authenticate runs m over SaslAuthenticate requests of version as kafkaio
// does. It returns the last response, and the client's error or nil; a
// response with an error code ends it with that response.
func (k *kclient) authenticate(m sasl.Mechanism, version int16) (kafkawire.SaslAuthenticateResponse, error) {
	k.t.Helper()
	ctx := context.Background()
	sess, msg, err := m.Start(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	for range 5 {
		r := k.saslRound(version, msg)
		if r.ErrorCode != 0 {
			return r, nil
		}
		done, resp, err := sess.Next(ctx, r.AuthBytes)
		if err != nil || done {
			return r, err
		}
		msg = resp
	}
	k.t.Fatal("no end after 5 rounds")
	return kafkawire.SaslAuthenticateResponse{}, nil
}

func keys(reqs []Request) []int16 {
	var out []int16
	for _, r := range reqs {
		out = append(out, r.Key)
	}
	return out
}

func TestBrokerSetupEveryVersion(t *testing.T) {
	mechs := []saslserver.Server{
		saslserver.Plain{User: "alice", Pass: "pw"},
		saslserver.ScramSHA256("alice", "pw"),
		saslserver.ScramSHA512("alice", "pw"),
		saslserver.OAuthBearer{Token: "tok.en"},
	}
	clients := []sasl.Mechanism{
		sasl.Plain("alice", "pw"), sasl.ScramSHA256("alice", "pw"), sasl.ScramSHA512("alice", "pw"),
		sasl.OAuthBearer(func(context.Context) (string, error) { return "tok.en", nil }),
	}
	for _, network := range networks {
		for _, m := range clients {
			for _, v := range []int16{0, 1, 2} {
				t.Run(fmt.Sprintf("%s/%s/v%d", network, m.Name(), v), func(t *testing.T) {
					var log RequestLog
					b := Broker{Mechanisms: mechs, SessionLifetime: 90 * time.Second, Seen: log.Add}
					p := start(t, network, b.ApiVersions(), b.SaslHandshake(), b.SaslExchange(), EchoFrames())
					k := kafkaDial(t, p)

					av := k.apiVersions(3)
					want := []kafkawire.APIKeyRange{
						{Key: 3, MinVersion: 0, MaxVersion: 12}, {Key: 17, MinVersion: 0, MaxVersion: 1},
						{Key: 18, MinVersion: 0, MaxVersion: 3}, {Key: 36, MinVersion: 0, MaxVersion: 2},
					}
					if av.ErrorCode != 0 || !slices.Equal(av.APIKeys, want) {
						t.Fatalf("ApiVersions = %+v", av)
					}
					hs := k.handshake(m.Name())
					if hs.ErrorCode != 0 || !slices.Equal(hs.Mechanisms, []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}) {
						t.Fatalf("SaslHandshake = %+v", hs)
					}
					last, err := k.authenticate(m, v)
					if err != nil || last.ErrorCode != 0 {
						t.Fatalf("authenticate: %+v, %v", last, err)
					}
					if want := map[bool]int64{true: 90_000, false: 0}[v >= 1]; last.SessionLifetimeMs != want {
						t.Fatalf("session lifetime %d ms, want %d", last.SessionLifetimeMs, want)
					}
					// Ordinary requests afterwards: EchoFrames.
					k.echo(kafkawire.Metadata(k.next(), "kafkaio", 1, nil))
					k.c.Close()
					waitDone(t, p)
					requireNoErr(t, p)

					reqs := log.Requests()
					wantKeys := []int16{18, 17, 36}
					if strings.HasPrefix(m.Name(), "SCRAM") {
						wantKeys = append(wantKeys, 36)
					}
					if !slices.Equal(keys(reqs), wantKeys) {
						t.Fatalf("keys seen %v, want %v", keys(reqs), wantKeys)
					}
					av3 := reqs[0].Msg.(*kmsg.ApiVersionsRequest)
					if av3.ClientSoftwareName != "kafkaio" || av3.ClientSoftwareVersion != "0.1.0" || *reqs[0].ClientID != "kafkaio" {
						t.Fatalf("ApiVersions request %+v, client id %q", av3, *reqs[0].ClientID)
					}
				})
			}
		}
	}
}

// The OAUTHBEARER server checks the message byte for byte; a wrong token
// gets the JSON error, the client answers 0x01, the broker fails.
func TestBrokerOAuthBearerWrongToken(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.OAuthBearer{Token: "right"}}, OnAuthFailure: AnswerAndContinue}
	var log RequestLog
	b.Seen = log.Add
	p := start(t, "tcp4", b.SaslHandshake(), b.SaslExchange(), b.SaslHandshake(), b.SaslExchange(), Close())
	k := kafkaDial(t, p)
	k.handshake("OAUTHBEARER")
	r, err := k.authenticate(sasl.OAuthBearer(func(context.Context) (string, error) { return "wrong", nil }), 2)
	if err != nil || r.ErrorCode != kafkawire.ErrSaslAuthenticationFailed || *r.ErrorMessage != saslserver.InvalidTokenChallenge {
		t.Fatalf("wrong token: %+v (message %q), %v", r, derefString(r.ErrorMessage), err)
	}
	reqs := log.Requests()
	if got := reqs[len(reqs)-1].Msg.(*kmsg.SASLAuthenticateRequest).SASLAuthBytes; string(got) != "\x01" {
		t.Fatalf("the client's answer to the JSON error was %q", got)
	}
	// AnswerAndContinue: the connection can start over.
	k.handshake("OAUTHBEARER")
	r, err = k.authenticate(sasl.OAuthBearer(func(context.Context) (string, error) { return "right", nil }), 2)
	if err != nil || r.ErrorCode != 0 {
		t.Fatalf("right token: %+v, %v", r, err)
	}
	k.expectEOF()
	waitDone(t, p)
	requireNoErr(t, p)
}

func derefString(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestBrokerAuthFailureModes(t *testing.T) {
	const plainRefusal = "Authentication failed: Invalid username or password"
	for _, tc := range []struct {
		mode   OnAuthFailure
		answer bool
		event  string
	}{
		{AnswerThenClose, true, "authentication failed, answered and closed: " + plainRefusal},
		{CloseSilently, false, "authentication failed, connection closed without an answer: " + plainRefusal},
	} {
		b := Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: "u", Pass: "right"}}, OnAuthFailure: tc.mode}
		p := start(t, "tcp4", b.SaslHandshake(), b.SaslExchange(), Write([]byte("never")))
		k := kafkaDial(t, p)
		k.handshake("PLAIN")
		write(t, k.c, kafkawire.SaslAuthenticate(k.next(), "x", 1, []byte("\x00u\x00wrong")))
		if tc.answer {
			r, err := kafkawire.ParseSaslAuthenticate(k.recv(), 1)
			if err != nil || r.ErrorCode != kafkawire.ErrSaslAuthenticationFailed || derefString(r.ErrorMessage) != plainRefusal {
				t.Fatalf("mode %d: %+v (%q), %v", tc.mode, r, derefString(r.ErrorMessage), err)
			}
		}
		k.expectEOF()
		waitDone(t, p)
		requireNoErr(t, p)
		if ev := p.Events(); len(ev) != 1 || !strings.HasSuffix(ev[0], tc.event) {
			t.Fatalf("mode %d: events %q, want one ending %q", tc.mode, ev, tc.event)
		}
	}
}

func TestBrokerUnsupportedMechanism(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: "u", Pass: "p"}, saslserver.ScramSHA256("u", "p")}}
	p := start(t, "tcp4", b.SaslHandshake(), b.SaslHandshake(), Close())
	k := kafkaDial(t, p)
	r := k.handshake("SCRAM-SHA-512")
	if r.ErrorCode != kafkawire.ErrUnsupportedSaslMechanism || !slices.Equal(r.Mechanisms, []string{"PLAIN", "SCRAM-SHA-256"}) {
		t.Fatalf("SaslHandshake = %+v", r)
	}
	if r := k.handshake("scram-sha-256"); r.ErrorCode != kafkawire.ErrUnsupportedSaslMechanism {
		t.Fatalf("names are case-sensitive: %+v", r)
	}
	k.expectEOF()
	requireNoErr(t, p)

	// A broker without SASL lists none.
	p = start(t, "tcp4", Broker{}.SaslHandshake())
	k = kafkaDial(t, p)
	if r := k.handshake("PLAIN"); r.ErrorCode != kafkawire.ErrUnsupportedSaslMechanism || len(r.Mechanisms) != 0 {
		t.Fatalf("no SASL: %+v", r)
	}
}

// A broker that advertises ApiVersions v0-v2 makes a v3 client fall back
// (KIP-511); both requests are answered by one step.
func TestBrokerApiVersionsFallback(t *testing.T) {
	apis := []APIRange{{Key: KeyApiVersions, Min: 0, Max: 2}, {Key: KeySaslHandshake, Min: 0, Max: 1}}
	var log RequestLog
	b := Broker{APIs: apis, Seen: log.Add}
	p := start(t, "tcp4", b.ApiVersions(), Close())
	k := kafkaDial(t, p)
	r := k.apiVersions(3)
	if r.ErrorCode != kafkawire.ErrUnsupportedVersion || len(r.APIKeys) != 2 || r.APIKeys[0] != (kafkawire.APIKeyRange{Key: 18, MinVersion: 0, MaxVersion: 2}) {
		t.Fatalf("v3 to a v0-v2 broker: %+v", r)
	}
	if r := k.apiVersions(2); r.ErrorCode != 0 || len(r.APIKeys) != 2 || r.APIKeys[1] != (kafkawire.APIKeyRange{Key: 17, MinVersion: 0, MaxVersion: 1}) {
		t.Fatalf("v2: %+v", r)
	}
	k.expectEOF()
	requireNoErr(t, p)
	if reqs := log.Requests(); len(reqs) != 2 || reqs[0].Version != 3 || reqs[1].Version != 2 || reqs[0].Msg != nil {
		t.Fatalf("requests %+v", reqs)
	}
}

// KIP-511 names that do not match the pattern get INVALID_REQUEST.
func TestBrokerApiVersionsInvalidSoftware(t *testing.T) {
	p := start(t, "tcp4", Broker{}.ApiVersions())
	k := kafkaDial(t, p)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafkaio", "(devel)"
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("x")).AppendRequest(nil, req, 5)
	r, err := kafkawire.ParseApiVersions(k.roundTrip(frame), 3)
	if err != nil || r.ErrorCode != 42 || len(r.APIKeys) != 0 {
		t.Fatalf("invalid software version: %+v, %v", r, err)
	}
	requireNoErr(t, p)
}

// Serve answers set-up requests in any order and any number of times, echoes
// the rest, and lets a client re-authenticate when a lifetime is set.
func TestBrokerServeReauthentication(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.ScramSHA512("u", "p")}, SessionLifetime: 1500 * time.Millisecond}
	p := start(t, "tcp4", b.Serve(), Close())
	k := kafkaDial(t, p)
	k.apiVersions(3)
	k.apiVersions(0)
	for round := range 3 {
		if r := k.handshake("SCRAM-SHA-512"); r.ErrorCode != 0 {
			t.Fatalf("round %d: handshake %+v", round, r)
		}
		r, err := k.authenticate(sasl.ScramSHA512("u", "p"), 1)
		if err != nil || r.ErrorCode != 0 || r.SessionLifetimeMs != 1500 {
			t.Fatalf("round %d: %+v, %v", round, r, err)
		}
		k.echo(kafkawire.Metadata(k.next(), "x", 1, []string{"t"}))
	}
	k.c.CloseWrite()
	k.expectEOF()
	waitDone(t, p)
	requireNoErr(t, p)
}

// Without a session lifetime an authenticated connection cannot handshake
// again, a second handshake in the middle of an exchange is out of order,
// and so is SaslAuthenticate before any handshake.
func TestBrokerIllegalSaslState(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: "u", Pass: "p"}}}
	p := start(t, "tcp4", b.Serve())
	k := kafkaDial(t, p)
	k.handshake("PLAIN")
	if r := k.handshake("PLAIN"); r.ErrorCode != kafkawire.ErrIllegalSaslState {
		t.Fatalf("second handshake: %+v", r)
	}
	if r, err := k.authenticate(sasl.Plain("u", "p"), 0); err != nil || r.ErrorCode != 0 {
		t.Fatalf("authenticate: %+v, %v", r, err)
	}
	if r := k.handshake("PLAIN"); r.ErrorCode != kafkawire.ErrIllegalSaslState {
		t.Fatalf("handshake after authentication without a lifetime: %+v", r)
	}
	k.c.Close()
	waitDone(t, p)
	requireNoErr(t, p)

	p = start(t, "tcp4", b.Serve())
	k = kafkaDial(t, p)
	r := k.saslRound(2, []byte("\x00u\x00p"))
	if r.ErrorCode != kafkawire.ErrIllegalSaslState {
		t.Fatalf("SaslAuthenticate first: %+v", r)
	}
	k.expectEOF()
	waitDone(t, p)
	requireNoErr(t, p)
}

// Before authentication a SASL broker closes on any other request.
func TestBrokerServeRequestBeforeAuthentication(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: "u", Pass: "p"}}}
	p := start(t, "tcp4", b.Serve())
	k := kafkaDial(t, p)
	k.apiVersions(3)
	write(t, k.c, kafkawire.Metadata(k.next(), "x", 1, nil))
	k.expectEOF()
	waitDone(t, p)
	requireNoErr(t, p)
	if ev := p.Events(); len(ev) != 1 || !strings.Contains(ev[0], "request key 3 before authentication") {
		t.Fatalf("events %q", ev)
	}
	// Without SASL the same request is echoed.
	p = start(t, "tcp4", Broker{}.Serve())
	k = kafkaDial(t, p)
	k.echo(kafkawire.Metadata(k.next(), "x", 1, nil))
}

// The faulty SCRAM servers through the peer: the client's checks fire.
func TestBrokerScramWrongSignature(t *testing.T) {
	srv := saslserver.ScramSHA256("u", "p")
	srv.Fault = saslserver.ScramWrongSignature
	b := Broker{Mechanisms: []saslserver.Server{srv}}
	p := start(t, "tcp4", b.SaslHandshake(), b.SaslExchange(), Close())
	k := kafkaDial(t, p)
	k.handshake("SCRAM-SHA-256")
	_, err := k.authenticate(sasl.ScramSHA256("u", "p"), 2)
	if !errors.Is(err, sasl.ErrServerMessage) || !strings.Contains(err.Error(), "server signature does not match") {
		t.Fatalf("err = %v", err)
	}
	k.expectEOF() // the exchange ended from the server's side: the script goes on to Close
	requireNoErr(t, p)
}

// A broker that goes silent after the first SASL message.
func TestBrokerStallAfterFirstSaslMessage(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.ScramSHA256("u", "p")}}
	p := start(t, "tcp4", b.ApiVersions(), b.SaslHandshake(), ReadFrame(), Stall())
	k := kafkaDial(t, p)
	k.apiVersions(3)
	k.handshake("SCRAM-SHA-256")
	_, first, _ := sasl.ScramSHA256("u", "p").Start(context.Background())
	write(t, k.c, kafkawire.SaslAuthenticate(k.next(), "x", 2, first))
	k.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := k.c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want the deadline", n, err)
	}
	p.Close() // interrupts the Stall
	requireNoErr(t, p)
}

// Requests a negotiating client would never send are the peer's Err.
func TestBrokerBadRequests(t *testing.T) {
	b := Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: "u", Pass: "p"}}}
	trailing := kafkawire.SaslHandshake(1, "x", 1, "PLAIN")
	trailing = append(trailing, 0)
	binary.BigEndian.PutUint32(trailing, uint32(len(trailing)-4))
	for _, tc := range []struct {
		name  string
		step  Step
		frame []byte
		want  string
	}{
		{"wrong key", b.SaslHandshake(), kafkawire.ApiVersions(1, "x", 0), "want a request with key 17, got key 18 v0"},
		{"unadvertised version", b.SaslAuthenticate(), kafkawire.SaslAuthenticate(1, "x", 3, nil), "key 36 v3 is not advertised"},
		{"narrowed range", Broker{APIs: []APIRange{{Key: KeySaslHandshake, Min: 1, Max: 1}}}.SaslHandshake(), kafkawire.SaslHandshake(1, "x", 0, "PLAIN"), "key 17 v0 is not advertised"},
		{"trailing byte", b.SaslHandshake(), trailing, "re-encodes as"},
		{"short frame", b.Serve(), []byte{0, 0, 0, 3, 0, 17, 0}, "shorter than a request header"},
		{"client id past the end", b.Serve(), []byte{0, 0, 0, 10, 0, 17, 0, 1, 0, 0, 0, 1, 0, 9}, "client id of 9 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, "tcp4", tc.step)
			k := kafkaDial(t, p)
			write(t, k.c, tc.frame)
			readToEOF(t, k.c) // EOF or a reset: either way the peer hung up
			waitDone(t, p)
			if err := p.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}
