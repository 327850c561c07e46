package main

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// syntheticLogs are logs made up in code rather than recorded: damage no
// real exchange produces, and kafkaio's redaction of SASL data.
var syntheticLogs = []struct {
	log   string
	write func() string
}{
	{"garbage.log", writeGarbage},
	{"sasl-redacted.log", writeSASLRedacted},
}

// writeGarbage writes garbage.log: the dumps of one made-up connection,
// damaged in every way the tool claims to survive, among unrelated lines.
func writeGarbage() string {
	var out strings.Builder
	log := logrus.New()
	log.SetOutput(&out)
	log.SetFormatter(kafkadebug.Formatter{})
	log.AddHook(&clockHook{now: testTime, step: 50 * time.Microsecond})
	const broker = "127.0.0.1:9092"
	conn := log.WithField("conn", "127.0.0.1:50001")
	raw := func(line string) { out.WriteString(line + "\n") }
	dump := func(dir kafkadebug.Direction, b []byte) { kafkadebug.Dump(conn, dir, broker, b) }
	// mangled writes a dump after edit has changed its lines.
	mangled := func(dir kafkadebug.Direction, b []byte, edit func(lines []string) []string) {
		var one strings.Builder
		log.SetOutput(&one)
		dump(dir, b)
		log.SetOutput(&out)
		for _, l := range edit(strings.Split(strings.TrimSuffix(one.String(), "\n"), "\n")) {
			raw(l)
		}
	}
	// An ApiVersions v0 response: no error, one key (18, versions 0-3).
	response := func(corrID byte) []byte {
		return []byte{0, 0, 0, corrID, 0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3}
	}
	size := []byte{0, 0, 0, 16}

	raw("=== RUN   TestSomethingElse")
	raw("some unrelated output: 0000000e")
	raw("")
	raw(`{"level":"info","msg":"an entry of another library","time":"2025-11-21T19:27:00Z"}`)

	dump(kafkadebug.Request, kafkawire.ApiVersions(1, "test", 0))
	dump(kafkadebug.Response, size)
	dump(kafkadebug.Response, response(1))

	// The hex stream lost its last digit; the table still has every byte.
	mangled(kafkadebug.Request, kafkawire.ApiVersions(2, "test", 0), func(l []string) []string {
		l[1] = l[1][:len(l[1])-1]
		return l
	})
	dump(kafkadebug.Response, size)
	// The table disagrees with the hex stream (a byte edited by hand).
	mangled(kafkadebug.Response, response(2), func(l []string) []string {
		l[2] = strings.Replace(l[2], "00 12 00 00", "00 13 00 00", 1)
		return l
	})

	// A line cut short: the request is lost, and the tool must find the
	// next frame on its own.
	mangled(kafkadebug.Request, kafkawire.ApiVersions(3, "test", 0), func(l []string) []string {
		l[1] = l[1][:len(l[1])-9]
		l[2] = l[2][:len(l[2])-30]
		return l[:3]
	})
	dump(kafkadebug.Response, size)
	dump(kafkadebug.Response, response(3))

	// A request nobody answers, for an API key no Kafka has.
	dump(kafkadebug.Request, []byte{0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 4, 0xff, 0xff})

	// A JSON entry cut in half, a hex stream and a row with no dump around
	// them.
	raw(`{"conn":"127.0.0.1:50001","level":"info","msg":"# Hex Stream: 0000000e001200000000000500`)
	raw("2025-11-21T19:27:01.000000Z INFO [conn=127.0.0.1:50009] # Hex Stream: 00")
	raw("2025-11-21T19:27:01.000000Z INFO [conn=127.0.0.1:50009] 00000000  00                                                |.|")

	// A TLS alert where a response should be: a plaintext client on a TLS port.
	dump(kafkadebug.Response, []byte{0x15, 0x03, 0x03, 0x00})
	dump(kafkadebug.Response, []byte{0x02, 0x02, 0x50})
	// An HTTP server on another connection.
	kafkadebug.Dump(log.WithField("conn", "127.0.0.1:50002"), kafkadebug.Response, "127.0.0.1:8080", []byte("HTTP/1.1 400 Bad Request\r\n"))

	// A Metadata v1 response whose broker's host claims 200 bytes where
	// 9 are: decoded as far as it goes.
	dump(kafkadebug.Request, kafkawire.Metadata(6, "test", 1, nil))
	short := []byte{0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 200}
	short = append(short, "127.0.0.1"...)
	dump(kafkadebug.Response, append(binary.BigEndian.AppendUint32(nil, uint32(len(short))), short...))

	// An ApiVersions v3 request whose header v2 carries a tagged field.
	tagged := []byte{0, 18, 0, 3, 0, 0, 0, 7, 0, 4, 't', 'e', 's', 't', 1, 0, 2, 0xab, 0xcd, 1, 1, 0}
	dump(kafkadebug.Request, append(binary.BigEndian.AppendUint32(nil, uint32(len(tagged))), tagged...))

	// A Send that failed half way: kafkaio dumps what went out.
	dump(kafkadebug.Request, kafkawire.Metadata(5, "test", 1, nil)[:10])
	raw("2025-11-21T19:27:02.000000Z INFO [conn=127.0.0.1:50001] returning IO error -1001: Cannot send")

	return out.String()
}

