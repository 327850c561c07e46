package kafkaio_test

// Secrets never leave the process: with the IO module at debug level 2,
// PLAIN, SCRAM and OAUTHBEARER exchanges (successful, reauthenticated and
// failed) leave no password, SCRAM proof, SCRAM key or token in the log or
// in any error, in any encoding and even split across dump lines, while
// every SaslAuthenticate frame still shows in the dumps with its header
// and the redaction line for the rest.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/saslserver"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// secSecrets is what one test must find nowhere: named byte strings.
type secSecrets map[string][]byte

// secEncodings are the forms a secret could take in a log line or an
// error: itself, hex (contiguous, upper case, and spaced as the dump's
// table writes bytes), base64, and Go quoting.
func secEncodings(secret []byte) map[string]string {
	spaced := make([]string, len(secret))
	for i, c := range secret {
		spaced[i] = hex.EncodeToString([]byte{c})
	}
	return map[string]string{
		"raw":        string(secret),
		"hex":        hex.EncodeToString(secret),
		"HEX":        strings.ToUpper(hex.EncodeToString(secret)),
		"spaced hex": strings.Join(spaced, " "),
		"base64":     base64.StdEncoding.EncodeToString(secret),
		"raw base64": base64.RawStdEncoding.EncodeToString(secret),
		"quoted":     strings.Trim(strconv.Quote(string(secret)), `"`),
	}
}

// secRequireNone fails t if text holds any of secrets in any encoding.
func secRequireNone(t *testing.T, what, text string, secrets secSecrets) {
	t.Helper()
	for name, secret := range secrets {
		if len(secret) < 6 {
			t.Fatalf("secret %s is too short to search for without false alarms", name)
		}
		for enc, s := range secEncodings(secret) {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds the %s (%s) at offset %d", what, name, enc, i)
			}
		}
	}
}

// secErrorTexts is every text an error shows: its message, its %+v and
// %#v forms, and the messages of everything in its chain.
func secErrorTexts(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n%+v\n%#v\n", err, err, err)
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		b.WriteString(e.Error())
		b.WriteByte('\n')
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
		var ke *kafkaerr.Error
		if errors.As(e, &ke) {
			for _, o := range ke.Others {
				walk(o)
			}
		}
	}
	walk(err)
	return b.String()
}

// secDump is one level-2 dump read back from the log.
type secDump struct {
	conn    string // the dump's conn field: the IO's local address
	request bool
	shown   []byte
	hidden  int
	unknown bool // the hidden bytes are "frame boundaries unknown"
	table   []string
}

// secParseDumps reads the dumps out of a log in kafkadebug.Formatter's
// layout, checking each dump's table against its hex stream.
func secParseDumps(t *testing.T, log string) []secDump {
	t.Helper()
	var dumps []secDump
	var cur *secDump
	for line := range strings.SplitSeq(log, "\n") {
		msg := line
		if i := strings.Index(line, "] "); i >= 0 {
			msg = line[i+2:]
		}
		switch {
		case strings.HasPrefix(msg, kafkadebug.RequestPrefix), strings.HasPrefix(msg, kafkadebug.ResponsePrefix):
			var conn string
			if _, rest, ok := strings.Cut(line, "conn="); ok {
				conn, _, _ = strings.Cut(rest, "]")
			}
			dumps = append(dumps, secDump{conn: conn, request: strings.HasPrefix(msg, kafkadebug.RequestPrefix)})
			cur = &dumps[len(dumps)-1]
		case cur == nil:
		case strings.HasPrefix(msg, kafkadebug.HexStreamPrefix):
			b, err := hex.DecodeString(strings.TrimPrefix(msg, kafkadebug.HexStreamPrefix))
			if err != nil {
				t.Fatalf("a hex stream that is not hex: %q", msg)
			}
			cur.shown = b
		default:
			if n, ok := kafkadebug.ParseRedactedLine(msg); ok {
				cur.hidden = n
				cur.unknown = msg == kafkadebug.RedactedLine(n, kafkadebug.RedactUnknown)
				cur = nil
			} else if len(msg) > 8 && strings.Trim(msg[:8], "0123456789abcdef") == "" {
				cur.table = append(cur.table, msg)
			} else {
				cur = nil // another event: this dump is over
			}
		}
	}
	for _, d := range dumps {
		want := strings.Split(strings.TrimSuffix(string(kafkadebug.AppendHexTable(nil, d.shown)), "\n"), "\n")
		if len(d.shown) == 0 {
			want = nil
		}
		if strings.Join(d.table, "\n") != strings.Join(want, "\n") {
			t.Errorf("a dump's table does not match its hex stream % x:\n%s", d.shown, strings.Join(d.table, "\n"))
		}
	}
	return dumps
}

