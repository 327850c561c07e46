// Package embedded runs an in-process Kafka-compatible cluster on loopback:
// franz-go's kfake, which speaks the real wire protocol. Tests use it when no
// real broker is available, and cmd/hexdump-trace uses it for its -embedded
// mode, so it does not depend on the testing package.
//
// Options secure the cluster the way production clusters are: TLS, SASL
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), both together, broker configs such
// as the SASL session lifetime, and AdvertiseSaslHandshakeV0 for older
// librdkafka (Debian's kcat).
package embedded

import (
	"crypto/tls"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Loopback hosts the cluster listens on. Binding explicitly, rather than to
// a wildcard, keeps the fake broker unreachable from other machines.
const (
	LoopbackIPv4 = "127.0.0.1"
	LoopbackIPv6 = "::1"
)

// Cluster is a running embedded cluster. Close it when done.
type Cluster struct {
	fake      *kfake.Cluster
	tracker   *tracker
	addrs     []string
	closeOnce sync.Once
}

// Option configures Start.
type Option func(*config)

type config struct {
	host        string
	kfake       []kfake.Opt
	tls         *tls.Config // TLS
	handshakeV0 bool        // AdvertiseSaslHandshakeV0
	ports       []int       // Ports
}

// SeedTopics creates topics when the cluster starts, each with the given
// number of partitions. It can be given more than once.
func SeedTopics(partitions int32, topics ...string) Option {
	return func(c *config) { c.kfake = append(c.kfake, kfake.SeedTopics(partitions, topics...)) }
}

// IPv6 makes every broker listen on [::1] instead of 127.0.0.1, so Metadata
// advertises "::1" as their host. Start fails if the machine has no IPv6
// loopback.
func IPv6() Option {
	return func(c *config) { c.host = LoopbackIPv6 }
}

// Ports makes the brokers listen on these ports, one each, instead of on
// free ports picked at start; their number must equal Start's brokers. A
// test that stops a cluster and starts another on the same ports uses it
// to bring "the same" brokers back: clients that know their addresses can
// reconnect. The ports are bound with SO_REUSEADDR (Go's default), so the
// old cluster's connections in TIME_WAIT do not hold them; a port another
// process took meanwhile makes Start fail.
func Ports(ports ...int) Option {
	return func(c *config) {
		c.ports = append([]int(nil), ports...)
		c.kfake = append(c.kfake, kfake.Ports(ports...))
	}
}

// Start starts a cluster of the given number of brokers (at least 1), each
// on its own free loopback port (see Ports).
func Start(brokers int, opts ...Option) (*Cluster, error) {
	if brokers < 1 {
		return nil, fmt.Errorf("embedded: %d brokers, need at least 1", brokers)
	}
	cfg := config{host: LoopbackIPv4}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.ports != nil && len(cfg.ports) != brokers {
		return nil, fmt.Errorf("embedded: %d ports for %d brokers", len(cfg.ports), brokers)
	}
	t := newTracker(cfg.host, cfg.tls)
	kopts := append([]kfake.Opt{kfake.NumBrokers(brokers), kfake.ListenFn(t.listen)}, cfg.kfake...)
	fake, err := kfake.NewCluster(kopts...)
	if err != nil {
		t.closeConns() // kfake closed its listeners; nothing was accepted
		return nil, fmt.Errorf("embedded: start %d brokers on %s: %w", brokers, cfg.host, err)
	}
	c := &Cluster{fake: fake, tracker: t, addrs: fake.ListenAddrs()}
	if cfg.handshakeV0 {
		if err := advertiseHandshakeV0(fake, t.firstListener()); err != nil {
			c.Close()
			return nil, fmt.Errorf("embedded: %w", err)
		}
	}
	return c, nil
}

// Addrs returns each broker's "host:port" ("127.0.0.1:port", or
// "[::1]:port" with IPv6), in node id order: Addrs()[i] is node i.
func (c *Cluster) Addrs() []string {
	return append([]string(nil), c.addrs...)
}

// Kfake returns the underlying kfake cluster, for tests that need its
// controls (observing or intercepting requests, moving partitions). Stop it
// with Close, not through kfake, so the tracked sockets are closed too.
func (c *Cluster) Kfake() *kfake.Cluster { return c.fake }

// Down takes every broker off the network, as a broker restart does: the
// listeners close, so that connects are refused, and every connection a
// broker accepted is closed, so that clients see EOF or a reset at once.
// The cluster itself keeps running with all its state (topics and their
// ids, records, groups and their offsets), which is what a restarted
// broker finds on its disk. Up brings the brokers back on the same
// addresses. Down on a cluster that is down does nothing; after Close it
// returns net.ErrClosed.
func (c *Cluster) Down() error { return c.tracker.setDown(true) }

// Up puts the brokers back on the network after Down, each listening on
// the address it had (the port may have been taken meanwhile: then Up
// fails saying so). Up on a cluster that is up does nothing.
func (c *Cluster) Up() error { return c.tracker.setDown(false) }

// Close stops the cluster: listeners stop accepting and every connection a
// broker accepted is closed, so clients see EOF or a reset at once, even one
// waiting on a long Fetch. It returns once the accept loops have ended. It
// is safe to call more than once and concurrently; every call returns after
// the cluster is down.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		c.fake.Close()
		c.tracker.closeConns()
		c.tracker.waitAcceptLoops()
	})
}
