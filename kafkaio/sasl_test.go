package kafkaio_test

// SASL inside New's one budget: PLAIN and SCRAM against the embedded kfake
// broker (alone and under TLS), OAUTHBEARER against the scripted broker,
// session lifetimes and Reauthenticate, the KIP-511 ApiVersions fallback,
// and every way the exchange can fail.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/saslserver"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ---------------------------------------------------------------- kfake

// TestSASLEmbeddedBroker authenticates with each mechanism kfake serves,
// over plaintext and over TLS, and makes a real request afterwards.
func TestSASLEmbeddedBroker(t *testing.T) {
	for _, m := range secMechanisms {
		for _, useTLS := range []bool{false, true} {
			name := m.name
			if useTLS {
				name += " under TLS"
			}
			t.Run(name, func(t *testing.T) {
				t.Cleanup(leakcheck.Verify(t))
				opts := []embedded.Option{embedded.SASL(m.name, secUser, secPassword)}
				cfg := kafkaio.Config{SASL: m.mech(secUser, secPassword)}
				if useTLS {
					opts = append(opts, secServerTLS())
					cfg.TLS = testcerts.ClientConfig()
				}
				_, cfg.Host, cfg.Port = secCluster(t, opts...)
				c := secNew(t, cfg)
				secCheckTLS(t, c, useTLS)
				secMetadata(t, c, 1)
				if got := c.SessionExpiry(); !got.IsZero() {
					t.Errorf("SessionExpiry() = %v without connections.max.reauth.ms, want the zero time", got)
				}
				if _, maxV, ok := c.APIVersion(kafkawire.KeySaslAuthenticate); !ok || maxV < 2 {
					t.Errorf("APIVersion(SaslAuthenticate) = max %d, %v; want kfake's v2", maxV, ok)
				}
			})
		}
	}
}

// secCountSASL counts the SaslAuthenticate requests the cluster receives,
// and records the auth bytes of each, without changing how it answers.
type secSASLSeen struct {
	mu    sync.Mutex
	count int
	auth  [][]byte
}

func secWatchSASL(cluster *embedded.Cluster) *secSASLSeen {
	seen := &secSASLSeen{}
	fake := cluster.Kfake()
	fake.ControlKey(kmsg.SASLAuthenticate.Int16(), func(r kmsg.Request) (kmsg.Response, error, bool) {
		fake.KeepControl()
		seen.mu.Lock()
		defer seen.mu.Unlock()
		seen.count++
		seen.auth = append(seen.auth, append([]byte(nil), r.(*kmsg.SASLAuthenticateRequest).SASLAuthBytes...))
		return nil, nil, false
	})
	return seen
}

func (s *secSASLSeen) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// TestSASLSessionExpiryAndReauthenticate sets connections.max.reauth.ms on
// kfake: SessionExpiry is the lifetime from when the last SASL request
// left, and Reauthenticate runs the exchange again on the open connection
// and moves it forward.
func TestSASLSessionExpiryAndReauthenticate(t *testing.T) {
	const lifetime = time.Hour
	for _, m := range secMechanisms {
		t.Run(m.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			cluster, host, port := secCluster(t, secServerTLS(), embedded.SASL(m.name, secUser, secPassword),
				embedded.BrokerConfigs(map[string]string{"connections.max.reauth.ms": fmt.Sprint(lifetime.Milliseconds())}))
			seen := secWatchSASL(cluster)
			before := time.Now()
			c := secNew(t, kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig(), SASL: m.mech(secUser, secPassword)})
			after := time.Now()
			expiry := c.SessionExpiry()
			secWithin(t, "SessionExpiry after New", expiry, before.Add(lifetime), after.Add(lifetime))
			rounds := seen.n()
			if rounds == 0 {
				t.Fatal("kfake saw no SaslAuthenticate request")
			}
			secMetadata(t, c, 1)

			for i := range 2 {
				time.Sleep(20 * time.Millisecond) // so that the new expiry is measurably later
				before = time.Now()
				if err := c.Reauthenticate(context.Background()); err != nil {
					t.Fatalf("Reauthenticate %d: %v", i+1, err)
				}
				after = time.Now()
				next := c.SessionExpiry()
				secWithin(t, "SessionExpiry after Reauthenticate", next, before.Add(lifetime), after.Add(lifetime))
				if !next.After(expiry) {
					t.Errorf("Reauthenticate left SessionExpiry at %v, not after %v", next, expiry)
				}
				expiry = next
				if got, want := seen.n(), rounds*(i+2); got != want {
					t.Errorf("kfake saw %d SaslAuthenticate requests after %d reauthentications, want %d", got, i+1, want)
				}
				secMetadata(t, c, int32(i+2))
			}
		})
	}
}

