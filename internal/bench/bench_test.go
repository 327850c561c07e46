package bench

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kafkaio/kafkaio/internal/framesrv"
)

// Sizes of the benchmarked exchanges, in bytes on the wire (size prefix
// included), as the issue states them.
const (
	smallBytes         = 64
	largeResponseBytes = 1 << 20
	largeSendBytes     = 16 << 20
	parallelConns      = 64
)

// BenchmarkRoundTrip64 is one 64-byte request answered by a 64-byte
// response: latency, where per-call overhead shows most.
func BenchmarkRoundTrip64(b *testing.B) {
	benchEach(b, impls[:], roundTrips(smallBytes, smallBytes))
}

// BenchmarkRoundTrip1MiB is a 64-byte request answered by a 1 MiB response,
// read with ReceiveFrame into a reused buffer.
func BenchmarkRoundTrip1MiB(b *testing.B) {
	benchEach(b, impls[:], roundTrips(smallBytes, largeResponseBytes))
}

// BenchmarkSend16MiB sends 16 MiB requests that get no response.
func BenchmarkSend16MiB(b *testing.B) {
	benchEach(b, impls[:], sends(largeSendBytes))
}

// BenchmarkParallel64 runs 64-byte round trips on 64 connections at once,
// one goroutine each: many callers parked in the poller together.
func BenchmarkParallel64(b *testing.B) {
	benchEach(b, impls[:], parallelRoundTrips(parallelConns, smallBytes, smallBytes))
}

// BenchmarkPipelined16 and BenchmarkPipelined64 keep 16 or 64 small
// requests in flight on one connection: a writer goroutine sends 64-byte
// requests, one Send each, whenever fewer than that many are unanswered,
// while the caller reads their 64-byte responses, which arrive in bursts.
// ns/response is the time per response. The baseline is bufio, a net.Conn
// read through a bufio.Reader with its deadlines set as sarama sets them
// (see bufioClient); BenchmarkPipelined64OneDeadline holds kafkaio to a
// leaner baseline that sets one deadline for all 256 requests.
func BenchmarkPipelined16(b *testing.B) {
	benchEach(b, pipelineImpls, pipelined(16, smallBytes, smallBytes))
}

func BenchmarkPipelined64(b *testing.B) {
	benchEach(b, pipelineImpls, pipelined(64, smallBytes, smallBytes))
}

func BenchmarkPipelined64OneDeadline(b *testing.B) {
	benchEach(b, pipelineLeanImpls, pipelined(64, smallBytes, smallBytes))
}

// pipelineImpls are the clients of the pipelined cases: kafkaio, and a
// net.Conn read through a bufio.Reader as their baseline; pipelineLeanImpls
// has the baseline that sets one deadline per pipeline.
var (
	pipelineImpls     = []namedDialer{impls[0], {"bufio", dialBufio(true)}}
	pipelineLeanImpls = []namedDialer{impls[0], {"bufio-1dl", dialBufio(false)}}
)

// pipelineOps is how many requests one op of a pipelined case sends.
const pipelineOps = 256

// BenchmarkDebugOff compares kafkaio with a configured logrus logger and
// debugging off against kafkaio with no logger: switched-off debugging must
// cost nothing.
func BenchmarkDebugOff(b *testing.B) {
	benchEach(b, []namedDialer{
		{"logrus", dialKafkaio(discardLogger())},
		{"nologger", dialKafkaio(nil)},
	}, roundTrips(smallBytes, smallBytes))
}

// workload is the body of one sub-benchmark: it dials with dial, to the
// server at addr, and runs the timed loop.
type workload func(b *testing.B, addr string, dial dialer)

