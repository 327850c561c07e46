package embedded

import (
	"crypto/tls"

	"github.com/twmb/franz-go/pkg/kfake"
)

// The SASL mechanisms the embedded cluster serves, as SASL and SaslHandshake
// name them.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// TLS makes every broker accept TLS only, with cfg as the server
// configuration (testcerts.Server().ServerConfig(), say; set ClientAuth for
// mutual TLS). It is what kfake.TLS does, done in the layer that tracks the
// connections, so Close still closes every TCP socket a client opened. The
// handshake runs when kfake first reads from a connection; a plaintext
// client's request fails it, and the broker closes the connection without
// answering. cfg must not be changed after Start.
func TLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls = cfg }
}

// SASL turns on authentication (kfake.EnableSASL) and adds a user for one
// mechanism (kfake.Superuser): Plain, ScramSHA256 or ScramSHA512. Give it
// once per user and mechanism; the same user may have a different password
// for each mechanism. Until a connection has authenticated, the cluster
// answers only ApiVersions, SaslHandshake (v1) and SaslAuthenticate (v0 to
// v2), and a wrong password closes the connection. Combined with TLS, this is
// SASL_SSL; without it, SASL_PLAINTEXT. An unknown mechanism makes Start fail.
func SASL(mechanism, user, pass string) Option {
	return func(c *config) {
		c.kfake = append(c.kfake, kfake.EnableSASL(), kfake.Superuser(mechanism, user, pass))
	}
}

// BrokerConfigs sets broker-level configs at start (kfake.BrokerConfigs); it
// can be given more than once, later values winning. With SASL,
// "connections.max.reauth.ms" set to a positive value makes every successful
// SaslAuthenticate (v1 and up) carry that session lifetime (KIP-368) and lets
// an authenticated connection run SaslHandshake again to reauthenticate.
func BrokerConfigs(configs map[string]string) Option {
	return func(c *config) { c.kfake = append(c.kfake, kfake.BrokerConfigs(configs)) }
}

// AdvertiseSaslHandshakeV0 makes ApiVersions advertise SaslHandshake from
// version 0 instead of 1, for librdkafka before 2.11 (Debian's kcat ships
// 2.0.2): it starts SASL only when version 0 is advertised, and then sends
// version 1, which the cluster serves (librdkafka issues #4948 and #4956).
// The cluster still serves SaslHandshake v1 only: a client that really sends
// v0 has its connection closed.
//
// The answer is kfake's own: Start asks the cluster for its ApiVersions
// response once, over an in-memory connection, and every ApiVersions request
// at a version kfake serves (up to v5, without v5's cluster and node ids)
// then gets that response with SaslHandshake's minimum lowered to 0. Other
// requests (a version above kfake's, a v3+ request with an invalid client
// software name, v5 with ids) are left to kfake, whose answers are not
// widened. Features changed later through UpdateFeatures are not reflected,
// and kfake.Cluster.Fault does not apply to ApiVersions.
func AdvertiseSaslHandshakeV0() Option {
	return func(c *config) { c.handshakeV0 = true }
}