// secWithin fails t unless at lies in [lo, hi].
func secWithin(t *testing.T, what string, at, lo, hi time.Time) {
	t.Helper()
	if at.Before(lo) || at.After(hi) {
		t.Errorf("%s = %v, want within [%v, %v]", what, at, lo, hi)
	}
}

// TestSASLReauthenticateFailures: without a session lifetime kfake refuses
// a second handshake, which is AuthenticationFailed and closes the IO; an
// IO without SASL and a nil context are argument errors that close
// nothing.
func TestSASLReauthenticateFailures(t *testing.T) {
	t.Run("broker without connections.max.reauth.ms", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		_, host, port := secCluster(t, embedded.SASL(embedded.Plain, secUser, secPassword))
		c := secNew(t, kafkaio.Config{Host: host, Port: port, SASL: sasl.Plain(secUser, secPassword)})
		began := time.Now()
		err := c.Reauthenticate(context.Background())
		faultLogErr(t, err)
		faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake",
			detail: []string{"reauthenticate", "ILLEGAL_SASL_STATE"}, took: faultQuick()})
		faultCheckState(t, c, faultClosed, err)
	})
	t.Run("IO without SASL", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		_, host, port := secCluster(t)
		c := secNew(t, kafkaio.Config{Host: host, Port: port, NegotiateVersions: true})
		err := c.Reauthenticate(context.Background())
		faultCheckErr(t, err, 0, faultWant{code: kafkaerr.MismatchArgument, as: faultNoCause,
			detail: []string{"without Config.SASL"}})
		faultCheckState(t, c, faultOpen, nil)
		secMetadata(t, c, 1)
	})
	t.Run("nil context", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		_, host, port := secCluster(t, embedded.SASL(embedded.Plain, secUser, secPassword))
		c := secNew(t, kafkaio.Config{Host: host, Port: port, SASL: sasl.Plain(secUser, secPassword)})
		err := c.Reauthenticate(nilContext)
		faultCheckErr(t, err, 0, faultWant{code: kafkaerr.MismatchArgument, as: faultNoCause, detail: []string{"context is nil"}})
		faultCheckState(t, c, faultOpen, nil)
		secMetadata(t, c, 1)
	})
}

// ---------------------------------------------------------------- the scripted broker

// secOAuth is the OAUTHBEARER mechanism with a token callback that counts
// its calls.
func secOAuth(token string, calls *atomic.Int32) sasl.Mechanism {
	return sasl.OAuthBearer(func(context.Context) (string, error) {
		calls.Add(1)
		return token, nil
	})
}

