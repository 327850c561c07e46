package kafkatest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a helper ended instead of ending
// the real test, so the skip and failure paths can be checked.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) { r.skipped = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder on its own goroutine, because the recorder
// ends that goroutine the way testing's Skip and Fatal do.
func run(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

func TestRealBrokersParsing(t *testing.T) {
	t.Setenv(EnvBrokers, " a:1, ,b:2,")
	if got := RealBrokers(); strings.Join(got, "|") != "a:1|b:2" {
		t.Fatalf("RealBrokers() = %q", got)
	}
	t.Setenv(EnvBrokers, "")
	if got := RealBrokers(); got != nil {
		t.Fatalf("RealBrokers() with empty env = %q, want nil", got)
	}
}

func TestBrokersEmbedded(t *testing.T) {
	t.Setenv(EnvBrokers, "")
	for _, n := range []int{1, 3} {
		if got := Brokers(t, n); len(got) != n {
			t.Fatalf("Brokers(%d) = %q", n, got)
		}
	}
}

// With KAFKA_BROKERS pointing at a one-broker cluster, a test that needs
// three is skipped with the reason, and one that needs one gets the list.
func TestBrokersRealClusterTooSmall(t *testing.T) {
	addr := Embedded(t, 1).Addrs()[0]
	t.Setenv(EnvBrokers, addr)
	if got := Brokers(t, 1); len(got) != 1 || got[0] != addr {
		t.Fatalf("Brokers(1) = %q, want [%s]", got, addr)
	}
	r := run(t, func(tb testing.TB) { Brokers(tb, 3) })
	if !strings.Contains(r.skipped, "cluster of 1 brokers; this test needs 3") {
		t.Fatalf("Brokers(3) against 1 broker: skipped=%q failed=%q", r.skipped, r.failed)
	}
}

func TestBrokersRealClusterLargeEnough(t *testing.T) {
	c := Embedded(t, 3)
	t.Setenv(EnvBrokers, c.Addrs()[2])
	if got := Brokers(t, 3); len(got) != 1 || got[0] != c.Addrs()[2] {
		t.Fatalf("Brokers(3) = %q, want the KAFKA_BROKERS list", got)
	}
}

func TestKcatMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	if r := run(t, func(tb testing.TB) { Kcat(tb) }); r.skipped == "" || r.failed != "" {
		t.Fatalf("without CI: skipped=%q failed=%q, want a skip", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	if r := run(t, func(tb testing.TB) { Kcat(tb) }); r.failed == "" {
		t.Fatalf("with CI=true: skipped=%q, want a failure", r.skipped)
	}
}

func TestKcatFindsKafkacat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kafkacat")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got := Kcat(t); got != path {
		t.Fatalf("Kcat() = %q, want %q", got, path)
	}
}

// The machine has IPv6 loopback, so the decision is checked on its own.
func TestMissingIPv6SkipsLocallyAndFailsUnderCI(t *testing.T) {
	noLoopback := errors.New("listen tcp [::1]:0: bind: cannot assign requested address")
	t.Setenv("CI", "")
	if r := run(t, func(tb testing.TB) { noIPv6(tb, noLoopback) }); r.skipped == "" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	if r := run(t, func(tb testing.TB) { noIPv6(tb, noLoopback) }); r.failed == "" || !strings.Contains(r.failed, "CI=true") {
		t.Errorf("under CI=true: skipped %q, failed %q; want a failure that says why", r.skipped, r.failed)
	}
}