// writeSASLRedacted writes sasl-redacted.log: SaslAuthenticate frames as
// kafkaio dumps them (kafkadebug.DumpRedacted: a request's size and header
// up to its client id, a response's size and correlation id, then the line
// standing for the rest), cut into chunks the ways a receive can cut them:
// size and body apart, and one chunk holding the end of a SASL answer and
// the whole Metadata answer after it, whose visible part is a second dump.
func writeSASLRedacted() string {
	var out strings.Builder
	log := logrus.New()
	log.SetOutput(&out)
	log.SetFormatter(kafkadebug.Formatter{})
	log.AddHook(&clockHook{now: testTime, step: 50 * time.Microsecond})
	const broker = "127.0.0.1:9092"
	conn := log.WithFields(logrus.Fields{"broker": broker, "conn": "127.0.0.1:50003"})
	formatter := kmsg.NewRequestFormatter(kmsg.FormatterClientID("app"))
	request := func(corrID int32, req kmsg.Request) []byte { return formatter.AppendRequest(nil, req, corrID) }
	response := func(corrID int32, resp kmsg.Response) []byte {
		body := binary.BigEndian.AppendUint32(nil, uint32(corrID))
		if resp.IsFlexible() {
			body = append(body, 0)
		}
		body = resp.AppendTo(body)
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
	}
	received := func(frame []byte) {
		kafkadebug.Dump(conn, kafkadebug.Response, broker, frame[:4])
		kafkadebug.Dump(conn, kafkadebug.Response, broker, frame[4:])
	}

	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = "SCRAM-SHA-256"
	kafkadebug.Dump(conn, kafkadebug.Request, broker, request(1, hs))
	hsResp := kmsg.NewPtrSASLHandshakeResponse()
	hsResp.SetVersion(1)
	hsResp.SupportedMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
	received(response(1, hsResp))

	// What the SASL data holds does not matter: it never reaches the log.
	// Only its length does.
	auth := func(corrID int32, token string) []byte {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.SetVersion(2)
		req.SASLAuthBytes = []byte(token)
		return request(corrID, req)
	}
	authResp := func(corrID int32, token string) []byte {
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		resp.SetVersion(2)
		resp.SASLAuthBytes = []byte(token)
		resp.SessionLifetimeMillis = 3600000
		return response(corrID, resp)
	}
	// What kafkaio shows: size, api key, version, correlation id and the
	// client id "app"; for a response, size and correlation id.
	const requestHead, responseHead = 4 + 2 + 2 + 4 + 2 + 3, 8
	redacted := func(dir kafkadebug.Direction, shown []byte, hidden int) {
		kafkadebug.DumpRedacted(conn, dir, broker, shown, hidden, kafkadebug.RedactSASL)
	}
	first := auth(2, strings.Repeat("c", 48))
	redacted(kafkadebug.Request, first[:requestHead], len(first)-requestHead)
	answer := authResp(2, strings.Repeat("s", 80))
	kafkadebug.Dump(conn, kafkadebug.Response, broker, answer[:4])
	redacted(kafkadebug.Response, answer[4:responseHead], len(answer)-responseHead)

	final := auth(3, strings.Repeat("p", 100))
	redacted(kafkadebug.Request, final[:requestHead], len(final)-requestHead)
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	kafkadebug.Dump(conn, kafkadebug.Request, broker, request(4, md))
	last := authResp(3, strings.Repeat("v", 44))
	mdResp := kmsg.NewPtrMetadataResponse()
	mdResp.SetVersion(12)
	mdResp.ClusterID = kmsg.StringPtr("sasl-cluster")
	next := response(4, mdResp)
	// One chunk: the SASL answer, then the Metadata answer.
	redacted(kafkadebug.Response, last[:responseHead], len(last)-responseHead)
	kafkadebug.Dump(conn, kafkadebug.Response, broker, next)
	return out.String()
}