// TestSASLOAuthBearer runs OAUTHBEARER against the scripted broker, whose
// server checks RFC 7628's initial response byte for byte.
func TestSASLOAuthBearer(t *testing.T) {
	server := saslserver.OAuthBearer{Token: secToken}
	t.Run("success, then a request and a reauthentication", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		var log testpeer.RequestLog
		b := testpeer.Broker{Mechanisms: []saslserver.Server{server}, SessionLifetime: time.Minute, Seen: log.Add}
		p := testpeer.Start(t, "tcp4", b.Serve())
		var calls atomic.Int32
		before := time.Now()
		c := connect(t, p, kafkaio.Config{SASL: secOAuth(secToken, &calls), ClientID: "sectest-app", Timeout: faultPatience})
		secWithin(t, "SessionExpiry", c.SessionExpiry(), before.Add(time.Minute), time.Now().Add(time.Minute))
		secEchoRoundTrip(t, c)
		expiry := c.SessionExpiry()
		time.Sleep(20 * time.Millisecond)
		if err := c.Reauthenticate(context.Background()); err != nil {
			t.Fatalf("Reauthenticate: %v", err)
		}
		if !c.SessionExpiry().After(expiry) {
			t.Errorf("Reauthenticate left SessionExpiry at %v", c.SessionExpiry())
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("the token callback ran %d times for New and one Reauthenticate, want 2", n)
		}
		secEchoRoundTrip(t, c)

		var keys []string
		for _, r := range log.Requests() {
			keys = append(keys, fmt.Sprintf("%d v%d", r.Key, r.Version))
			if r.Key != kafkawire.KeyMetadata && (r.ClientID == nil || *r.ClientID != "sectest-app") {
				t.Errorf("request key %d has client id %v, want Config.ClientID", r.Key, r.ClientID)
			}
			if av, ok := r.Msg.(*kmsg.ApiVersionsRequest); ok && av.ClientSoftwareName != "kafkaio" {
				t.Errorf("ApiVersions names the software %q, want kafkaio", av.ClientSoftwareName)
			}
		}
		want := "18 v3,17 v1,36 v2,3 v0,17 v1,36 v2,3 v0"
		if got := strings.Join(keys, ","); got != want {
			t.Errorf("the broker saw requests %s, want %s", got, want)
		}
	})
	t.Run("default client id", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		var log testpeer.RequestLog
		b := testpeer.Broker{Mechanisms: []saslserver.Server{server}, Seen: log.Add}
		p := testpeer.Start(t, "tcp4", b.Serve())
		var calls atomic.Int32
		c := connect(t, p, kafkaio.Config{SASL: secOAuth(secToken, &calls), Timeout: faultPatience})
		if !c.SessionExpiry().IsZero() {
			t.Errorf("SessionExpiry() = %v for a broker that set no lifetime", c.SessionExpiry())
		}
		for _, r := range log.Requests() {
			if r.ClientID == nil || *r.ClientID != kafkaio.DefaultClientID {
				t.Errorf("request key %d has client id %v, want %q", r.Key, r.ClientID, kafkaio.DefaultClientID)
			}
		}
	})
	rows := []secConnectRow{{
		name: "a wrong token is AuthenticationFailed with the broker's message",
		target: func(t *testing.T) kafkaio.Config {
			b := testpeer.Broker{Mechanisms: []saslserver.Server{server}}
			p := testpeer.Start(t, "tcp4", b.ApiVersions(), b.SaslHandshake(), b.SaslExchange())
			var calls atomic.Int32
			return kafkaio.Config{Host: p.Host(), Port: p.Port(), SASL: secOAuth("wrong-token-0123", &calls), Timeout: faultPatience}
		},
		want: faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl authenticate",
			detail:   []string{"OAUTHBEARER", "SASL_AUTHENTICATION_FAILED (58)", `invalid_token`},
			notCause: []error{sasl.ErrInvalidCredentials}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "the token callback's error",
		target: func(t *testing.T) kafkaio.Config {
			b := testpeer.Broker{Mechanisms: []saslserver.Server{server}}
			p := testpeer.Start(t, "tcp4", b.Serve())
			mech := sasl.OAuthBearer(func(context.Context) (string, error) { return "", errSecTokenSource })
			return kafkaio.Config{Host: p.Host(), Port: p.Port(), SASL: mech, Timeout: faultPatience}
		},
		want: faultWant{code: kafkaerr.AuthenticationFailed, causes: []error{errSecTokenSource}, phase: "sasl authenticate",
			detail: []string{"token callback failed"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "a token that is not a b64token is an argument error",
		target: func(t *testing.T) kafkaio.Config {
			b := testpeer.Broker{Mechanisms: []saslserver.Server{server}}
			p := testpeer.Start(t, "tcp4", b.Serve())
			var calls atomic.Int32
			return kafkaio.Config{Host: p.Host(), Port: p.Port(), SASL: secOAuth("not a token", &calls), Timeout: faultPatience}
		},
		want: faultWant{code: kafkaerr.MismatchArgument, causes: []error{sasl.ErrInvalidCredentials}, phase: "sasl authenticate",
			took: faultQuick(), state: faultNoIO},
	}}
	secRunConnectRows(t, rows)
}

var errSecTokenSource = errors.New("the identity provider is down")

// secEchoRoundTrip makes a RoundTrip through a peer that echoes frames
// (Broker.Serve echoes every request it does not answer itself, once the
// connection is authenticated). An echoed request answers itself when its
// correlation id repeats its api_key and api_version, where a response
// has its correlation id: Metadata v0 with correlation id 3<<16.
func secEchoRoundTrip(t *testing.T, c *kafkaio.IO) {
	t.Helper()
	req := kafkawire.Metadata(int32(kafkawire.KeyMetadata)<<16, "sectest", 0, []string{})
	body, err := c.RoundTrip(context.Background(), req, nil)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	if string(body) != string(req[4:]) {
		t.Fatalf("RoundTrip returned % x, want the echo % x", body, req[4:])
	}
}

// TestSASLVersions checks that New speaks the newest SaslAuthenticate
// version the broker offers, up to 2, and reads the session lifetime only
// from the versions that carry it (v1 and up).
func TestSASLVersions(t *testing.T) {
	for _, tc := range []struct {
		max      int16
		lifetime bool
	}{{0, false}, {1, true}, {2, true}} {
		t.Run(fmt.Sprintf("SaslAuthenticate up to v%d", tc.max), func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			var log testpeer.RequestLog
			apis := []testpeer.APIRange{{Key: 17, Min: 0, Max: 1}, {Key: 18, Min: 0, Max: 3}, {Key: 36, Min: 0, Max: tc.max}}
			b := testpeer.Broker{APIs: apis, Mechanisms: []saslserver.Server{saslserver.ScramSHA512(secUser, secPassword)},
				SessionLifetime: time.Minute, Seen: log.Add}
			p := testpeer.Start(t, "tcp4", b.Serve())
			c := connect(t, p, kafkaio.Config{SASL: sasl.ScramSHA512(secUser, secPassword), Timeout: faultPatience})
			if got := !c.SessionExpiry().IsZero(); got != tc.lifetime {
				t.Errorf("SessionExpiry() = %v, want a lifetime: %v", c.SessionExpiry(), tc.lifetime)
			}
			n := 0
			for _, r := range log.Requests() {
				if r.Key == 36 {
					n++
					if r.Version != tc.max {
						t.Errorf("SaslAuthenticate v%d, want v%d", r.Version, tc.max)
					}
				}
			}
			if n != 2 {
				t.Errorf("%d SaslAuthenticate requests for SCRAM, want 2", n)
			}
		})
	}
}

