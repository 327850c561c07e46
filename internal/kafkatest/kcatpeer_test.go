package kafkatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkaio/kafkaio/internal/embedded"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
)

// kcat (librdkafka) and franz-go's kgo against the embedded cluster over
// SSL, SASL_SSL and SASL_PLAINTEXT: each produces records the other, and
// kcat itself, read back byte for byte.

const secTopic = "sec"

// secCase is one way of securing the cluster, with the matching settings
// for kcat and kgo.
type secCase struct {
	name    string
	cluster []embedded.Option
	kcat    KcatSecurity
	kgo     []kgo.Opt
}

func kgoMechanism(mechanism, user, pass string) sasl.Mechanism {
	switch mechanism {
	case embedded.Plain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case embedded.ScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case embedded.ScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	panic("unknown mechanism " + mechanism)
}

func secCases(t *testing.T) []secCase {
	files, err := testcerts.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	serverTLS := embedded.TLS(testcerts.Server().ServerConfig())
	cases := []secCase{
		{
			name:    "SSL",
			cluster: []embedded.Option{serverTLS},
			kcat:    KcatSecurity{TLS: true},
			kgo:     []kgo.Opt{kgo.DialTLSConfig(testcerts.ClientConfig())},
		},
		{
			name:    "SSL mutual",
			cluster: []embedded.Option{embedded.TLS(testcerts.MutualServerConfig())},
			kcat:    KcatSecurity{TLS: true, CAFile: files.CA, ClientCertFile: files.ClientCert, ClientKeyFile: files.ClientKey},
			kgo:     []kgo.Opt{kgo.DialTLSConfig(testcerts.MutualClientConfig())},
		},
	}
	for _, mech := range []string{embedded.Plain, embedded.ScramSHA256, embedded.ScramSHA512} {
		user, pass := "kcat-user", "pw-"+strings.ToLower(mech)+"-Ü;=x"
		cases = append(cases, secCase{
			name:    "SASL_SSL " + mech,
			cluster: []embedded.Option{serverTLS, embedded.SASL(mech, user, pass), embedded.AdvertiseSaslHandshakeV0()},
			kcat:    KcatSecurity{TLS: true, Mechanism: mech, User: user, Password: pass},
			kgo:     []kgo.Opt{kgo.DialTLSConfig(testcerts.ClientConfig()), kgo.SASL(kgoMechanism(mech, user, pass))},
		})
	}
	cases = append(cases, secCase{
		name:    "SASL_PLAINTEXT SCRAM-SHA-256",
		cluster: []embedded.Option{embedded.SASL(embedded.ScramSHA256, "u", "p"), embedded.AdvertiseSaslHandshakeV0()},
		kcat:    KcatSecurity{Mechanism: embedded.ScramSHA256, User: "u", Password: "p"},
		kgo:     []kgo.Opt{kgo.SASL(kgoMechanism(embedded.ScramSHA256, "u", "p"))},
	})
	return cases
}

// binaryValue holds every byte value, newlines and NULs included, so that
// nothing on the way can treat it as text.
func binaryValue(seed, n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(seed + i)
	}
	return v
}

// kcatFormat prints each record so that binary values cannot run into the
// next record: offset, key with its length, value with its length, headers.
const kcatFormat = "%o|%K:%k|%S:%s|%h\n"

type rec struct {
	key, value []byte
	header     string // "k=v", as kcat prints a header
}

func (r rec) kcatLine(offset int) string {
	return fmt.Sprintf("%d|%d:%s|%d:%s|%s\n", offset, len(r.key), r.key, len(r.value), r.value, r.header)
}

func TestKcatAndKgoOverSecureClusters(t *testing.T) {
	Kcat(t) // skip before starting anything when kcat is absent
	for _, sc := range secCases(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			c := Embedded(t, 1, append([]embedded.Option{embedded.SeedTopics(1, secTopic)}, sc.cluster...)...)
			kcatArgs := append(KcatConfig(t, sc.kcat), "-q", "-X", "check.crcs=true", "-b", c.Addrs()[0], "-t", secTopic, "-p", "0")

			// kcat produces one record from each file: a file is sent whole.
			dir := t.TempDir()
			var want []rec
			var files []string
			for i, n := range []int{1, 256, 5000} {
				r := rec{key: []byte("kcat-key"), value: binaryValue(i*7, n), header: "from=kcat"}
				path := filepath.Join(dir, fmt.Sprintf("value%d", i))
				if err := os.WriteFile(path, r.value, 0o600); err != nil {
					t.Fatal(err)
				}
				want, files = append(want, r), append(files, path)
			}
			RunKcat(t, nil, append(append(kcatArgs, "-P", "-k", "kcat-key", "-H", "from=kcat"), files...)...)

			// kgo produces two more.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Addrs()...), kgo.RequestRetries(2),
				kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{secTopic: {0: kgo.NewOffset().AtStart()}})}, sc.kgo...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			for i := range 2 {
				r := rec{key: fmt.Appendf(nil, "kgo-%d", i), value: binaryValue(100+i, 700), header: "from=kgo"}
				kr := &kgo.Record{Topic: secTopic, Key: r.key, Value: r.value,
					Headers: []kgo.RecordHeader{{Key: "from", Value: []byte("kgo")}}}
				if err := cl.ProduceSync(ctx, kr).FirstErr(); err != nil {
					t.Fatalf("kgo produce: %v", err)
				}
				want = append(want, r)
			}

			// kcat reads all five back exactly.
			got := RunKcat(t, nil, append(kcatArgs, "-C", "-o", "beginning", "-e", "-c", fmt.Sprint(len(want)), "-f", kcatFormat)...)
			var exp bytes.Buffer
			for i, r := range want {
				exp.WriteString(r.kcatLine(i))
			}
			if !bytes.Equal(got, exp.Bytes()) {
				t.Fatalf("kcat consumed\n%q\nwant\n%q", got, exp.Bytes())
			}

			// kgo reads all five back exactly.
			var recs []*kgo.Record
			for len(recs) < len(want) {
				fs := cl.PollFetches(ctx)
				if ctx.Err() != nil {
					t.Fatalf("kgo consumed %d of %d records: %v", len(recs), len(want), ctx.Err())
				}
				for _, fe := range fs.Errors() {
					t.Fatalf("kgo fetch: %v", fe.Err)
				}
				recs = append(recs, fs.Records()...)
			}
			for i, r := range want {
				g := recs[i]
				if g.Offset != int64(i) || !bytes.Equal(g.Key, r.key) || !bytes.Equal(g.Value, r.value) ||
					len(g.Headers) != 1 || g.Headers[0].Key+"="+string(g.Headers[0].Value) != r.header {
					t.Fatalf("kgo record %d: offset %d key %q, %d value bytes, headers %v; want key %q, %d bytes, %s",
						i, g.Offset, g.Key, len(g.Value), g.Headers, r.key, len(r.value), r.header)
				}
			}
		})
	}
}

