package clients

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

const (
	// recordCount is how many records each full test produces and
	// consumes; partitions is its topic's partition count.
	recordCount = 10000
	partitions  = 3
	// brokers is the size of the embedded cluster: each partition has its
	// own leader, so a client keeps a connection to every broker.
	brokers = 3
	// sessionTimeout bounds one client's whole produce-and-consume run,
	// generous for a loaded machine under -race.
	sessionTimeout = 2 * time.Minute
	// dialTimeout is kafkaio's budget for each dial: connect, TLS, SASL.
	dialTimeout = 10 * time.Second
	// The SASL user of the secured clusters.
	saslUser = "kafkaio-client"
	saslPass = "client-secret-Ω"
)

// record is what a client produced or consumed: its key and value, and
// where it was stored.
type record struct {
	key, value []byte
	partition  int32
	offset     int64
}

// makeRecords returns n records with distinct keys; the values run through
// every byte value and vary in length, so that any change on the way or
// any mix-up of records shows.
func makeRecords(tag string, n int) []record {
	recs := make([]record, n)
	for i := range recs {
		v := make([]byte, 1+(i*37)%700)
		for j := range v {
			v[j] = byte(i*7 + j)
		}
		recs[i] = record{key: fmt.Appendf(nil, "%s-%05d-\x00\xff", tag, i), value: v}
	}
	return recs
}

// checkRecords fails t unless got holds exactly the records of want, each
// once, byte for byte, and each partition's offsets run from 0 without a
// gap (nothing lost, nothing read twice).
func checkRecords(t *testing.T, client string, want, got []record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s consumed %d records, want %d", client, len(got), len(want))
	}
	byKey := make(map[string][]byte, len(want))
	for _, r := range want {
		byKey[string(r.key)] = r.value
	}
	seen := make(map[string]bool, len(got))
	offsets := map[int32][]int64{}
	for _, r := range got {
		k := string(r.key)
		v, ok := byKey[k]
		switch {
		case !ok:
			t.Fatalf("%s consumed a record with a key never produced: %q", client, r.key)
		case seen[k]:
			t.Fatalf("%s consumed key %q twice", client, r.key)
		case !bytes.Equal(r.value, v):
			t.Fatalf("%s: the value of %q differs: %d bytes, want %d", client, r.key, len(r.value), len(v))
		}
		seen[k] = true
		offsets[r.partition] = append(offsets[r.partition], r.offset)
	}
	if len(offsets) != partitions {
		t.Errorf("%s: records came from %d partitions, want %d", client, len(offsets), partitions)
	}
	for p, offs := range offsets {
		slices.Sort(offs)
		for i, o := range offs {
			if o != int64(i) {
				t.Fatalf("%s: partition %d offsets %d..%d have a gap at %d", client, p, offs[0], offs[len(offs)-1], i)
			}
		}
	}
}

// security is one way of connecting to the cluster: what the cluster
// demands, and the kafkaio Config that meets it. The clients themselves
// are configured plaintext and without SASL every time: kafkaio does TLS
// and SASL inside the dial.
type security struct {
	name    string
	cluster []embedded.Option
	config  func() kafkaio.Config
}

// securities are the ways the full tests connect.
var securities = []security{
	{"plaintext", nil, func() kafkaio.Config { return kafkaio.Config{} }},
	{"tls", []embedded.Option{embedded.TLS(testcerts.Server().ServerConfig())},
		func() kafkaio.Config { return kafkaio.Config{TLS: testcerts.ClientConfig()} }},
	{"sasl-scram-sha-256", []embedded.Option{embedded.SASL(embedded.ScramSHA256, saslUser, saslPass)},
		func() kafkaio.Config { return kafkaio.Config{SASL: sasl.ScramSHA256(saslUser, saslPass)} }},
}

// startCluster starts a cluster of brokers with topic seeded, secured as
// sec says, stopped when the test ends.
func startCluster(t *testing.T, topic string, opts ...embedded.Option) *embedded.Cluster {
	t.Helper()
	return kafkatest.Embedded(t, brokers, append([]embedded.Option{embedded.SeedTopics(partitions, topic)}, opts...)...)
}

// newDialer returns the Dialer the clients are given, with cfg's security.
func newDialer(cfg kafkaio.Config) *kafkaio.Dialer {
	cfg.Timeout = dialTimeout
	cfg.ClientID = "kafkaio-clients-test"
	return &kafkaio.Dialer{Config: cfg}
}

// noSecret fails t if text shows the SASL password.
func noSecret(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, saslPass) {
		t.Errorf("%s shows the SASL password", what)
	}
}
