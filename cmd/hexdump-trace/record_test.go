package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"hash/crc32"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/sirupsen/logrus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// recordFlag rewrites the recorded logs in testdata from real exchanges with
// the embedded broker: kafkaio at debug level 2 sending requests built with
// kmsg and reading the answers. Timestamps come from a fake clock; what
// still differs between recordings (ports, ids the broker makes up, how
// often kafkaio had to wait) is what TestRecordingsAreReproducible leaves
// out when it compares. Run -update afterwards.
var recordFlag = flag.Bool("record", false, "re-record the level-2 logs in testdata/hexdump-trace from real exchanges")

// testdataDir holds the recorded logs and the expected traces.
var testdataDir = filepath.Join("..", "..", "testdata", "hexdump-trace")

// recording is one recorded log: the logger layout it is written in and the
// exchanges in it.
type recording struct {
	log    string
	layout func() logrus.Formatter
	run    func(r *recorder)
	broker []embedded.Option // besides the seeded topic
	// client marks a real client's session over kafkaio's Dialer. Its
	// requests, their order and their connections depend on timing, so a
	// new recording is not compared with the committed one; it must decode
	// as completely, with no problem and every frame decoded.
	client bool
}

var recordings = []recording{
	{"apiversions.log", kafkadebugLayout, recordApiVersions, nil, false},
	{"metadata.log", textLayout, recordMetadata, nil, false},
	{"interleaved.log", jsonLayout, recordInterleaved, nil, false},
	{"produce.log", kafkadebugLayout, recordProduce, nil, false},
	{"fetch.log", kafkadebugLayout, recordFetch, nil, false},
	{"group.log", kafkadebugLayout, recordGroup, nil, false},
	{"sasl.log", kafkadebugLayout, recordSASLHandshake, nil, false},
	{"sasl-scram.log", kafkadebugLayout, recordSCRAM, []embedded.Option{embedded.SASL("SCRAM-SHA-256", scramUser, scramPassword)}, false},
	{"franz-go.log", kafkadebugLayout, recordFranzGo, nil, true},
}

// The credentials of sasl-scram.log's session. TestRecordedLogsHoldNoSecret
// checks that neither reaches the log.
const (
	scramUser     = "trace-user"
	scramPassword = "not-in-any-log-9f2c"
)

func kafkadebugLayout() logrus.Formatter { return kafkadebug.Formatter{} }
func textLayout() logrus.Formatter {
	return &logrus.TextFormatter{DisableColors: true, TimestampFormat: time.RFC3339Nano}
}
func jsonLayout() logrus.Formatter { return &logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano} }

// recorder runs real exchanges whose level-2 log goes to one buffer.
type recorder struct {
	t       *testing.T
	log     *logrus.Logger
	out     lockedBuilder
	cluster *embedded.Cluster
	sasl    sasl.Mechanism // how dial authenticates, if at all
}

// lockedBuilder is the recording's log: a client's goroutines write to it
// while the test reads it.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// settle waits until nothing has been logged for a while: a client's
// connections keep logging briefly after it closes.
func (r *recorder) settle() {
	last, quiet := r.out.String(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now := r.out.String(); now != last {
			last, quiet = now, time.Now()
		} else if time.Since(quiet) > 300*time.Millisecond {
			return
		}
	}
	r.t.Fatal("the log kept growing for 10s after the client closed")
}

// The topic the embedded broker starts with.
const testTopic = "orders"

func newRecorder(t *testing.T, f logrus.Formatter, opts ...embedded.Option) *recorder {
	t.Helper()
	c, err := embedded.Start(1, append([]embedded.Option{embedded.SeedTopics(1, testTopic)}, opts...)...)
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

// recordLog runs one recording and returns its log.
func recordLog(t *testing.T, rec recording) string {
	r := newRecorder(t, rec.layout(), rec.broker...)
	rec.run(r)
	return r.out.String()
}

// dial connects to the embedded broker with the recording logger.
func (r *recorder) dial() *kafkaio.IO { return r.dialWith(r.log) }

// dialQuietly connects with a logger that throws the log away, for setting
// things up outside the recording.
func (r *recorder) dialQuietly() *kafkaio.IO {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return r.dialWith(l)
}

func (r *recorder) dialWith(log *logrus.Logger) *kafkaio.IO {
	r.t.Helper()
	host, port := splitTestAddr(r.t, r.cluster.Addrs()[0])
	c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, Timeout: 10 * time.Second, Logger: log, SASL: r.sasl})
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