// TestSASLApiVersionsFallback is KIP-511: a broker that does not know
// ApiVersions v3 answers UNSUPPORTED_VERSION with the range it knows, and
// New asks again at that range's newest; SASL then goes on as usual.
func TestSASLApiVersionsFallback(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      int16
		sasl     bool
		versions string
	}{
		{"ApiVersions 0-2, NegotiateVersions", 2, false, "3,2"},
		{"ApiVersions 0-2, SASL", 2, true, "3,2"},
		{"ApiVersions 0-0, SASL", 0, true, "3,0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			var log testpeer.RequestLog
			apis := testpeer.DefaultAPIs()
			for i := range apis {
				if apis[i].Key == 18 {
					apis[i].Max = tc.max
				}
			}
			b := testpeer.Broker{APIs: apis, Seen: log.Add}
			cfg := kafkaio.Config{NegotiateVersions: true, Timeout: faultPatience}
			if tc.sasl {
				b.Mechanisms = []saslserver.Server{saslserver.Plain{User: secUser, Pass: secPassword}}
				cfg.SASL = sasl.Plain(secUser, secPassword)
			}
			p := testpeer.Start(t, "tcp4", b.Serve())
			c := connect(t, p, cfg)
			if minV, maxV, ok := c.APIVersion(18); !ok || minV != 0 || maxV != tc.max {
				t.Errorf("APIVersion(ApiVersions) = %d, %d, %v; want 0, %d, true", minV, maxV, ok, tc.max)
			}
			if minV, maxV, ok := c.APIVersion(3); !ok || minV != 0 || maxV != 12 {
				t.Errorf("APIVersion(Metadata) = %d, %d, %v; want 0, 12, true", minV, maxV, ok)
			}
			if _, _, ok := c.APIVersion(1234); ok {
				t.Error("APIVersion of a key the broker does not list is known")
			}
			var versions []string
			for _, r := range log.Requests() {
				if r.Key == 18 {
					versions = append(versions, fmt.Sprint(r.Version))
				}
			}
			if got := strings.Join(versions, ","); got != tc.versions {
				t.Errorf("ApiVersions was sent at versions %s, want %s", got, tc.versions)
			}
			secEchoRoundTrip(t, c)
		})
	}
}

