// Package clients runs Go Kafka clients that no one here wrote on kafkaio:
// franz-go (kgo), sarama and kafka-go, each plugged in with the one line of
// configuration that takes kafkaio.Dialer, against the embedded kfake
// cluster. The tests produce records and consume them back byte for byte,
// with kafkaio doing TLS and SASL inside the dial; capture each client's
// session at KAFKA_DEBUG=IO:2 and read it back with cmd/hexdump-trace; stop
// the broker in the middle of a session and check that each client sees
// kafkaio's typed errors and carries on once a broker is back.
//
// The package has no code outside its tests; the library packages do not
// import the clients (see the README's dependency section).
package clients