// secStreams is each direction's shown bytes run together: a secret split
// across two dumps or two table rows is still found in them.
func secStreams(dumps []secDump) (requests, responses []byte) {
	for _, d := range dumps {
		if d.request {
			requests = append(requests, d.shown...)
		} else {
			responses = append(responses, d.shown...)
		}
	}
	return requests, responses
}

// secCheckSASLDumps checks, connection by connection, that each
// SaslAuthenticate request in the log shows its header (size, api_key 36,
// api_version, correlation id, client id) and then the redaction line for
// exactly the rest of the frame, and that its response shows its size and
// correlation id and redacts the rest. Every other frame must be shown
// whole. It returns how many SaslAuthenticate requests it found, and how
// many of them got no response (the last one of a connection the broker
// closed).
func secCheckSASLDumps(t *testing.T, dumps []secDump, clientID string) (found, unanswered int) {
	t.Helper()
	type connState struct {
		secret   map[int32]bool
		respSize int32
	}
	conns := map[string]*connState{}
	for i, d := range dumps {
		st := conns[d.conn]
		if st == nil {
			st = &connState{secret: map[int32]bool{}, respSize: -1}
			conns[d.conn] = st
		}
		switch {
		case d.conn == "":
			t.Errorf("dump %d has no conn field", i)
		case d.unknown:
			t.Errorf("dump %d: %d bytes with unknown frame boundaries on a connection dumped from its start", i, d.hidden)
		case d.request:
			if len(d.shown) < 8 {
				t.Errorf("dump %d: a request dump of %d bytes does not start a frame", i, len(d.shown))
				continue
			}
			size := int32(binary.BigEndian.Uint32(d.shown))
			key := int16(binary.BigEndian.Uint16(d.shown[4:]))
			if key != kafkawire.KeySaslAuthenticate {
				if d.hidden != 0 || len(d.shown) != int(size)+4 {
					t.Errorf("dump %d: request key %d shows %d bytes and hides %d of a %d-byte frame, want it whole",
						i, key, len(d.shown), d.hidden, size+4)
				}
				continue
			}
			found++
			wantShown := 14 + len(clientID)
			if len(d.shown) != wantShown || string(d.shown[14:]) != clientID {
				t.Errorf("dump %d: a SaslAuthenticate request shows % x, want its %d-byte header with client id %q", i, d.shown, wantShown, clientID)
			}
			if d.hidden != int(size)+4-len(d.shown) {
				t.Errorf("dump %d: a SaslAuthenticate request of %d bytes shows %d and redacts %d", i, size+4, len(d.shown), d.hidden)
			}
			st.secret[int32(binary.BigEndian.Uint32(d.shown[8:]))] = true
		case st.respSize < 0:
			if len(d.shown) != 4 || d.hidden != 0 {
				t.Errorf("dump %d: a response starts with % x and %d hidden bytes, want its 4-byte size alone (ReceiveFrame)", i, d.shown, d.hidden)
				continue
			}
			st.respSize = int32(binary.BigEndian.Uint32(d.shown))
		default:
			size := st.respSize
			st.respSize = -1
			if len(d.shown) < 4 {
				t.Errorf("dump %d: a response body shows % x", i, d.shown)
				continue
			}
			corr := int32(binary.BigEndian.Uint32(d.shown))
			if st.secret[corr] {
				delete(st.secret, corr)
				if len(d.shown) != 4 || d.hidden != int(size)-4 {
					t.Errorf("dump %d: the response to SaslAuthenticate %d shows %d bytes and redacts %d of %d, want 4 and %d",
						i, corr, len(d.shown), d.hidden, size, size-4)
				}
			} else if d.hidden != 0 || len(d.shown) != int(size) {
				t.Errorf("dump %d: response %d shows %d bytes and hides %d of %d, want it whole", i, corr, len(d.shown), d.hidden, size)
			}
		}
	}
	for _, st := range conns {
		unanswered += len(st.secret)
	}
	return found, unanswered
}