// ---------------------------------------------------------------- failures

func TestSASLFaultsNew(t *testing.T) {
	deadline := []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}
	closed := "the broker closed the connection during authentication"
	hungUp := []error{io.EOF, syscall.ECONNRESET}
	kfakeRow := func(name string, server, client string, clientPass string, useTLS bool, want faultWant) secConnectRow {
		return secConnectRow{name: name, target: func(t *testing.T) kafkaio.Config {
			opts := []embedded.Option{embedded.SASL(server, secUser, secPassword)}
			cfg := kafkaio.Config{Timeout: faultPatience}
			if useTLS {
				opts = append(opts, secServerTLS())
				cfg.TLS = testcerts.ClientConfig()
			}
			for _, m := range secMechanisms {
				if m.name == client {
					cfg.SASL = m.mech(secUser, clientPass)
				}
			}
			if cfg.SASL == nil {
				cfg.SASL = sasl.OAuthBearer(func(context.Context) (string, error) { return secToken, nil })
			}
			_, cfg.Host, cfg.Port = secCluster(t, opts...)
			return cfg
		}, want: want}
	}
	wrongPassword := func(mech string) faultWant {
		return faultWant{code: kafkaerr.AuthenticationFailed, anyCause: hungUp, phase: "sasl authenticate",
			detail: []string{mech, closed}, took: faultQuick(), state: faultNoIO}
	}
	peerRow := func(name string, b testpeer.Broker, script func(b testpeer.Broker) []testpeer.Step, mech sasl.Mechanism, timeout time.Duration, want faultWant) secConnectRow {
		return secConnectRow{name: name, target: func(t *testing.T) kafkaio.Config {
			p := testpeer.Start(t, "tcp4", script(b)...)
			return kafkaio.Config{Host: p.Host(), Port: p.Port(), SASL: mech, Timeout: timeout}
		}, want: want}
	}
	serve := func(b testpeer.Broker) []testpeer.Step { return []testpeer.Step{b.Serve()} }
	scram := func(fault saslserver.ScramFault, iterations int) testpeer.Broker {
		s := saslserver.ScramSHA256(secUser, secPassword)
		s.Fault, s.Iterations = fault, iterations
		return testpeer.Broker{Mechanisms: []saslserver.Server{s}}
	}
	plainBroker := testpeer.Broker{Mechanisms: []saslserver.Server{saslserver.Plain{User: secUser, Pass: secPassword}}}
	badServer := func(words string) faultWant {
		return faultWant{code: kafkaerr.AuthenticationFailed, causes: []error{sasl.ErrServerMessage}, phase: "sasl authenticate",
			detail: []string{"SCRAM-SHA-256", words}, took: faultQuick(), state: faultNoIO}
	}

	rows := []secConnectRow{
		kfakeRow("kfake, wrong password, PLAIN", embedded.Plain, embedded.Plain, "wrong-password", false, wrongPassword("PLAIN")),
		kfakeRow("kfake, wrong password, SCRAM-SHA-256", embedded.ScramSHA256, embedded.ScramSHA256, "wrong-password", false, wrongPassword("SCRAM-SHA-256")),
		kfakeRow("kfake, wrong password, SCRAM-SHA-512 under TLS", embedded.ScramSHA512, embedded.ScramSHA512, "wrong-password", true, wrongPassword("SCRAM-SHA-512")),
		kfakeRow("kfake, wrong password, PLAIN under TLS", embedded.Plain, embedded.Plain, "wrong-password", true, wrongPassword("PLAIN")),
		kfakeRow("kfake, a user of another mechanism", embedded.Plain, embedded.ScramSHA256, secPassword, false, wrongPassword("SCRAM-SHA-256")),
		kfakeRow("kfake, a mechanism it does not offer", embedded.Plain, "OAUTHBEARER", "", false,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake",
				detail: []string{"the broker does not offer OAUTHBEARER; it offers PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", "UNSUPPORTED_SASL_MECHANISM (33)"},
				took:   faultQuick(), state: faultNoIO}),
		{name: "kfake without SASL", target: func(t *testing.T) kafkaio.Config {
			_, host, port := secCluster(t)
			return kafkaio.Config{Host: host, Port: port, SASL: sasl.Plain(secUser, secPassword), Timeout: faultPatience}
		}, want: faultWant{code: kafkaerr.AuthenticationFailed, took: faultQuick(), state: faultNoIO, detail: []string{"PLAIN"}}},
		peerRow("a mechanism the scripted broker does not offer", plainBroker, serve, sasl.ScramSHA512(secUser, secPassword), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake",
				detail: []string{"the broker does not offer SCRAM-SHA-512; it offers PLAIN"}, took: faultQuick(), state: faultNoIO}),
		peerRow("a broker with no mechanism at all", testpeer.Broker{}, serve, sasl.Plain(secUser, secPassword), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake",
				detail: []string{"the broker does not offer PLAIN; it offers none"}, took: faultQuick(), state: faultNoIO}),
		peerRow("wrong password, answered with the broker's message then closed", plainBroker, serve, sasl.Plain(secUser, "wrong-password"), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl authenticate",
				detail: []string{"PLAIN", "SASL_AUTHENTICATION_FAILED (58)", `Authentication failed: Invalid username or password`},
				took:   faultQuick(), state: faultNoIO}),
		peerRow("wrong password, closed silently", testpeer.Broker{Mechanisms: plainBroker.Mechanisms, OnAuthFailure: testpeer.CloseSilently},
			serve, sasl.Plain(secUser, "wrong-password"), faultPatience, wrongPassword("PLAIN")),
		peerRow("an empty password is an argument error", plainBroker, serve, sasl.Plain(secUser, ""), faultPatience,
			faultWant{code: kafkaerr.MismatchArgument, causes: []error{sasl.ErrInvalidCredentials}, phase: "sasl authenticate",
				detail: []string{"empty password"}, took: faultQuick(), state: faultNoIO}),
		peerRow("a SCRAM server with a wrong signature", scram(saslserver.ScramWrongSignature, 0), serve, sasl.ScramSHA256(secUser, secPassword), faultPatience,
			badServer("server signature does not match")),
		peerRow("a SCRAM server that answers e=", scram(saslserver.ScramErrorAttribute, 0), serve, sasl.ScramSHA256(secUser, secPassword), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, causes: []error{sasl.ErrRejected}, phase: "sasl authenticate",
				detail: []string{"SCRAM-SHA-256", "invalid-proof"}, took: faultQuick(), state: faultNoIO}),
		peerRow("a SCRAM server nonce that does not extend the client's", scram(saslserver.ScramForeignNonce, 0), serve, sasl.ScramSHA256(secUser, secPassword), faultPatience,
			badServer("server nonce does not start with the client nonce")),
		peerRow("a SCRAM server with 4095 iterations", scram(saslserver.ScramHonest, 4095), serve, sasl.ScramSHA256(secUser, secPassword), faultPatience,
			badServer("iteration count 4095 is outside [4096")),
		peerRow("a broker without SaslHandshake v1", testpeer.Broker{APIs: []testpeer.APIRange{{Key: 17, Min: 0, Max: 0}, {Key: 18, Min: 0, Max: 3}, {Key: 36, Min: 0, Max: 2}},
			Mechanisms: plainBroker.Mechanisms}, serve, sasl.Plain(secUser, secPassword), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake", detail: []string{"does not support SaslHandshake v1"},
				took: faultQuick(), state: faultNoIO}),
		peerRow("a broker without SaslAuthenticate", testpeer.Broker{APIs: []testpeer.APIRange{{Key: 17, Min: 0, Max: 1}, {Key: 18, Min: 0, Max: 3}},
			Mechanisms: plainBroker.Mechanisms}, serve, sasl.Plain(secUser, secPassword), faultPatience,
			faultWant{code: kafkaerr.AuthenticationFailed, phase: "sasl handshake", detail: []string{"does not support SaslAuthenticate"},
				took: faultQuick(), state: faultNoIO}),
		peerRow("a broker silent after the first SASL message: New ends at its budget", plainBroker,
			func(b testpeer.Broker) []testpeer.Step {
				return []testpeer.Step{b.ApiVersions(), b.SaslHandshake(), testpeer.ReadFrame(), testpeer.Stall()}
			}, sasl.Plain(secUser, secPassword), faultTimeout,
			faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "sasl authenticate", detail: []string{"PLAIN"},
				took: faultAt(faultTimeout), state: faultNoIO}),
		peerRow("a broker silent after SCRAM's second message: New ends at its budget", scram(saslserver.ScramHonest, 0),
			func(b testpeer.Broker) []testpeer.Step {
				return []testpeer.Step{b.ApiVersions(), b.SaslHandshake(), b.SaslAuthenticate(), testpeer.ReadFrame(), testpeer.Stall()}
			}, sasl.ScramSHA256(secUser, secPassword), faultTimeout,
			faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "sasl authenticate", took: faultAt(faultTimeout), state: faultNoIO}),
		peerRow("a broker silent after the SaslHandshake request", plainBroker,
			func(b testpeer.Broker) []testpeer.Step {
				return []testpeer.Step{b.ApiVersions(), testpeer.ReadFrame(), testpeer.Stall()}
			}, sasl.Plain(secUser, secPassword), faultTimeout,
			faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "sasl handshake", took: faultAt(faultTimeout), state: faultNoIO}),
		peerRow("a broker silent after the ApiVersions request", plainBroker,
			func(b testpeer.Broker) []testpeer.Step {
				return []testpeer.Step{testpeer.ReadFrame(), testpeer.Stall()}
			},
			sasl.Plain(secUser, secPassword), faultTimeout,
			faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "api versions", took: faultAt(faultTimeout), state: faultNoIO}),
		{name: "a TLS broker silent after the first SASL message: the handshake and SASL share one budget",
			target: func(t *testing.T) kafkaio.Config {
				p := testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), plainBroker.ApiVersions(), plainBroker.SaslHandshake(),
					testpeer.ReadFrame(), testpeer.Stall())
				return kafkaio.Config{Host: p.Host(), Port: p.Port(), TLS: testcerts.ClientConfig(), SASL: sasl.Plain(secUser, secPassword), Timeout: faultTimeout}
			},
			want: faultWant{code: kafkaerr.CannotBind, causes: deadline, phase: "sasl authenticate", took: faultAt(faultTimeout), state: faultNoIO}},
		{name: "cancelled while the broker is silent during SASL", cancelAfter: 100 * time.Millisecond,
			target: func(t *testing.T) kafkaio.Config {
				p := testpeer.Start(t, "tcp4", plainBroker.ApiVersions(), plainBroker.SaslHandshake(), testpeer.ReadFrame(), testpeer.Stall())
				return kafkaio.Config{Host: p.Host(), Port: p.Port(), SASL: sasl.Plain(secUser, secPassword), Timeout: faultPatience}
			},
			want: faultWant{code: kafkaerr.CannotBind, causes: []error{context.Canceled}, notCause: []error{context.DeadlineExceeded},
				phase: "sasl authenticate", took: faultAt(100 * time.Millisecond), state: faultNoIO}},
	}
	secRunConnectRows(t, rows)
}

