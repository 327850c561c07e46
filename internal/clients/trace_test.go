package clients

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// Each client's session captured at KAFKA_DEBUG=IO:2 through Config.Logger
// and read back by cmd/hexdump-trace, the tool a user would run on it.

// recordFlag rewrites the recorded sessions in testdata/hexdump-trace/clients.
var recordFlag = flag.Bool("record", false, "re-record the client sessions in testdata/hexdump-trace/clients")

// recordPort is the port of the broker the recorded sessions talk to: a
// fixed one, so that the broker's address, which its Metadata answers carry
// in their bytes, is the same in every recording.
var recordPort = flag.Int("record-port", 39092, "the embedded broker's port while recording (-record)")

// recordedDir holds the recorded sessions, one log per client.
var recordedDir = filepath.Join("..", "..", "testdata", "hexdump-trace", "clients")

// sessionRecords is how many records a captured session produces and
// consumes: a short session, every kind of request a client makes for it.
const sessionRecords = 3

// clientSession is one client's short session against addrs, dialing with
// d: produce, then consume in a consumer group.
type clientSession struct {
	name string
	// apis are API names the trace must show: the session's own work.
	apis []string
	run  func(ctx context.Context, t *testing.T, addrs []string, d *kafkaio.Dialer, topic string)
}

var clientSessions = []clientSession{
	{"franz-go", []string{"ApiVersions", "Metadata", "Produce", "FindCoordinator", "JoinGroup", "SyncGroup", "Fetch"},
		func(ctx context.Context, t *testing.T, addrs []string, d *kafkaio.Dialer, topic string) {
			want := makeRecords("franz-go", sessionRecords)
			opts := franzGoOpts(addrs, d)
			franzGoProduce(ctx, t, opts, topic, want)
			checkSome(t, "franz-go", want, franzGoConsume(ctx, t, opts, "franz-go-session", topic, len(want)))
		}},
	{"sarama", []string{"ApiVersions", "Metadata", "Produce", "FindCoordinator", "JoinGroup", "SyncGroup", "Fetch"},
		func(ctx context.Context, t *testing.T, addrs []string, d *kafkaio.Dialer, topic string) {
			want := makeRecords("sarama", sessionRecords)
			conf := saramaConfig(d)
			saramaProduce(t, addrs, conf, topic, want)
			checkSome(t, "sarama", want, saramaConsume(ctx, t, addrs, conf, "sarama-session", topic, len(want)))
		}},
	{"kafka-go", []string{"ApiVersions", "Metadata", "Produce", "FindCoordinator", "JoinGroup", "SyncGroup", "Fetch"},
		func(ctx context.Context, t *testing.T, addrs []string, d *kafkaio.Dialer, topic string) {
			want := makeRecords("kafka-go", sessionRecords)
			w := kafkaGoWriter(addrs, d, topic)
			kafkaGoProduce(ctx, t, w, want)
			closeWriter(t, w)
			r := kafkaGoReader(addrs, d, "kafka-go-session", topic)
			got := kafkaGoConsume(ctx, t, r, len(want))
			if err := r.Close(); err != nil {
				t.Errorf("kafka-go reader close: %v", err)
			}
			checkSome(t, "kafka-go", want, got)
		}},
}

// checkSome is checkRecords for a session too short to reach every
// partition: the records must come back byte for byte, and that is all.
func checkSome(t *testing.T, client string, want, got []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s consumed %d records, want %d", client, len(got), len(want))
	}
	byKey := map[string][]byte{}
	for _, r := range want {
		byKey[string(r.key)] = r.value
	}
	for _, r := range got {
		if v, ok := byKey[string(r.key)]; !ok || !bytes.Equal(v, r.value) {
			t.Fatalf("%s consumed a record that was not produced: key %q", client, r.key)
		}
		delete(byKey, string(r.key))
	}
}

