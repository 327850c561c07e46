// Package kafkaclients benchmarks Go Kafka clients on kafkaio against the
// same clients on their own default dialers: franz-go, sarama and
// kafka-go, each talking to the same kfake broker, which runs in a child
// process (a copy of the test binary) so that its CPU time and allocations
// stay out of the numbers. The clients over kafkaio are plugged in with
// kafkaio.Dialer, as a user would.
//
// The cases, for each client: ApiVersions round trips on one connection,
// and produce throughput (1 KiB records, acks=all; the broker discards
// them, kfake.BlackholeProduce). They run as sub-benchmarks
// Benchmark<Client><Case>/impl=kafkaio and /impl=netconn (the client's
// default dialer), for the ratio of medians, and as
// BenchmarkPaired/case=<Client><Case>, both clients op by op (or burst by
// burst) in the same run. internal/bench/cmd/benchratio prints both
// tables; see BENCHMARKS.md and make bench-clients.
package kafkaclients
