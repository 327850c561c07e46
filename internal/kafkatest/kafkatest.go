// Package kafkatest gives tests a Kafka cluster to talk to and the tools to
// check it from outside: the embedded cluster by default, or a real one named
// by the KAFKA_BROKERS environment variable, and the kcat binary.
package kafkatest

import (
	"os"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/internal/embedded"
)

// EnvBrokers names the environment variable that points the tests at a real
// cluster: a comma-separated list of host:port bootstrap brokers.
const EnvBrokers = "KAFKA_BROKERS"

// RealBrokers returns the brokers listed in KAFKA_BROKERS, or nil when it is
// unset or empty (the tests then use the embedded cluster).
func RealBrokers() []string {
	var addrs []string
	for _, a := range strings.Split(os.Getenv(EnvBrokers), ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Brokers returns bootstrap addresses of a cluster with at least n brokers.
// With KAFKA_BROKERS set it returns that list, after checking through
// Metadata that the cluster has n brokers; a smaller cluster skips the test,
// saying why. Otherwise it starts an embedded cluster of exactly n brokers,
// stopped when the test ends, and returns all n addresses.
func Brokers(tb testing.TB, n int) []string {
	tb.Helper()
	if real := RealBrokers(); real != nil {
		requireClusterSize(tb, real[0], n)
		return real
	}
	return Embedded(tb, n).Addrs()
}

// Embedded starts an embedded cluster whatever KAFKA_BROKERS says, for tests
// that must control the broker (stop it mid-request, listen on [::1]), and
// stops it when the test ends.
func Embedded(tb testing.TB, n int, opts ...embedded.Option) *embedded.Cluster {
	tb.Helper()
	c, err := embedded.Start(n, opts...)
	if err != nil {
		tb.Fatalf("start embedded cluster: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}
