package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The secrets in unredactedLog. None may appear in any output, as text or
// as hex.
var testSecrets = []string{"hunter2-secret", "server-final-secret", "tok-secret", "hmac-secret", "jaas-secret"}

// unredactedLog is a log from something that does not redact: full dumps of
// a SaslAuthenticate exchange, of the bare tokens after a SaslHandshake v0,
// of a delegation token's HMAC and of a JAAS config being set.
func unredactedLog(t *testing.T) string {
	t.Helper()
	return logWith(kafkadebug.Formatter{}, func(log *logrus.Logger) {
		const broker = "127.0.0.1:9092"
		a := log.WithField("conn", "127.0.0.1:50010")
		b := log.WithField("conn", "127.0.0.1:50011")
		f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("app"))
		req := func(l logrus.FieldLogger, corrID int32, r kmsg.Request) {
			kafkadebug.Dump(l, kafkadebug.Request, broker, f.AppendRequest(nil, r, corrID))
		}
		resp := func(l logrus.FieldLogger, corrID int32, r kmsg.Response) {
			body := binary.BigEndian.AppendUint32(nil, uint32(corrID))
			if r.IsFlexible() {
				body = append(body, 0)
			}
			body = r.AppendTo(body)
			kafkadebug.Dump(l, kafkadebug.Response, broker, append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
		}
		raw := func(l logrus.FieldLogger, dir kafkadebug.Direction, token string) {
			kafkadebug.Dump(l, dir, broker, append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...))
		}

		hs := kmsg.NewPtrSASLHandshakeRequest()
		hs.SetVersion(1)
		hs.Mechanism = "PLAIN"
		req(a, 1, hs)
		hsr := kmsg.NewPtrSASLHandshakeResponse()
		hsr.SetVersion(1)
		resp(a, 1, hsr)
		auth := kmsg.NewPtrSASLAuthenticateRequest()
		auth.SetVersion(2)
		auth.SASLAuthBytes = []byte("\x00alice\x00hunter2-secret")
		req(a, 2, auth)
		authr := kmsg.NewPtrSASLAuthenticateResponse()
		authr.SetVersion(2)
		authr.SASLAuthBytes = []byte("server-final-secret")
		resp(a, 2, authr)

		token := kmsg.NewPtrCreateDelegationTokenResponse()
		token.SetVersion(2)
		token.HMAC = []byte("hmac-secret")
		tokenReq := kmsg.NewPtrCreateDelegationTokenRequest()
		tokenReq.SetVersion(2)
		req(a, 3, tokenReq)
		resp(a, 3, token)

		alter := kmsg.NewPtrIncrementalAlterConfigsRequest()
		alter.SetVersion(1)
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeBroker, "0"
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = "listener.name.sasl.plain.sasl.jaas.config", kmsg.StringPtr(`PlainLoginModule required username="u" password="jaas-secret";`)
		res.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{cfg}
		alter.Resources = []kmsg.IncrementalAlterConfigsRequestResource{res}
		req(a, 4, alter)

		v0 := kmsg.NewPtrSASLHandshakeRequest()
		v0.SetVersion(0)
		v0.Mechanism = "PLAIN"
		req(b, 1, v0)
		v0r := kmsg.NewPtrSASLHandshakeResponse()
		v0r.SetVersion(0)
		resp(b, 1, v0r)
		raw(b, kafkadebug.Request, "\x00bob\x00tok-secret")
		raw(b, kafkadebug.Response, "")
		md := kmsg.NewPtrMetadataRequest()
		md.SetVersion(1)
		req(b, 2, md)
	})
}

// TestSecretsNeverShown traces a log that did not redact its secrets in
// every output form, hex tables at full length and events included, and
// expects none of the secrets in any of them.
func TestSecretsNeverShown(t *testing.T) {
	log := unredactedLog(t)
	for _, s := range testSecrets {
		if !strings.Contains(log, hex.EncodeToString([]byte(s))) {
			t.Fatalf("the test log lacks %q: the test would prove nothing", s)
		}
	}
	page := filepath.Join(t.TempDir(), "page.html")
	outputs := map[string]string{}
	for name, args := range map[string][]string{
		"text": {"-hex", "100000", "-events"},
		"json": {"-json", "-hex", "100000", "-events"},
		"html": {"-html", page, "-fields", "none", "-hex", "0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(log), &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit status %d, stderr %q", name, code, stderr.String())
		}
		outputs[name] = stdout.String() + stderr.String()
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	outputs["html page"] = string(html)
	for name, out := range outputs {
		for _, s := range testSecrets {
			for _, form := range []string{s, hex.EncodeToString([]byte(s)), spacedHex([]byte(s[:8]))} {
				if strings.Contains(out, form) {
					t.Errorf("%s output shows the secret %q as %q", name, s, form)
				}
			}
		}
	}
	text := outputs["text"]
	for _, want := range []string{
		"SaslAuthenticate v2 (key 36), correlation id 2, client id \"app\", 23 bytes of SASL data redacted by hexdump-trace",
		"SaslAuthenticate v2, correlation id 2, answers #3 after 5ms, 32 bytes of SASL data redacted by hexdump-trace",
		"HMAC: <11 bytes redacted>",
		"Value: <62 bytes redacted>",
		"SASL token (after SaslHandshake v0 the client sends them without a Kafka header), 15 bytes of SASL data redacted by hexdump-trace",
		"4 bytes: SASL token answering #10, empty\n",
		"Metadata v1 (key 3), correlation id 2", // a Kafka request again after the tokens
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text output lacks %q:\n%s", want, text)
		}
	}
}

