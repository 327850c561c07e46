// Package integration holds the tests that prove kafkaio on real Kafka
// exchanges: requests built by internal/kafkawire go out through
// kafkaio.IO's Send and come back through ReceiveFrame, against the embedded
// kfake cluster or, when KAFKA_BROKERS is set, a real cluster, with kcat
// (librdkafka) as an independent client on the other side of the data.
//
// The package has no code outside its tests.
package integration