func (r *recorder) receive(c *kafkaio.IO) []byte {
	r.t.Helper()
	body, err := c.ReceiveFrame(context.Background(), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return body
}

// roundTrip sends req, built with kmsg at the version set on it, as
// correlation id corrID, and returns kmsg's reading of the answer.
func (r *recorder) roundTrip(c *kafkaio.IO, corrID int32, req kmsg.Request) kmsg.Response {
	r.t.Helper()
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("recorder")).AppendRequest(nil, req, corrID)
	r.send(c, frame)
	body := r.receive(c)
	if got := int32(binary.BigEndian.Uint32(body)); got != corrID {
		r.t.Fatalf("%s: correlation id %d, want %d", apiName(req.Key()), got, corrID)
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != 18 {
		body = body[1:] // response header v1: no tagged fields from kfake
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(body); err != nil {
		r.t.Fatalf("%s v%d response: %v", apiName(req.Key()), req.GetVersion(), err)
	}
	return resp
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

func recordApiVersions(r *recorder) {
	c := r.dial()
	r.send(c, kafkawire.ApiVersions(1, "test", 0))
	r.receive(c)
	r.send(c, kafkawire.ApiVersions(2, "test", 3))
	r.receive(c)
	c.Close()
}

func recordMetadata(r *recorder) {
	c := r.dial()
	r.send(c, kafkawire.Metadata(7, "trace", 1, nil))
	r.receive(c)
	c.Close()
}

// recordInterleaved uses two connections whose requests and responses
// alternate.
func recordInterleaved(r *recorder) {
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
}

// recordProduce: Metadata v12 (flexible), then Produce v3 (an uncompressed
// batch) and v9 (flexible, a gzip batch).
func recordProduce(r *recorder) {
	c := r.dial()
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	topic := kmsg.NewMetadataRequestTopic()
	topic.Topic = kmsg.StringPtr(testTopic)
	md.Topics = []kmsg.MetadataRequestTopic{topic}
	r.roundTrip(c, 1, md)
	r.roundTrip(c, 2, produceRequest(3, recordBatch(r.t, 0, "k1", "hello", "k2", "world")))
	r.roundTrip(c, 3, produceRequest(9, recordBatch(r.t, 1, "k3", strings.Repeat("gzip ", 20), "", "no key", "k5", "")))
	c.Close()
}

func produceRequest(version int16, batch []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(version)
	req.Acks = -1
	req.TimeoutMillis = 5000
	p := kmsg.NewProduceRequestTopicPartition()
	p.Records = batch
	t := kmsg.NewProduceRequestTopic()
	t.Topic = testTopic
	t.Partitions = []kmsg.ProduceRequestTopicPartition{p}
	req.Topics = []kmsg.ProduceRequestTopic{t}
	return req
}

// batchTime is the timestamp of the recorded records.
var batchTime = time.Date(2025, 11, 21, 19, 26, 0, 0, time.UTC).UnixMilli()

// recordBatch builds a record batch (magic 2) of key/value pairs, an empty
// key standing for a null one, compressed with codec (0 none, 1 gzip, 2
// snappy, 3 lz4, 4 zstd), as a producer without idempotence writes it.
func recordBatch(t testing.TB, codec int, kvs ...string) []byte {
	t.Helper()
	var records []byte
	for i := 0; i < len(kvs); i += 2 {
		var rec []byte
		rec = append(rec, 0)                       // attributes
		rec = binary.AppendVarint(rec, int64(i/2)) // timestamp delta
		rec = binary.AppendVarint(rec, int64(i/2)) // offset delta
		if kvs[i] == "" {
			rec = binary.AppendVarint(rec, -1)
		} else {
			rec = binary.AppendVarint(rec, int64(len(kvs[i])))
			rec = append(rec, kvs[i]...)
		}
		rec = binary.AppendVarint(rec, int64(len(kvs[i+1])))
		rec = append(rec, kvs[i+1]...)
		rec = binary.AppendVarint(rec, 0) // headers
		records = binary.AppendVarint(records, int64(len(rec)))
		records = append(records, rec...)
	}
	records = compressForTest(t, codec, records)
	n := len(kvs) / 2
	var b []byte
	b = binary.BigEndian.AppendUint64(b, 0)                             // base offset
	b = binary.BigEndian.AppendUint32(b, 0)                             // length, set below
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)                    // partition leader epoch
	b = append(b, 2)                                                    // magic
	b = binary.BigEndian.AppendUint32(b, 0)                             // crc, set below
	b = binary.BigEndian.AppendUint16(b, uint16(codec))                 // attributes
	b = binary.BigEndian.AppendUint32(b, uint32(n-1))                   // last offset delta
	b = binary.BigEndian.AppendUint64(b, uint64(batchTime))             // first timestamp
	b = binary.BigEndian.AppendUint64(b, uint64(batchTime)+uint64(n-1)) // max timestamp
	b = binary.BigEndian.AppendUint64(b, 0xffffffffffffffff)            // producer id
	b = binary.BigEndian.AppendUint16(b, 0xffff)                        // producer epoch
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)                    // base sequence
	b = binary.BigEndian.AppendUint32(b, uint32(n))                     // records
	b = append(b, records...)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b
}

func compressForTest(t testing.TB, codec int, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	switch codec {
	case 0:
		return b
	case 1:
		w := gzip.NewWriter(&out)
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case 2:
		return snappy.Encode(nil, b)
	case 3:
		w := lz4.NewWriter(&out)
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	case 4:
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(b, nil)
	}
	return out.Bytes()
}

// recordFetch produces batches in every compression on a connection left
// out of the log, then records Fetch v4 and v12 (flexible) reading them
// back and ListOffsets v1 and v6 (flexible) asking for both ends.
func recordFetch(r *recorder) {
	setup := r.dialQuietly()
	for codec := range 5 {
		r.roundTrip(setup, int32(codec+1), produceRequest(7, recordBatch(r.t, codec, "key-"+compressionName(codec), strings.Repeat(compressionName(codec)+" ", 8), "k", "v")))
	}
	setup.Close()
	c := r.dial()
	for i, v := range []int16{4, 12} {
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(v)
		req.ReplicaID = -1
		req.MaxWaitMillis = 100
		req.MinBytes = 1
		req.MaxBytes = 1 << 20
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes = 1 << 20
		tp := kmsg.NewFetchRequestTopic()
		tp.Topic = testTopic
		tp.Partitions = []kmsg.FetchRequestTopicPartition{p}
		req.Topics = []kmsg.FetchRequestTopic{tp}
		r.roundTrip(c, int32(i+1), req)
	}
	for i, v := range []int16{1, 6} {
		req := kmsg.NewPtrListOffsetsRequest()
		req.SetVersion(v)
		req.ReplicaID = -1
		tp := kmsg.NewListOffsetsRequestTopic()
		tp.Topic = testTopic
		latest := kmsg.NewListOffsetsRequestTopicPartition()
		latest.Timestamp = -1
		tp.Partitions = []kmsg.ListOffsetsRequestTopicPartition{latest}
		if v >= 6 {
			// Two partitions: one that exists, one that does not.
			missing := kmsg.NewListOffsetsRequestTopicPartition()
			missing.Partition, missing.Timestamp = 7, -2
			tp.Partitions = append(tp.Partitions, missing)
		}
		req.Topics = []kmsg.ListOffsetsRequestTopic{tp}
		r.roundTrip(c, int32(i+3), req)
	}
	c.Close()
}

// recordGroup runs a one-member consumer group twice: with old versions
// (FindCoordinator v1, JoinGroup v2, SyncGroup v1, Heartbeat v1,
// OffsetCommit v2, OffsetFetch v1) and with flexible ones (FindCoordinator
// v4, JoinGroup v6, which first answers MEMBER_ID_REQUIRED, SyncGroup v4,
// Heartbeat v4, OffsetCommit v8, OffsetFetch v8).
func recordGroup(r *recorder) {
	c := r.dial()
	corr := int32(0)
	next := func(req kmsg.Request) kmsg.Response {
		corr++
		return r.roundTrip(c, corr, req)
	}
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{testTopic}
	assignment := kmsg.NewConsumerMemberAssignment()
	at := kmsg.NewConsumerMemberAssignmentTopic()
	at.Topic, at.Partitions = testTopic, []int32{0}
	assignment.Topics = []kmsg.ConsumerMemberAssignmentTopic{at}

	for _, vs := range []struct {
		group                                          string
		find, join, sync, heartbeat, commit, fetchOffs int16
	}{
		{"old-group", 1, 2, 1, 1, 2, 1},
		{"new-group", 4, 6, 4, 4, 8, 8},
	} {
		find := kmsg.NewPtrFindCoordinatorRequest()
		find.SetVersion(vs.find)
		if vs.find >= 4 {
			find.CoordinatorKeys = []string{vs.group}
		} else {
			find.CoordinatorKey = vs.group
		}
		next(find)

		join := kmsg.NewPtrJoinGroupRequest()
		join.SetVersion(vs.join)
		join.Group = vs.group
		join.SessionTimeoutMillis = 30000
		join.RebalanceTimeoutMillis = 60000
		join.ProtocolType = "consumer"
		proto := kmsg.NewJoinGroupRequestProtocol()
		proto.Name, proto.Metadata = "range", meta.AppendTo(nil)
		join.Protocols = []kmsg.JoinGroupRequestProtocol{proto}
		joined := next(join).(*kmsg.JoinGroupResponse)
		if joined.ErrorCode == 79 { // MEMBER_ID_REQUIRED: join again with the id
			join.MemberID = joined.MemberID
			joined = next(join).(*kmsg.JoinGroupResponse)
		}
		if joined.ErrorCode != 0 {
			r.t.Fatalf("%s: join error %d", vs.group, joined.ErrorCode)
		}

		sync := kmsg.NewPtrSyncGroupRequest()
		sync.SetVersion(vs.sync)
		sync.Group, sync.Generation, sync.MemberID = vs.group, joined.Generation, joined.MemberID
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = joined.MemberID, assignment.AppendTo(nil)
		sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{ga}
		next(sync)

		hb := kmsg.NewPtrHeartbeatRequest()
		hb.SetVersion(vs.heartbeat)
		hb.Group, hb.Generation, hb.MemberID = vs.group, joined.Generation, joined.MemberID
		next(hb)

		commit := kmsg.NewPtrOffsetCommitRequest()
		commit.SetVersion(vs.commit)
		commit.Group, commit.Generation, commit.MemberID = vs.group, joined.Generation, joined.MemberID
		cp := kmsg.NewOffsetCommitRequestTopicPartition()
		cp.Offset, cp.Metadata = 2, kmsg.StringPtr("checkpoint")
		ct := kmsg.NewOffsetCommitRequestTopic()
		ct.Topic, ct.Partitions = testTopic, []kmsg.OffsetCommitRequestTopicPartition{cp}
		commit.Topics = []kmsg.OffsetCommitRequestTopic{ct}
		next(commit)

		fetch := kmsg.NewPtrOffsetFetchRequest()
		fetch.SetVersion(vs.fetchOffs)
		if vs.fetchOffs >= 8 {
			g := kmsg.NewOffsetFetchRequestGroup()
			gt := kmsg.NewOffsetFetchRequestGroupTopic()
			gt.Topic, gt.Partitions = testTopic, []int32{0}
			g.Group, g.Topics = vs.group, []kmsg.OffsetFetchRequestGroupTopic{gt}
			fetch.Groups = []kmsg.OffsetFetchRequestGroup{g}
		} else {
			ft := kmsg.NewOffsetFetchRequestTopic()
			ft.Topic, ft.Partitions = testTopic, []int32{0}
			fetch.Group, fetch.Topics = vs.group, []kmsg.OffsetFetchRequestTopic{ft}
		}
		next(fetch)
	}
	c.Close()
}

// recordSASLHandshake asks the broker for a mechanism it lacks (v1: it
// answers UNSUPPORTED_SASL_MECHANISM with the ones it has), then for PLAIN.
// A second connection sends SaslHandshake v0, which kfake does not serve,
// so a control function answers it in the v0 layout.
func recordSASLHandshake(r *recorder) {
	r.cluster.Kfake().ControlKey(17, func(req kmsg.Request) (kmsg.Response, error, bool) {
		if req.GetVersion() != 0 {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
		return resp, nil, true
	})
	c := r.dial()
	for i, mech := range []string{"GSSAPI", "PLAIN"} {
		req := kmsg.NewPtrSASLHandshakeRequest()
		req.SetVersion(1)
		req.Mechanism = mech
		r.roundTrip(c, int32(i+1), req)
	}
	c.Close()
	v0 := r.dial()
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.SetVersion(0)
	req.Mechanism = "PLAIN"
	r.roundTrip(v0, 1, req)
	v0.Close()
}

// recordSCRAM is kafkaio's own SASL: New sends ApiVersions, SaslHandshake
// v1 and two SaslAuthenticate rounds of SCRAM-SHA-256, whose SASL data its
// dumps leave out; then a Metadata v12 on the authenticated connection.
func recordSCRAM(r *recorder) {
	r.sasl = sasl.ScramSHA256(scramUser, scramPassword)
	c := r.dial()
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	r.roundTrip(c, 100, md)
	c.Close()
}

// recordFranzGo is franz-go's client over kafkaio's Dialer: it produces
// three records (kgo's default snappy batches) and consumes them from the
// start, then leaves. Everything it sends and receives goes through
// kafkaio's net.Conn view, dumped at level 2.
func recordFranzGo(r *recorder) {
	host, port := splitTestAddr(r.t, r.cluster.Addrs()[0])
	dialer := &kafkaio.Dialer{Config: kafkaio.Config{Host: host, Port: port, Timeout: 10 * time.Second, Logger: r.log}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.cluster.Addrs()...), kgo.Dialer(dialer.DialContext), kgo.ClientID("franz-go"),
		kgo.DefaultProduceTopic(testTopic), kgo.ConsumeTopics(testTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.MetadataMinAge(time.Minute))
	if err != nil {
		r.t.Fatal(err)
	}
	defer func() {
		cl.Close()
		r.settle()
	}()
	var records []*kgo.Record
	for i, v := range []string{"first", "second", "third"} {
		records = append(records, &kgo.Record{Key: []byte("key-" + strconv.Itoa(i)), Value: []byte(v + " record")})
	}
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		r.t.Fatalf("franz-go produce: %v", err)
	}
	got := 0
	for got < len(records) {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			r.t.Fatalf("franz-go consumed %d of %d records: %v", got, len(records), err)
		}
		for _, fe := range fs.Errors() {
			r.t.Fatalf("franz-go fetch: %v", fe.Err)
		}
		got += len(fs.Records())
	}
}

