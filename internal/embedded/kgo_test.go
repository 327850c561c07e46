package embedded

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkaio/kafkaio/internal/testcerts"
)

// franz-go's kgo client, a peer no one here wrote, against the secured
// clusters: it produces records and consumes them back byte for byte.

const kgoTimeout = 30 * time.Second

// kgoMechanism is franz-go's implementation of one of the cluster's
// mechanisms.
func kgoMechanism(t *testing.T, mechanism, user, pass string) sasl.Mechanism {
	t.Helper()
	switch mechanism {
	case Plain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case ScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case ScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	t.Fatalf("no kgo mechanism for %q", mechanism)
	return nil
}

// kgoRecords are records whose values hold every byte value, with keys and
// headers, so that any change on the way shows up.
func kgoRecords(topic string, n int) []*kgo.Record {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		v := make([]byte, 300+i)
		for j := range v {
			v[j] = byte(i + j)
		}
		recs[i] = &kgo.Record{
			Topic:   topic,
			Key:     fmt.Appendf(nil, "key-%d-ü", i),
			Value:   v,
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte{0, byte(i), 255}}},
		}
	}
	return recs
}

// kgoRoundTrip produces records through one client and consumes them with
// another, both configured by opts, and compares them.
func kgoRoundTrip(t *testing.T, c *Cluster, topic string, opts ...kgo.Opt) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kgoTimeout)
	defer cancel()
	base := append([]kgo.Opt{kgo.SeedBrokers(c.Addrs()...), kgo.RequestRetries(2)}, opts...)

	prod, err := kgo.NewClient(base...)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	want := kgoRecords(topic, 20)
	if err := prod.ProduceSync(ctx, want...).FirstErr(); err != nil {
		t.Fatalf("kgo produce: %v", err)
	}

	cons, err := kgo.NewClient(append(base, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []*kgo.Record
	for len(got) < len(want) {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("kgo consumed %d of %d records: %v", len(got), len(want), err)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("kgo fetch: %v", fe.Err)
		}
		got = append(got, fs.Records()...)
	}
	if len(got) != len(want) {
		t.Fatalf("kgo consumed %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Offset != int64(i) || !bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) ||
			len(g.Headers) != 1 || g.Headers[0].Key != "h" || !bytes.Equal(g.Headers[0].Value, w.Headers[0].Value) {
			t.Fatalf("record %d differs: offset %d key %q (%d value bytes), want key %q (%d value bytes)",
				i, g.Offset, g.Key, len(g.Value), w.Key, len(w.Value))
		}
	}
}

func TestKgoOverTLS(t *testing.T) {
	for _, name := range []string{"", "localhost"} {
		t.Run("servername="+name, func(t *testing.T) {
			c := startChecked(t, 2, TLS(testcerts.Server().ServerConfig()), SeedTopics(1, "kgo-tls"))
			cfg := testcerts.ClientConfig()
			cfg.ServerName = name // kgo fills in the broker's host when empty
			kgoRoundTrip(t, c, "kgo-tls", kgo.DialTLSConfig(cfg))
		})
	}
}

func TestKgoOverMutualTLS(t *testing.T) {
	c := startChecked(t, 1, TLS(testcerts.MutualServerConfig()), SeedTopics(1, "kgo-mtls"))
	kgoRoundTrip(t, c, "kgo-mtls", kgo.DialTLSConfig(testcerts.MutualClientConfig()))
}

// Every mechanism, alone (SASL_PLAINTEXT) and under TLS (SASL_SSL), on
// clusters with and without the SaslHandshake v0 advertisement that kcat
// needs: kgo must not care about it.
func TestKgoSASL(t *testing.T) {
	for _, mech := range []string{Plain, ScramSHA256, ScramSHA512} {
		for _, secure := range []bool{false, true} {
			for _, v0 := range []bool{false, true} {
				name := fmt.Sprintf("%s/tls=%v/v0=%v", mech, secure, v0)
				t.Run(name, func(t *testing.T) {
					user, pass := "user-"+strings.ToLower(mech), "pass-"+mech
					opts := []Option{SeedTopics(1, "kgo-sasl"), SASL(mech, user, pass)}
					var kopts []kgo.Opt
					if secure {
						opts = append(opts, TLS(testcerts.Server().ServerConfig()))
						kopts = append(kopts, kgo.DialTLSConfig(testcerts.ClientConfig()))
					}
					if v0 {
						opts = append(opts, AdvertiseSaslHandshakeV0())
					}
					c := startChecked(t, 1, opts...)
					kgoRoundTrip(t, c, "kgo-sasl", append(kopts, kgo.SASL(kgoMechanism(t, mech, user, pass)))...)
				})
			}
		}
	}
}

// A wrong password or an untrusted certificate makes kgo fail instead of
// getting through, the certificate with crypto/x509's error.
func TestKgoRejected(t *testing.T) {
	ping := func(t *testing.T, c *Cluster, opts ...kgo.Opt) error {
		t.Helper()
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Addrs()...), kgo.RequestRetries(0)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = cl.Ping(ctx)
		if err == nil {
			t.Fatal("kgo Ping succeeded")
		}
		return err
	}
	t.Run("unknown CA", func(t *testing.T) {
		c := startChecked(t, 1, TLS(testcerts.UnknownCA().ServerConfig()))
		err := ping(t, c, kgo.DialTLSConfig(testcerts.ClientConfig()))
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("kgo Ping: %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := startChecked(t, 1, TLS(testcerts.Server().ServerConfig()), SASL(ScramSHA256, "alice", "right"))
		err := ping(t, c, kgo.DialTLSConfig(testcerts.ClientConfig()),
			kgo.SASL(kgoMechanism(t, ScramSHA256, "alice", "wrong-password")))
		if strings.Contains(err.Error(), "wrong-password") {
			t.Fatalf("kgo's error shows the password: %v", err)
		}
		t.Logf("kgo with a wrong password: %v", err)
	})
}
