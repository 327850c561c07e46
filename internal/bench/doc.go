// Package bench holds kafkaio's performance checks and the tool that reads
// their results.
//
// The benchmarks (bench_test.go) time kafkaio and a plain net.Conn client
// side by side against the same server, a framesrv child process, as
// sub-benchmarks named Benchmark<Case>/impl=<client> so that each case's
// pair is adjacent in every run; BenchmarkPaired (paired_test.go) times the
// two op by op in the same run. The tests check what is structural rather
// than timed: allocations per call (allocs_test.go) and the number of OS
// threads 1000 blocked receives cost (threads_test.go).
//
// This package's own code parses `go test -bench` output and prints, per
// case, the ratio of the medians of the two clients; cmd/benchratio is its
// command. See BENCHMARKS.md at the repository root for how to run it all.
package bench