// TestRecordedLogsHoldNoSecret checks that no recorded log holds the SASL
// password or user of its session, as text or as hex.
func TestRecordedLogsHoldNoSecret(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(testdataDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if fi, err := os.Stat(l); err == nil && fi.IsDir() {
			continue // clients/: internal/clients' recordings, of sessions without SASL
		}
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{scramPassword, scramUser} {
			if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(hex.EncodeToString([]byte(secret)))) {
				t.Errorf("%s holds %q", l, secret)
			}
		}
	}
}

// TestRecordLogs re-records every log in testdata/hexdump-trace when run
// with -record: the real exchanges above, and the made-up logs.
func TestRecordLogs(t *testing.T) {
	if !*recordFlag {
		t.Skip("re-recording only with -record")
	}
	for _, rec := range recordings {
		t.Run(rec.log, func(t *testing.T) {
			writeTestdata(t, rec.log, recordLog(t, rec))
		})
	}
	for _, s := range syntheticLogs {
		writeTestdata(t, s.log, s.write())
	}
}

func writeTestdata(t *testing.T, name, log string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(testdataDir, name), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRecordingsAreReproducible records every log again from real exchanges
// and expects the same decoded trace as the committed log gives, apart from
// what differs between runs.
func TestRecordingsAreReproducible(t *testing.T) {
	for _, rec := range recordings {
		t.Run(rec.log, func(t *testing.T) {
			committed, err := os.ReadFile(filepath.Join(testdataDir, rec.log))
			if err != nil {
				t.Fatal(err)
			}
			if rec.client {
				decodesWhole(t, "the committed log", string(committed))
				decodesWhole(t, "a new recording", recordLog(t, rec))
				return
			}
			want := normalise(traceArgs(t, string(committed), "-hex", "0"))
			got := normalise(traceArgs(t, recordLog(t, rec), "-hex", "0"))
			if got != want {
				t.Errorf("a new recording decodes differently from %s:\n%s", rec.log, lineDiff(want, got))
			}
		})
	}
	for _, s := range syntheticLogs {
		committed, err := os.ReadFile(filepath.Join(testdataDir, s.log))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.write(); got != string(committed) {
			t.Errorf("%s is not what its generator writes now (run -record):\n%s", s.log, lineDiff(string(committed), got))
		}
	}
}

// decodesWhole checks that a client session's log decodes with no problem:
// every frame a request or response whose every field decoded. (A request
// may go unanswered: a client closing drops its long-polling fetches.)
func decodesWhole(t *testing.T, what, log string) {
	t.Helper()
	out := traceArgs(t, log, "-hex", "0")
	for _, bad := range []string{"! ", "(fields not decoded", "(answers no request)", "(unreadable header)"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s does not decode whole (%q):\n%s", what, bad, out)
			return
		}
	}
	if !strings.Contains(out, ", 0 problems\n") || !strings.Contains(out, "responses answering no request in the log: 0\n") {
		t.Errorf("%s: problems, or responses to no request:\n%s", what, out)
	}
}