// secLevel2 runs body with the IO module at level 2 and a logger into a
// buffer, and returns what the logger got.
func secLevel2(t *testing.T, body func(cfg kafkaio.Config)) string {
	t.Helper()
	secDebugLevel(t, 2)
	out, logger := secLogger()
	body(kafkaio.Config{Logger: logger, Timeout: faultPatience})
	return out.String()
}

// secScramProof returns the proof of a client-final-message.
func secScramProof(t *testing.T, final []byte) []byte {
	t.Helper()
	_, p, ok := bytes.Cut(final, []byte(",p="))
	if !ok {
		t.Fatalf("no proof in the client-final-message %q", final)
	}
	proof, err := base64.StdEncoding.DecodeString(string(p))
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// secCheckLog runs every check of a level-2 log: no secret anywhere in
// the text or in the bytes the dumps show, the SASL frames redacted,
// wantSASL of them, and a positive control that the dumps really hold the
// exchange (the mechanism's name, which SaslHandshake carries in clear).
func secCheckLog(t *testing.T, log string, errs string, secrets secSecrets, mech string, wantSASL, wantUnanswered int) {
	t.Helper()
	secRequireNone(t, "the log", log, secrets)
	secRequireNone(t, "the errors", errs, secrets)
	dumps := secParseDumps(t, log)
	for i, d := range dumps {
		// A TLS record starts with its content type (0x14 to 0x17) and
		// 0x03: the dumps are of the Kafka bytes inside TLS, never of
		// the records.
		if len(d.shown) >= 2 && d.shown[0] >= 0x14 && d.shown[0] <= 0x17 && d.shown[1] == 0x03 {
			t.Errorf("dump %d starts like a TLS record: % x", i, d.shown[:min(len(d.shown), 8)])
		}
	}
	requests, responses := secStreams(dumps)
	for name, s := range secrets {
		if bytes.Contains(requests, s) || bytes.Contains(responses, s) {
			t.Errorf("the dumped bytes hold the %s", name)
		}
	}
	if !bytes.Contains(requests, []byte(mech)) {
		t.Errorf("the dumped requests lack the SaslHandshake naming %s: the dumps checked are not the exchange", mech)
	}
	found, unanswered := secCheckSASLDumps(t, dumps, kafkaio.DefaultClientID)
	if found != wantSASL || unanswered != wantUnanswered {
		t.Errorf("%d SaslAuthenticate requests dumped, %d of them without a response; want %d and %d",
			found, unanswered, wantSASL, wantUnanswered)
	}
	if t.Failed() {
		t.Logf("the log:\n%s", log)
	}
}

// TestSecretsAtDebugLevel2WithKfake authenticates with each kfake
// mechanism under TLS, makes a request, reauthenticates, then fails once
// with a wrong password, all at level 2.
func TestSecretsAtDebugLevel2WithKfake(t *testing.T) {
	for _, m := range secMechanisms {
		t.Run(m.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			const wrong = "wrong-pw-4b1d7"
			cluster, host, port := secCluster(t, secServerTLS(), embedded.SASL(m.name, secUser, secPassword),
				embedded.BrokerConfigs(map[string]string{"connections.max.reauth.ms": "3600000"}))
			seen := secWatchSASL(cluster)
			var errs strings.Builder
			log := secLevel2(t, func(cfg kafkaio.Config) {
				cfg.Host, cfg.Port, cfg.TLS = host, port, testcerts.ClientConfig()
				cfg.SASL = m.mech(secUser, secPassword)
				c := secNew(t, cfg)
				secMetadata(t, c, 1)
				if err := c.Reauthenticate(context.Background()); err != nil {
					t.Fatalf("Reauthenticate: %v", err)
				}
				secMetadata(t, c, 2)
				cfg.SASL = m.mech(secUser, wrong)
				bad, err := kafkaio.New(cfg)
				if bad != nil {
					bad.Close()
					t.Fatal("New succeeded with a wrong password")
				}
				wantErr(t, err, kafkaerr.AuthenticationFailed)
				errs.WriteString(secErrorTexts(err))
			})
			secrets := secSecrets{"password": []byte(secPassword), "wrong password": []byte(wrong)}
			seen.mu.Lock()
			for i, a := range seen.auth {
				secrets[fmt.Sprintf("SASL message %d", i)] = a
				if m.name != embedded.Plain && i%2 == 1 {
					proof := secScramProof(t, a)
					secrets[fmt.Sprintf("SCRAM proof %d", i)] = proof
					secrets[fmt.Sprintf("SCRAM proof %d in base64", i)] = []byte(base64.StdEncoding.EncodeToString(proof))
				}
			}
			n := len(seen.auth)
			seen.mu.Unlock()
			secCheckLog(t, log, errs.String(), secrets, m.name, n, 1) // the broker closes on the wrong password
		})
	}
}

