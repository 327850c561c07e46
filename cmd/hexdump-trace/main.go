package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usageText = `Usage:
  hexdump-trace [FILE...]
  hexdump-trace -broker HOST:PORT [-api apiversions|metadata] [-n N] [flags]
  hexdump-trace -embedded [-api apiversions|metadata] [-n N] [flags]

The first form reads level-2 debug logs (KAFKA_DEBUG=IO:2) from the files, or
from standard input, and prints every Kafka frame in them: what it is, which
request a response answers and after how long, every field of its body
decoded, and its first bytes in hex. The other two connect with kafkaio at
debug level 2, exchange N requests and print the trace as it happens;
-embedded starts a Kafka-protocol broker inside the process on loopback first,
so it needs nothing else to run. -json writes the same as one JSON object per
line; -html FILE also writes it as a page to look at in a browser. Secrets
(SaslAuthenticate bodies, delegation token HMACs, SCRAM credentials,
password-like configs) are never shown.

Exit status: 0 on success, 1 on a failed exchange or an unreadable file, 2 on
bad usage.

Flags:
`

// options are the parsed command line.
type options struct {
	files []string
	live  liveOptions
	// isLive is set by -broker or -embedded.
	isLive   bool
	view     view
	htmlPath string
}

// run is the whole command; main only adds the process around it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errReported):
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "hexdump-trace: %v\nRun 'hexdump-trace -h' for usage.\n", err)
		return exitUsage
	}
	var code int
	if opts.isLive {
		code = runLive(ctx, opts.live, opts.view, stdout, stderr)
	} else {
		code = traceFiles(opts.files, opts.view, stdin, stdout, stderr)
	}
	if opts.view.page != nil {
		if err := opts.view.page.writeFile(opts.htmlPath); err != nil {
			fmt.Fprintf(stderr, "hexdump-trace: %v\n", err)
			return exitFailed
		}
	}
	return code
}

// errReported stands for a flag error the flag package has already printed,
// together with the usage.
var errReported = errors.New("invalid flags")

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("hexdump-trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.live.addr, "broker", "", "connect to the broker at `HOST:PORT` (an IPv6 host in brackets) and trace a live exchange")
	fs.BoolVar(&o.live.embedded, "embedded", false, "start an in-process Kafka-protocol broker on loopback and trace a live exchange with it")
	fs.StringVar(&o.live.api, "api", "apiversions", "request to send in a live exchange: `apiversions` or metadata")
	fs.IntVar(&o.live.n, "n", 1, "number of requests in a live exchange, sent one after another on one connection")
	fs.IntVar(&o.live.version, "api-version", -1, "API `version` of the request: 0-3 for apiversions, 1 for metadata; -1 picks 0 for apiversions and 1 for metadata")
	fs.StringVar(&o.live.clientID, "client-id", "hexdump-trace", "client id written in the request headers")
	topics := fs.String("topics", "", "comma-separated `topics` a metadata request asks about; empty asks about all topics")
	fs.DurationVar(&o.live.timeout, "timeout", 10*time.Second, "bound on connecting and on each send and receive in a live exchange")
	fs.IntVar(&o.view.hexBytes, "hex", 64, "show the first `N` bytes of each frame (size prefix included) as a hex table under its annotation; 0 for none")
	fs.BoolVar(&o.view.events, "events", false, "also print the log's other entries (kafkaio's level-1 events: connects, waits, errors) where they occur")
	fields := fs.String("fields", "all", "how much of each decoded body to print: `all` fields, top (the top-level ones, arrays as counts) or none")
	fs.BoolVar(&o.view.json, "json", false, "write one JSON object per frame, problem and summary instead of text (see the command documentation)")
	fs.StringVar(&o.htmlPath, "html", "", "also write the trace as one self-contained HTML page to `FILE`: a timeline per connection, the frames, a summary per API")
	fs.BoolVar(&o.live.raw, "raw", false, "also copy the raw debug log of a live exchange to standard error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errReported
	}
	o.files = fs.Args()
	o.isLive = o.live.addr != "" || o.live.embedded
	switch *fields {
	case "all":
		o.view.fields = fieldsAll
	case "top":
		o.view.fields = fieldsTop
	case "none":
		o.view.fields = fieldsNone
	default:
		return o, fmt.Errorf("-fields %q: want all, top or none", *fields)
	}
	if o.htmlPath != "" {
		o.view.page = &htmlPage{}
	}
	if *topics != "" {
		o.live.topics = strings.Split(*topics, ",")
	}
	return o, checkArgs(&o, fs)
}

// checkArgs rejects combinations the flags alone cannot.
func checkArgs(o *options, fs *flag.FlagSet) error {
	if !o.isLive {
		var liveOnly []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "broker", "embedded", "events", "hex", "fields", "json", "html":
			default:
				liveOnly = append(liveOnly, "-"+f.Name)
			}
		})
		if len(liveOnly) > 0 {
			return fmt.Errorf("%s only apply with -broker or -embedded", strings.Join(liveOnly, ", "))
		}
		return nil
	}
	l := &o.live
	switch {
	case l.addr != "" && l.embedded:
		return errors.New("-broker and -embedded exclude each other")
	case len(o.files) > 0:
		return fmt.Errorf("files (%s) cannot be read during a live exchange", strings.Join(o.files, " "))
	case l.n < 1:
		return fmt.Errorf("-n %d: need at least one request", l.n)
	case l.timeout <= 0:
		return fmt.Errorf("-timeout %v: must be positive", l.timeout)
	}
	if err := l.pickVersion(); err != nil {
		return err
	}
	if l.addr != "" {
		return l.splitAddr()
	}
	return nil
}

// splitAddr checks -broker and fills host and port.
func (l *liveOptions) splitAddr() error {
	host, port, err := net.SplitHostPort(l.addr)
	if err != nil {
		return fmt.Errorf("-broker %q: %v", l.addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("-broker %q: port must be a number from 1 to 65535", l.addr)
	}
	if host == "" {
		return fmt.Errorf("-broker %q: missing host", l.addr)
	}
	l.host, l.port = host, p
	return nil
}

// traceFiles annotates each file as its own log, or standard input when there
// are none. A file that cannot be read is reported and the others go on.
func traceFiles(files []string, v view, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		return traceOne("standard input", stdin, v, stdout, stderr)
	}
	code := exitOK
	for i, name := range files {
		if len(files) > 1 && !v.json {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "== %s ==\n", name)
		}
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "hexdump-trace: %v\n", err)
			code = exitFailed
			continue
		}
		if traceOne(name, f, v, stdout, stderr) != exitOK {
			code = exitFailed
		}
		f.Close()
	}
	return code
}

func traceOne(name string, r io.Reader, v view, stdout, stderr io.Writer) int {
	t := newTracer(stdout, v, name, fileLines(name))
	err := t.readFrom(r)
	t.finish()
	if err != nil {
		fmt.Fprintf(stderr, "hexdump-trace: reading %s: %v\n", name, err)
		return exitFailed
	}
	return exitOK
}
