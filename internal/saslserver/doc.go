// Package saslserver is the broker side of the SASL mechanisms kafkaio
// speaks (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER), for tests: the
// scripted peer's SASL steps (internal/testpeer) and the sasl package's
// tests and examples run their exchanges against it.
//
// It is written from the RFCs independently of the client in kafkaio/sasl
// and checks what the client sends byte for byte. It answers a failure the
// way an Apache Kafka broker does, with the broker's own error texts, and
// never puts anything the client sent into them, so a test that looks for
// secrets in the client's errors finds none the server echoed. A Scram
// server can also misbehave on purpose (see ScramFault) to exercise the
// client's checks.
//
// A Server holds only configuration and may serve any number of exchanges
// at once; each Start makes a new Exchange, used by one goroutine.
package saslserver