// TestSecretsAtDebugLevel2WithAScriptedScram runs SCRAM-SHA-256 against
// the scripted broker with a known salt, so that the salted password and
// the keys derived from it can be searched for too, and the server's
// signature in its final message.
func TestSecretsAtDebugLevel2WithAScriptedScram(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	salt := []byte("a salt of sixteen")
	var reqs testpeer.RequestLog
	srv := saslserver.ScramSHA256(secUser, secPassword)
	srv.Salt, srv.Iterations = salt, 4096
	b := testpeer.Broker{Mechanisms: []saslserver.Server{srv}, SessionLifetime: time.Hour, Seen: reqs.Add}
	p := testpeer.Start(t, "tcp4", b.Serve())
	log := secLevel2(t, func(cfg kafkaio.Config) {
		cfg.SASL = sasl.ScramSHA256(secUser, secPassword)
		c := connect(t, p, cfg)
		if err := c.Reauthenticate(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	salted, err := pbkdf2.Key(sha256.New, secPassword, salt, 4096, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	secrets := secSecrets{"password": []byte(secPassword), "salted password": salted,
		"client key": clientKey, "stored key": stored[:], "server key": mac(salted, "Server Key")}
	n := 0
	for _, r := range reqs.Requests() {
		if a, ok := r.Msg.(*kmsg.SASLAuthenticateRequest); ok {
			secrets[fmt.Sprintf("SASL message %d", n)] = a.SASLAuthBytes
			if n%2 == 1 {
				secrets[fmt.Sprintf("SCRAM proof %d", n)] = secScramProof(t, a.SASLAuthBytes)
			}
			n++
		}
	}
	secCheckLog(t, log, "", secrets, "SCRAM-SHA-256", n, 0)
	if n != 4 {
		t.Errorf("the broker saw %d SaslAuthenticate requests, want 4 (New and Reauthenticate)", n)
	}
}

// TestSecretsAtDebugLevel2WithOAuthBearer checks a token, accepted and
// refused, the same way.
func TestSecretsAtDebugLevel2WithOAuthBearer(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	const wrong = "wrong.token.c2VjcmV0"
	b := testpeer.Broker{Mechanisms: []saslserver.Server{saslserver.OAuthBearer{Token: secToken}}}
	p := testpeer.Start(t, "tcp4", b.Serve())
	var errs string
	log := secLevel2(t, func(cfg kafkaio.Config) {
		var calls atomic.Int32
		cfg.SASL = secOAuth(secToken, &calls)
		connect(t, p, cfg)
		cfg.Host, cfg.Port = p.Host(), p.Port()
		cfg.SASL = secOAuth(wrong, &calls)
		bad, err := kafkaio.New(cfg)
		if bad != nil {
			bad.Close()
			t.Fatal("New succeeded with a wrong token")
		}
		wantErr(t, err, kafkaerr.AuthenticationFailed)
		errs = secErrorTexts(err)
	})
	secrets := secSecrets{"token": []byte(secToken), "wrong token": []byte(wrong),
		"initial response": []byte("n,,\x01auth=Bearer " + secToken + "\x01\x01")}
	// New, then the failed New's initial response and its 0x01 answer to
	// the broker's error.
	secCheckLog(t, log, errs, secrets, "OAUTHBEARER", 3, 0)
}