// TestSASLManyFailedConnectsLeakNothing makes 200 TLS connections that fail
// their SASL exchange (wrong passwords, PLAIN and SCRAM in turn) and checks
// each error and that no fd or goroutine is left.
func TestSASLManyFailedConnectsLeakNothing(t *testing.T) {
	const attempts = 200
	t.Cleanup(leakcheck.Verify(t))
	_, host, port := secCluster(t, secServerTLS(),
		embedded.SASL(embedded.Plain, secUser, secPassword), embedded.SASL(embedded.ScramSHA256, secUser, secPassword))
	began := time.Now()
	for i := range attempts {
		mech := sasl.Plain(secUser, fmt.Sprintf("wrong-%d", i))
		if i%2 == 1 {
			mech = sasl.ScramSHA256(secUser, fmt.Sprintf("wrong-%d", i))
		}
		c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig(), SASL: mech, Timeout: faultPatience})
		if c != nil {
			c.Close()
			t.Fatalf("attempt %d: New succeeded with a wrong password", i)
		}
		var e *kafkaerr.Error
		if !errors.As(err, &e) || e.Code != kafkaerr.AuthenticationFailed || !strings.Contains(err.Error(), mech.Name()) {
			t.Fatalf("attempt %d: %v, want AuthenticationFailed naming %s", i, err, mech.Name())
		}
	}
	t.Logf("%d failed TLS+SASL connects in %v", attempts, time.Since(began))
}