// tryKcatConsume runs a kcat consumer to the end of the (empty) topic and
// returns its error output and how it ended. Without -q kcat prints
// librdkafka's connection failures. Extra arguments come last.
func tryKcatConsume(t *testing.T, c *embedded.Cluster, s KcatSecurity, extra ...string) (string, error) {
	t.Helper()
	args := append(KcatConfig(t, s), "-C", "-b", c.Addrs()[0], "-t", secTopic, "-e")
	_, stderr, err := TryKcat(t, nil, append(args, extra...)...)
	return string(stderr), err
}

// refusalTimeout is kcat's metadata timeout (-m, seconds) in runs that must
// fail: it reports the failure of its first connection within milliseconds,
// then would retry for the default 5 s.
const refusalTimeout = "2"

// What kcat reports when the cluster's certificate, client certificate,
// password or SASL versions are not what it wants; and that the password is
// never in what it prints. librdkafka 2.0.2 gives the same words for every
// certificate it rejects, without crypto/x509's distinctions.
func TestKcatRefusals(t *testing.T) {
	Kcat(t)
	files, err := testcerts.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const pass = "the-Password-42"
	for _, tc := range []struct {
		name    string
		cluster []embedded.Option
		kcat    KcatSecurity
		want    string // in kcat's stderr
	}{
		{"unknown CA", []embedded.Option{embedded.TLS(testcerts.UnknownCA().ServerConfig())},
			KcatSecurity{TLS: true}, "certificate verify failed"},
		{"expired", []embedded.Option{embedded.TLS(testcerts.Expired().ServerConfig())},
			KcatSecurity{TLS: true}, "certificate verify failed"},
		{"wrong host", []embedded.Option{embedded.TLS(testcerts.WrongHost().ServerConfig())},
			KcatSecurity{TLS: true}, "certificate verify failed"},
		{"no client certificate", []embedded.Option{embedded.TLS(testcerts.MutualServerConfig())},
			KcatSecurity{TLS: true, CAFile: files.CA}, "certificate required"},
		{"SaslHandshake v1 only", []embedded.Option{embedded.TLS(testcerts.Server().ServerConfig()),
			embedded.SASL(embedded.Plain, "u", pass)},
			KcatSecurity{TLS: true, Mechanism: embedded.Plain, User: "u", Password: pass},
			"SASL Handshake not supported by broker"},
		{"wrong password", []embedded.Option{embedded.TLS(testcerts.Server().ServerConfig()),
			embedded.SASL(embedded.ScramSHA512, "u", "right"), embedded.AdvertiseSaslHandshakeV0()},
			KcatSecurity{TLS: true, Mechanism: embedded.ScramSHA512, User: "u", Password: pass},
			"SASL authentication error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			c := Embedded(t, 1, append([]embedded.Option{embedded.SeedTopics(1, secTopic)}, tc.cluster...)...)
			stderr, err := tryKcatConsume(t, c, tc.kcat, "-m", refusalTimeout)
			if err == nil {
				t.Fatalf("kcat succeeded; stderr:\n%s", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("kcat: %v, stderr does not say %q:\n%s", err, tc.want, stderr)
			}
			if strings.Contains(stderr, "<redacted>") {
				t.Fatalf("kcat printed the password (redacted here):\n%s", stderr)
			}
		})
	}
	// The hostname check is what refused the wrong host: without it the
	// same certificate is accepted, its chain being valid.
	t.Run("wrong host without hostname check", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		c := Embedded(t, 1, embedded.SeedTopics(1, secTopic), embedded.TLS(testcerts.WrongHost().ServerConfig()))
		if stderr, err := tryKcatConsume(t, c, KcatSecurity{TLS: true, SkipHostnameCheck: true}); err != nil {
			t.Fatalf("kcat: %v\n%s", err, stderr)
		}
	})
}