// capture switches the IO module to level 2 for the test and returns a
// logger whose output, kafkadebug's layout, goes to the returned buffer.
func capture(t *testing.T, hooks ...logrus.Hook) (*logrus.Logger, *lockedBuffer) {
	t.Helper()
	old := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(2)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(old) })
	out := &lockedBuffer{}
	log := logrus.New()
	log.SetOutput(out)
	log.SetFormatter(kafkadebug.Formatter{})
	log.SetLevel(logrus.InfoLevel)
	for _, h := range hooks {
		log.AddHook(h)
	}
	return log, out
}

// lockedBuffer is a bytes.Buffer for a logger written by many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestClientSessionsTrace captures each client's session and reads it back
// with hexdump-trace: every frame named, every response paired with its
// request, no problem reported.
func TestClientSessionsTrace(t *testing.T) {
	for _, s := range clientSessions {
		t.Run(s.name, func(t *testing.T) {
			const topic = "traced"
			c := kafkatest.Embedded(t, 1, embedded.SeedTopics(partitions, topic))
			log, out := capture(t)
			cfg := kafkaio.Config{Logger: log}
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			s.run(ctx, t, c.Addrs(), newDialer(cfg), topic)
			c.Close() // every connection ends before the log is read
			path := filepath.Join(t.TempDir(), s.name+".log")
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			checkTrace(t, path, s.apis)
		})
	}
}

// TestRecordedClientSessionsTrace reads the recorded sessions in testdata
// back with hexdump-trace as it is now.
func TestRecordedClientSessionsTrace(t *testing.T) {
	for _, s := range clientSessions {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(recordedDir, s.name+".log")
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("%v (record it: go test -run TestRecordClientSessions -record ./internal/clients/)", err)
			}
			checkTrace(t, path, s.apis)
		})
	}
}

// TestRecordClientSessions rewrites testdata/hexdump-trace/clients/*.log
// from real sessions, when run with -record. The broker listens on
// -record-port, the entries' times come from a fake clock and the
// clients' local ports are numbered in order of appearance, so that a new
// recording differs from the last only where the clients' own requests do.
func TestRecordClientSessions(t *testing.T) {
	if !*recordFlag {
		t.Skip("re-recording only with -record")
	}
	for _, s := range clientSessions {
		t.Run(s.name, func(t *testing.T) {
			const topic = "recorded"
			c, err := embedded.Start(1, embedded.SeedTopics(partitions, topic), embedded.Ports(*recordPort))
			if err != nil {
				t.Fatalf("%v (choose another port with -record-port)", err)
			}
			t.Cleanup(c.Close)
			log, out := capture(t, newNormaliser())
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			s.run(ctx, t, c.Addrs(), newDialer(kafkaio.Config{Logger: log}), topic)
			c.Close()
			if err := os.MkdirAll(recordedDir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(recordedDir, s.name+".log")
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			checkTrace(t, path, s.apis)
		})
	}
}

// normaliser is a logrus hook that makes a recording reproducible: entry
// times from a fake clock, and the clients' local addresses, which only
// the log's fields show, numbered from 127.0.0.1:50001 in order of
// appearance.
type normaliser struct {
	mu    sync.Mutex
	now   time.Time
	local map[string]string
}

func newNormaliser() *normaliser {
	return &normaliser{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), local: map[string]string{}}
}

func (*normaliser) Levels() []logrus.Level { return logrus.AllLevels }

func (n *normaliser) Fire(e *logrus.Entry) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	e.Time = n.now
	n.now = n.now.Add(37 * time.Microsecond)
	for _, k := range []string{"conn", "local"} {
		v, ok := e.Data[k].(string)
		if !ok {
			continue
		}
		if _, ok := n.local[v]; !ok {
			host, _, err := net.SplitHostPort(v)
			if err != nil {
				continue
			}
			n.local[v] = net.JoinHostPort(host, strconv.Itoa(50001+len(n.local)))
		}
		e.Data[k] = n.local[v]
	}
	return nil
}

