// Package kafkawire builds and parses the handful of Kafka protocol messages
// the kafkaio tests exchange with real brokers.
//
// It is deliberately small and hand-written: no code generator, no
// dependency beyond the standard library, no I/O. Each builder returns a
// complete request frame, including the 4-byte big-endian size prefix, ready
// for kafkaio's Send. Each parser takes a response body without the size
// prefix, which is what kafkaio's ReceiveFrame returns, and never panics on
// short or garbage input: it returns an error wrapping ErrMalformed instead.
//
// Supported versions are the ones the tests need and that both old and new
// brokers accept: ApiVersions v0 and v3 (v1 and v2 responses parse too),
// Metadata v1, ListOffsets v1, Produce v3 carrying one uncompressed
// RecordBatch v2, Fetch v4, and CreateTopics v2 so a test can make its own
// topic on any cluster.
//
// kafkaio's connection set-up uses the client-side SASL messages as well:
// ApiVersions with its own client software name (ApiVersionsWith, KIP-511),
// SaslHandshake v0 and v1, and SaslAuthenticate v0 to v2 (v2 flexible).
package kafkawire
