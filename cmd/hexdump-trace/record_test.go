package main

import (
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// recordFlag rewrites the recorded logs in testdata from real exchanges with the
// embedded broker. Their timestamps come from a fake clock, so a recording is
// stable apart from ports and the broker's answers; run -update afterwards.
var recordFlag = flag.Bool("record", false, "re-record the level-2 logs in testdata/hexdump-trace from real exchanges")

// testdataDir holds the recorded logs and the expected traces.
var testdataDir = filepath.Join("..", "..", "testdata", "hexdump-trace")

// recorder runs real exchanges whose level-2 log goes to one file.
type recorder struct {
	t       *testing.T
	log     *logrus.Logger
	out     strings.Builder
	cluster *embedded.Cluster
}

func newRecorder(t *testing.T, f logrus.Formatter) *recorder {
	t.Helper()
	c, err := embedded.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r := &recorder{t: t, cluster: c}
	r.log = logrus.New()
	r.log.SetOutput(&r.out)
	r.log.SetFormatter(f)
	r.log.AddHook(&clockHook{now: testTime, step: 37 * time.Microsecond})
	restore := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(2)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(restore) })
	return r
}

// dial connects to the embedded broker with the recording logger.
func (r *recorder) dial() *kafkaio.IO {
	r.t.Helper()
	host, port := splitTestAddr(r.t, r.cluster.Addrs()[0])
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: 10 * time.Second, Logger: r.log})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c
}

func (r *recorder) send(c *kafkaio.IO, frame []byte) {
	r.t.Helper()
	if _, err := c.Send(frame); err != nil {
		r.t.Fatal(err)
	}
}

func (r *recorder) receive(c *kafkaio.IO) {
	r.t.Helper()
	if _, err := c.ReceiveFrame(context.Background(), nil); err != nil {
		r.t.Fatal(err)
	}
}

func splitTestAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return host, p
}

func (r *recorder) save(name string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(testdataDir, name), []byte(r.out.String()), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// TestRecordLogs records apiversions.log (kafkadebug layout), metadata.log
// (logrus text layout) and interleaved.log (JSON layout, two connections
// whose requests and responses alternate) when run with -record.
func TestRecordLogs(t *testing.T) {
	if !*recordFlag {
		t.Skip("re-recording only with -record")
	}
	t.Run("apiversions", func(t *testing.T) {
		r := newRecorder(t, kafkadebug.Formatter{})
		c := r.dial()
		r.send(c, kafkawire.ApiVersions(1, "test", 0))
		r.receive(c)
		r.send(c, kafkawire.ApiVersions(2, "test", 3))
		r.receive(c)
		c.Close()
		r.save("apiversions.log")
	})
	t.Run("metadata", func(t *testing.T) {
		r := newRecorder(t, &logrus.TextFormatter{DisableColors: true, TimestampFormat: time.RFC3339Nano})
		c := r.dial()
		r.send(c, kafkawire.Metadata(7, "trace", 1, nil))
		r.receive(c)
		c.Close()
		r.save("metadata.log")
	})
	t.Run("interleaved", func(t *testing.T) {
		r := newRecorder(t, &logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
		a, b := r.dial(), r.dial()
		r.send(a, kafkawire.ApiVersions(1, "conn-a", 0))
		r.send(b, kafkawire.Metadata(1, "conn-b", 1, []string{}))
		r.receive(b)
		r.send(b, kafkawire.ApiVersions(2, "conn-b", 3))
		r.receive(a)
		r.send(a, kafkawire.Metadata(2, "conn-a", 1, nil))
		r.receive(a)
		r.receive(b)
		a.Close()
		b.Close()
		r.save("interleaved.log")
	})
	t.Run("garbage", recordGarbage)
}

// recordGarbage writes garbage.log: the dumps of one made-up connection,
// damaged in every way the tool claims to survive, among unrelated lines.
func recordGarbage(t *testing.T) {
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

	// A Send that failed half way: kafkaio dumps what went out.
	dump(kafkadebug.Request, kafkawire.Metadata(5, "test", 1, nil)[:10])
	raw("2025-11-21T19:27:02.000000Z INFO [conn=127.0.0.1:50001] returning IO error -1001: Cannot send")

	if err := os.WriteFile(filepath.Join(testdataDir, "garbage.log"), []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