// The parts of hexdump-trace's output checkTrace reads: the summary line,
// the per-API table and the count of responses that answer no request.
// The unmatched line is matched in its current wording and in the
// wording of the decoder being extended alongside.
var (
	summaryLine   = regexp.MustCompile(`(?m)^summary: (\d+) frames? \((\d+) requests?, (\d+) responses?\) on (\d+) connections?, (\d+) problems?$`)
	unmatchedLine = regexp.MustCompile(`(?m)^\s+(?:unmatched responses|responses answering no request in the log): (\d+)$`)
	tableHeader   = regexp.MustCompile(`^\s+api\s+requests\s+bytes\s+responses\s+bytes`)
	tableRow      = regexp.MustCompile(`^\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)`)
)

// checkTrace runs hexdump-trace on the log at path and fails t unless it
// reports no problem, names every frame's API (none unreadable or
// unknown), pairs every response with a request, and shows apis.
func checkTrace(t *testing.T, path string, apis []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(hexdumpTrace(t), "-hex", "0", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hexdump-trace %s: %v\n%s", path, err, stderr.Bytes())
	}
	trace := stdout.String()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("hexdump-trace %s: %s\n%s", path, fmt.Sprintf(format, args...), tail(trace, 60))
	}
	m := summaryLine.FindStringSubmatch(trace)
	if m == nil {
		fail("no summary line")
	}
	frames, requests, responses, conns, problems := atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])
	if problems != 0 {
		fail("%d problems", problems)
	}
	if requests == 0 || responses == 0 || frames != requests+responses {
		fail("%d frames: %d requests, %d responses", frames, requests, responses)
	}
	u := unmatchedLine.FindStringSubmatch(trace)
	if u == nil || atoi(u[1]) != 0 {
		fail("responses that answer no request: %v", u)
	}
	// The table: one row per API, its requests and responses.
	seen := map[string]bool{}
	paired := 0
	inTable := false
	for line := range strings.SplitSeq(trace, "\n") {
		if tableHeader.MatchString(line) {
			inTable = true
			continue
		}
		r := tableRow.FindStringSubmatch(line)
		if !inTable || r == nil {
			if inTable && r == nil {
				break
			}
			continue
		}
		api, reqs, resps := r[1], atoi(r[2]), atoi(r[4])
		if strings.HasPrefix(api, "(") || strings.HasPrefix(api, "Unknown") {
			fail("frames the tool could not name: %q", line)
		}
		if resps > reqs {
			fail("%s: %d responses to %d requests", api, resps, reqs)
		}
		seen[api] = true
		paired += resps
	}
	if paired != responses {
		fail("%d of %d responses are paired with a named request", paired, responses)
	}
	for _, api := range apis {
		if !seen[api] {
			fail("no %s in the session", api)
		}
	}
	t.Logf("%s: %d frames (%d requests, %d responses, %d requests left unanswered when the session ended) on %d connections, %d APIs, 0 problems",
		filepath.Base(path), frames, requests, responses, requests-responses, conns, len(seen))
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// The hexdump-trace binary, built once per test process into toolDir.
var (
	toolOnce sync.Once
	toolPath string
	toolErr  error
	toolDir  string // removed by TestMain
)

// hexdumpTrace returns the path of a freshly built cmd/hexdump-trace.
func hexdumpTrace(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			toolErr = fmt.Errorf("the go command, to build hexdump-trace: %w", err)
			return
		}
		if toolDir, err = os.MkdirTemp("", "kafkaio-clients-"); err != nil {
			toolErr = err
			return
		}
		toolPath = filepath.Join(toolDir, "hexdump-trace")
		build := exec.Command(goTool, "build", "-o", toolPath, "github.com/kafkaio/kafkaio/cmd/hexdump-trace")
		if out, err := build.CombinedOutput(); err != nil {
			toolErr = fmt.Errorf("go build hexdump-trace: %v\n%s", err, out)
		}
	})
	if toolErr != nil {
		t.Fatal(toolErr)
	}
	return toolPath
}
