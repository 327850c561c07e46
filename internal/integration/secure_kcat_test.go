package integration

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// The kcat interop tests over SSL and SASL_SSL: records kafkaio produces
// through TLS (and SASL) are consumed by kcat (librdkafka, OpenSSL) byte
// for byte, and records kcat produces are fetched through kafkaio, on the
// same embedded cluster. The cluster advertises SaslHandshake v0 for
// Debian's librdkafka, which only starts SASL then.

// secureMode is one way the cluster is secured, with the settings of both
// clients.
type secureMode struct {
	name    string
	cluster []embedded.Option
	kcat    kafkatest.KcatSecurity
	sasl    func() sasl.Mechanism // nil: TLS only
}

func secureModes() []secureMode {
	const user, pass = "interop-user", "interop-pw-7c1e;=Ü"
	serverTLS := embedded.TLS(testcerts.Server().ServerConfig())
	modes := []secureMode{{
		name:    "SSL",
		cluster: []embedded.Option{serverTLS},
		kcat:    kafkatest.KcatSecurity{TLS: true},
	}}
	for _, m := range []struct {
		name string
		mech func(u, p string) sasl.Mechanism
	}{
		{embedded.Plain, sasl.Plain},
		{embedded.ScramSHA256, sasl.ScramSHA256},
		{embedded.ScramSHA512, sasl.ScramSHA512},
	} {
		modes = append(modes, secureMode{
			name:    "SASL_SSL " + m.name,
			cluster: []embedded.Option{serverTLS, embedded.SASL(m.name, user, pass), embedded.AdvertiseSaslHandshakeV0()},
			kcat:    kafkatest.KcatSecurity{TLS: true, Mechanism: m.name, User: user, Password: pass},
			sasl:    func() sasl.Mechanism { return m.mech(user, pass) },
		})
	}
	return modes
}

// dialSecure connects through kafkaio with the mode's TLS and SASL.
func (m secureMode) dial(t *testing.T, addr string) *broker {
	t.Helper()
	host, port := splitAddr(t, addr)
	cfg := kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig()}
	if m.sasl != nil {
		cfg.SASL = m.sasl()
	}
	b := dialConfig(t, cfg)
	if _, ok := b.io.ConnectionState(); !ok {
		t.Fatalf("the connection to %s is not TLS", addr)
	}
	return b
}

// kcat runs kcat with the mode's security settings and the strict ones of
// runKcat; the password stays in KcatConfig's file and out of any report.
func (m secureMode) runKcat(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	all := append([]string{"-q", "-X", "check.crcs=true"}, kafkatest.KcatConfig(t, m.kcat)...)
	return kafkatest.RunKcat(t, stdin, append(all, args...)...)
}

func TestSecureKcatInterop(t *testing.T) {
	kafkatest.Kcat(t) // skip before starting clusters when kcat is absent
	for _, m := range secureModes() {
		t.Run(m.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
			const topic = "secure-interop"
			cluster := kafkatest.Embedded(t, 1, append(m.cluster, embedded.SeedTopics(1, topic))...)
			addr := cluster.Addrs()[0]
			b := m.dial(t, addr)
			if leader := waitForLeader(t, b, topic); leader != addr {
				t.Fatalf("partition 0's leader is %s, want the only broker %s", leader, addr)
			}

			t.Run("kafkaio produces, kcat consumes", func(t *testing.T) {
				rec := kafkawire.Record{
					Timestamp: 1_700_000_000_456,
					Key:       []byte("secure-key-ü"),
					Value:     allBytes(),
					Headers:   []kafkawire.Header{{Key: "trace", Value: []byte("tls-123")}},
				}
				offset := b.produce(topic, 0, []kafkawire.Record{rec})
				got := m.runKcat(t, nil, "-C", "-b", addr, "-t", topic, "-p", "0",
					"-o", fmt.Sprint(offset), "-e", "-c", "1", "-f", "%o|%T|%h|%K:%k|%S:%s")
				want := fmt.Sprintf("%d|%d|trace=tls-123|%d:%s|%d:%s",
					offset, rec.Timestamp, len(rec.Key), rec.Key, len(rec.Value), rec.Value)
				if !bytes.Equal(got, []byte(want)) {
					t.Fatalf("kcat consumed\n%q\nwant\n%q", got, want)
				}
			})

			t.Run("kcat produces, kafkaio fetches", func(t *testing.T) {
				start := b.listOffset(topic, 0, kafkawire.LatestTimestamp)
				var input bytes.Buffer
				var want []kafkawire.Record
				for i := range 5 {
					r := kafkawire.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "secure value %d, ünïcode", i)}
					fmt.Fprintf(&input, "%s;%s\n", r.Key, r.Value)
					want = append(want, r)
				}
				before := time.Now().Add(-time.Minute).UnixMilli()
				m.runKcat(t, input.Bytes(), "-P", "-b", addr, "-t", topic, "-p", "0", "-K", ";")
				after := time.Now().Add(time.Minute).UnixMilli()

				// A second connection, so the fetch runs on one made after
				// kcat's records were in.
				f := m.dial(t, addr)
				if end := f.listOffset(topic, 0, kafkawire.LatestTimestamp); end != start+int64(len(want)) {
					t.Fatalf("ListOffsets latest = %d, want %d", end, start+int64(len(want)))
				}
				p := f.fetch(kafkawire.FetchRequest{Topic: topic, Offset: start, MaxWaitMs: 1000, MinBytes: 1})
				if len(p.Records) != len(want) {
					t.Fatalf("Fetch returned %d records, want %d: %+v", len(p.Records), len(want), p.Records)
				}
				for i, got := range p.Records {
					if got.Offset != start+int64(i) || !bytes.Equal(got.Key, want[i].Key) || !bytes.Equal(got.Value, want[i].Value) {
						t.Fatalf("record %d: offset %d key %q value %q, want offset %d key %q value %q",
							i, got.Offset, got.Key, got.Value, start+int64(i), want[i].Key, want[i].Value)
					}
					if got.Timestamp < before || got.Timestamp > after {
						t.Fatalf("record %d: timestamp %d is not around now", i, got.Timestamp)
					}
				}
			})
		})
	}
}

// TestSecureKcatRejectsWhatKafkaioRejects is the control: the same
// cluster refuses kcat with a wrong password, as it refuses kafkaio, so
// the interop above is not passing against a cluster that checks nothing.
func TestSecureKcatRejectsWhatKafkaioRejects(t *testing.T) {
	kafkatest.Kcat(t)
	t.Cleanup(leakcheck.Verify(t))
	m := secureModes()[2] // SASL_SSL SCRAM-SHA-256
	cluster := kafkatest.Embedded(t, 1, m.cluster...)
	addr := cluster.Addrs()[0]
	bad := m.kcat
	bad.Password = "not-the-password"
	args := append([]string{"-q"}, kafkatest.KcatConfig(t, bad)...)
	args = append(args, "-L", "-b", addr, "-m", "2")
	if out, _, err := kafkatest.TryKcat(t, nil, args...); err == nil {
		t.Fatalf("kcat listed the cluster with a wrong password:\n%s", out)
	}
	host, port := splitAddr(t, addr)
	if c, err := kafkaio.New(kafkaio.Config{Host: host, Port: port, TLS: testcerts.ClientConfig(),
		SASL: sasl.ScramSHA256(m.kcat.User, "not-the-password"), Timeout: callTimeout}); err == nil {
		c.Close()
		t.Fatal("kafkaio connected with a wrong password")
	}
}
