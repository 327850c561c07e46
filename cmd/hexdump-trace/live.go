package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// liveOptions describe a live exchange (-broker or -embedded).
type liveOptions struct {
	addr     string // -broker as given
	host     string
	port     int
	embedded bool
	api      string
	version  int
	n        int
	clientID string
	topics   []string
	timeout  time.Duration
	raw      bool
}

// pickVersion checks -api and -api-version against what the request
// builders can write, and fills in the default version.
func (l *liveOptions) pickVersion() error {
	switch l.api {
	case "apiversions":
		if l.version == -1 {
			l.version = 0
		}
		if l.version < 0 || l.version > 3 {
			return fmt.Errorf("-api-version %d: apiversions requests can be version 0 to 3", l.version)
		}
	case "metadata":
		if l.version == -1 {
			l.version = 1
		}
		if l.version != 1 {
			return fmt.Errorf("-api-version %d: metadata requests can only be version 1", l.version)
		}
	default:
		return fmt.Errorf("-api %q: want apiversions or metadata", l.api)
	}
	return nil
}

// request builds the frame of the i-th request.
func (l *liveOptions) request(corrID int32) []byte {
	if l.api == "metadata" {
		return kafkawire.Metadata(corrID, l.clientID, int16(l.version), l.topics)
	}
	return kafkawire.ApiVersions(corrID, l.clientID, int16(l.version))
}

// runLive starts the embedded broker when asked, then traces the exchange.
func runLive(ctx context.Context, l liveOptions, v view, stdout, stderr io.Writer) int {
	if l.embedded {
		host, port, stop, err := startEmbedded()
		if err != nil {
			fmt.Fprintf(stderr, "hexdump-trace: starting the embedded broker: %v\n", err)
			return exitFailed
		}
		defer stop()
		l.host, l.port = host, port
		fmt.Fprintf(stdout, "embedded broker listening on %s\n", joinHostPort(host, port))
	}
	if err := exchange(ctx, l, v, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "hexdump-trace: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// exchange connects with kafkaio at debug level 2, its log feeding a tracer
// that prints to stdout, and sends the requests one at a time. The trace and
// its summary are printed whether or not the exchange succeeds: a failed one
// is when they matter most.
func exchange(ctx context.Context, l liveOptions, v view, stdout, stderr io.Writer) error {
	t := newTracer(stdout, v, "live exchange", func(line int) string {
		if l.raw {
			return fmt.Sprintf("debug log line %d", line)
		}
		return fmt.Sprintf("debug log line %d (-raw prints the log)", line)
	})
	w := &lineWriter{t: t}
	if l.raw {
		w.tee = stderr
	}
	defer func() {
		w.flush()
		t.finish()
	}()

	restore := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(2)
	defer kafkadebug.IO.SetLevel(restore)

	conn, err := kafkaio.NewContext(ctx, kafkaio.Config{
		Host:    l.host,
		Port:    l.port,
		Timeout: l.timeout,
		Logger:  newTraceLogger(w),
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	for i := 1; i <= l.n; i++ {
		if err := roundTrip(ctx, conn, l, int32(i)); err != nil {
			return err
		}
	}
	return conn.Close()
}

// newTraceLogger writes kafkadebug's layout, which carries microsecond
// timestamps, into w.
func newTraceLogger(w io.Writer) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(w)
	log.SetFormatter(kafkadebug.Formatter{})
	log.SetLevel(logrus.InfoLevel)
	return log
}

// roundTrip sends one request and checks that the response answers it.
func roundTrip(ctx context.Context, conn *kafkaio.IO, l liveOptions, corrID int32) error {
	if _, err := conn.SendContext(ctx, l.request(corrID)); err != nil {
		return err
	}
	body, err := conn.ReceiveFrame(ctx, nil)
	if err != nil {
		return err
	}
	got, err := kafkawire.CorrelationID(body)
	if err != nil {
		return err
	}
	if got != corrID {
		return fmt.Errorf("response carries correlation id %d, want %d", got, corrID)
	}
	return nil
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