// traceArgs runs the command over log with args and returns its output.
func traceArgs(t *testing.T, log string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, strings.NewReader(log), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d, stderr %q", code, stderr.String())
	}
	return stdout.String()
}

// What differs between two recordings of the same exchanges: the broker's
// port and the local port, clock times and latencies (the fake clock steps
// per log entry, and kafkaio logs a wait only when it had to wait), the ids
// the broker makes up for topics and members, and the bytes of the frames
// those are in.
var unstable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(127\.0\.0\.1|\[::1\]):\d+`), "$1:PORT"},
	{regexp.MustCompile(`\b(Port: )\d+`), "${1}PORT"},
	{regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{6} `), "TIME "},
	{regexp.MustCompile(`after [0-9.]+(µs|ms|s)`), "after LATENCY"},
	{regexp.MustCompile(`(TopicID: )[A-Za-z0-9_-]{22}`), "${1}UUID"},
	{regexp.MustCompile(`((Member|Leader)(ID)?: )"[^"]*"`), `${1}"ID"`},
	{regexp.MustCompile(`(?m)^(  \S+ +\d+ +\d+ +\d+ +\d+ ).*$`), "${1}LATENCIES"},
}

func normalise(s string) string {
	for _, u := range unstable {
		s = u.re.ReplaceAllString(s, u.with)
	}
	return s
}