// benchEach starts one server and runs w against it once per client, as
// sub-benchmarks impl=<name>, one right after the other, so that both
// clients of a pair see the same machine load; -reverse swaps their order.
//
// A first sub-benchmark, warmup=<name>, runs w with the last client and is
// not counted: on this machine the first run against a freshly started
// server is often twice as fast as the runs after it, which would hand
// whichever client came first a large, meaningless advantage.
func benchEach(b *testing.B, clients []namedDialer, w workload) {
	benchEachOn(b, framesrv.Start(b), clients, w)
}

// benchEachOn is benchEach against the server at addr.
func benchEachOn(b *testing.B, addr string, clients []namedDialer, w workload) {
	warm := clients[len(clients)-1]
	b.Run("warmup="+warm.name, func(b *testing.B) { w(b, addr, warm.dial) })
	if *reverse {
		clients = slices.Clone(clients)
		slices.Reverse(clients)
	}
	for _, c := range clients {
		b.Run("impl="+c.name, func(b *testing.B) { w(b, addr, c.dial) })
	}
}

// roundTrips times request-response exchanges on one connection.
func roundTrips(requestBytes, responseBytes int) workload {
	return func(b *testing.B, addr string, dial dialer) {
		c := dial(b, addr, responseBytes)
		defer c.Close()
		req := framesrv.NewRequest(requestBytes, responseBytes)
		b.SetBytes(int64(requestBytes + responseBytes))
		var id int32
		cpu := StartCPU()
		for b.Loop() {
			id++
			if err := c.roundTrip(req, id); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b, int(id))
	}
}

// sends times requests that get no response: the send path alone, bounded
// by how fast the kernel moves bytes to the server.
func sends(requestBytes int) workload {
	return func(b *testing.B, addr string, dial dialer) {
		c := dial(b, addr, 0)
		defer c.Close()
		req := framesrv.NewRequest(requestBytes, 0)
		b.SetBytes(int64(requestBytes))
		ops := 0
		cpu := StartCPU()
		for b.Loop() {
			ops++
			if err := c.send(req); err != nil {
				b.Fatal(err)
			}
		}
		cpu.Report(b, ops)
	}
}

// pipelined times pipelineOps requests with inFlight of them in flight;
// ns/response and cpu-ns/op are per response.
func pipelined(inFlight, requestBytes, responseBytes int) workload {
	return func(b *testing.B, addr string, dial dialer) {
		c := dial(b, addr, responseBytes)
		defer c.Close()
		req := framesrv.NewRequest(requestBytes, responseBytes)
		b.SetBytes(int64(pipelineOps * (requestBytes + responseBytes)))
		var id int32
		ops := 0
		cpu := StartCPU()
		for b.Loop() {
			if err := c.pipeline(req, id+1, pipelineOps, inFlight); err != nil {
				b.Fatal(err)
			}
			id += pipelineOps
			ops++
		}
		b.ReportMetric(float64(b.Elapsed())/float64(ops*pipelineOps), "ns/response")
		cpu.Report(b, ops*pipelineOps)
	}
}

// parallelRoundTrips times round trips on conns connections at once, each
// driven by its own goroutine; the goroutines share b.N between them, taking
// one exchange at a time, so that none idles while others still have work.
// ns/op is the wall time per exchange of the whole group.
func parallelRoundTrips(conns, requestBytes, responseBytes int) workload {
	return func(b *testing.B, addr string, dial dialer) {
		clients := make([]client, conns)
		reqs := make([][]byte, conns) // a request each: the correlation id is written into it
		for i := range clients {
			clients[i] = dial(b, addr, responseBytes)
			defer clients[i].Close()
			reqs[i] = framesrv.NewRequest(requestBytes, responseBytes)
		}
		b.SetBytes(int64(requestBytes + responseBytes))
		var next atomic.Int64
		errs := make(chan error, conns)
		var wg sync.WaitGroup
		cpu := StartCPU()
		b.ResetTimer()
		for i, c := range clients {
			wg.Go(func() {
				var id int32
				for next.Add(1) <= int64(b.N) {
					id++
					if err := c.roundTrip(reqs[i], id); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		cpu.Report(b, b.N)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}