// TestRedactionMarkerKeepsFramesApart feeds kafkaio's redacted dumps in the
// ways they can arrive and expects the frames after them intact.
func TestRedactionMarkerKeepsFramesApart(t *testing.T) {
	out := traceOf(writeSASLRedacted())
	for _, want := range []string{
		"SaslAuthenticate v2 (key 36), correlation id 2, client id \"app\", 51 bytes of SASL data redacted in the log",
		"SaslAuthenticate v2, correlation id 3, answers #5 after 450µs, 58 bytes of SASL data redacted in the log",
		"ClusterID: \"sasl-cluster\"", // the frame after the secret part of the same chunk
		"8 frames (4 requests, 4 responses) on 1 connection, 0 problems",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	// A marker reaching past its frame, one with no dump before it, and one
	// whose count cannot be read are reported, never taken for data.
	bad := logWith(kafkadebug.Formatter{}, func(log *logrus.Logger) {
		l := log.WithField("conn", "c")
		l.Info("<7 bytes of SASL data redacted>")
		kafkadebug.Dump(l, kafkadebug.Request, "h:1", []byte{0, 0, 0, 10, 0, 36, 0, 0, 0, 0, 0, 9})
		l.Info("<20 bytes of SASL data redacted>")
		kafkadebug.Dump(l, kafkadebug.Request, "h:1", []byte{0, 0, 0, 2})
		l.Info("<lots of bytes of SASL data redacted>")
		kafkadebug.Dump(l, kafkadebug.Request, "h:1", apiVersionsV0)
		// Debugging switched to level 2 mid-stream: kafkaio shows no
		// content until a call starts at a frame boundary.
		kafkadebug.DumpRedacted(l, kafkadebug.Response, "h:1", nil, 30, kafkadebug.RedactUnknown)
		kafkadebug.DumpRedacted(l, kafkadebug.Response, "h:1", nil, 12, kafkadebug.RedactUnknown)
		kafkadebug.Dump(l, kafkadebug.Response, "h:1", apiVersionsResponse(1)[:4])
		kafkadebug.Dump(l, kafkadebug.Response, "h:1", apiVersionsResponse(1)[4:])
	})
	out = traceOf(bad)
	for _, want := range []string{
		"a redaction marker with no dump before it",
		"the log redacted 18 bytes more than the request it was in holds",
		"a redaction marker whose byte count cannot be read",
		"ApiVersions v0 (key 18), correlation id 1",
		"the log does not show 30 bytes of responses: kafkaio did not know where its frames began",
		"ApiVersions v0, correlation id 1, answers #2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

// TestSASLv0TokensCountedByMechanism sends a PLAIN token that reads like a
// Kafka request (a user and password chosen to): after SaslHandshake v0
// with PLAIN, the first frame is the token whatever it looks like.
func TestSASLv0TokensCountedByMechanism(t *testing.T) {
	log := logWith(kafkadebug.Formatter{}, func(log *logrus.Logger) {
		l := log.WithField("conn", "c")
		f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("app"))
		hs := kmsg.NewPtrSASLHandshakeRequest()
		hs.SetVersion(0)
		hs.Mechanism = "PLAIN"
		kafkadebug.Dump(l, kafkadebug.Request, "h:1", f.AppendRequest(nil, hs, 1))
		kafkadebug.Dump(l, kafkadebug.Response, "h:1", []byte{0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		// "\x00\x03" is Metadata, "\x00\x01" version 1, then an id and
		// a client id: a token that parses as a Metadata v1 request.
		token := "\x00\x03\x00\x01\x00\x00\x00\x02\x00\x02ab\xff\xff\xff\xffsecret-pw"
		kafkadebug.Dump(l, kafkadebug.Request, "h:1", append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...))
	})
	out := traceArgs(t, log, "-hex", "1000")
	if strings.Contains(out, "secret-pw") || strings.Contains(out, hex.EncodeToString([]byte("secret-pw"))) || strings.Contains(out, "73 65 63 72") {
		t.Errorf("the token is shown:\n%s", out)
	}
	if !strings.Contains(out, "SASL token (after SaslHandshake v0") {
		t.Errorf("the token is not taken for one:\n%s", out)
	}
}
