package kafkaclients

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/bench"
)

// produceBurst is how many records one op of a paired produce sends: a
// burst of one client, then one of the other.
const produceBurst = 500

func BenchmarkFranzGoApiVersions(b *testing.B) { benchEach(b, kinds[0], apiVersions) }
func BenchmarkFranzGoProduce(b *testing.B)     { benchEach(b, kinds[0], produce) }
func BenchmarkSaramaApiVersions(b *testing.B)  { benchEach(b, kinds[1], apiVersions) }
func BenchmarkSaramaProduce(b *testing.B)      { benchEach(b, kinds[1], produce) }
func BenchmarkKafkaGoApiVersions(b *testing.B) { benchEach(b, kinds[2], apiVersions) }
func BenchmarkKafkaGoProduce(b *testing.B)     { benchEach(b, kinds[2], produce) }

// workload is the timed body of one sub-benchmark, on an open client.
type workload func(b *testing.B, c client)

// apiVersions times one ApiVersions round trip per op.
func apiVersions(b *testing.B, c client) {
	ctx := context.Background()
	cpu := bench.StartCPU()
	ops := 0
	for b.Loop() {
		ops++
		if err := c.apiVersions(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b, ops)
}

// produce times produce throughput: b.N records, one op each, produced
// back to back and all acknowledged.
func produce(b *testing.B, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.SetBytes(recordBytes)
	cpu := bench.StartCPU()
	b.ResetTimer()
	if err := c.produce(ctx, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu.Report(b, b.N)
}

// benchEach starts a broker and runs w against it with each impl, as
// sub-benchmarks impl=<name> one right after the other, after an uncounted
// warm-up of the last one (see internal/bench's benchEach for why).
func benchEach(b *testing.B, k kind, w workload) {
	addr := startBroker(b)
	run := func(b *testing.B, im impl) {
		c := k.open(b, addr, im.d)
		defer c.close()
		w(b, c)
	}
	order := impls[:]
	b.Run("warmup="+order[len(order)-1].name, func(b *testing.B) { run(b, order[len(order)-1]) })
	if *reverse {
		order = slices.Clone(order)
		slices.Reverse(order)
	}
	for _, im := range order {
		b.Run("impl="+im.name, func(b *testing.B) { run(b, im) })
	}
}

// BenchmarkPaired runs each client's cases over kafkaio and over its own
// dialer alternately, in the same run: an ApiVersions round trip of one,
// then of the other; a burst of produceBurst records of one, then of the
// other, swapping which goes first every step. It reports each one's mean
// time per op (per record for produce), "kafkaio-ns/op" and
// "netconn-ns/op", and their "ratio", which holds up when the machine's
// load makes whole runs vary.
func BenchmarkPaired(b *testing.B) {
	addr := startBroker(b)
	for _, k := range kinds {
		b.Run("case="+k.name+"ApiVersions", func(b *testing.B) {
			paired(b, k, addr, 1, func(c client) error { return c.apiVersions(context.Background()) })
		})
		b.Run("case="+k.name+"Produce", func(b *testing.B) {
			b.SetBytes(recordBytes * produceBurst)
			paired(b, k, addr, produceBurst, func(c client) error { return c.produce(context.Background(), produceBurst) })
		})
	}
}

// paired alternates op on a client of each impl; each op counts as per
// units (records) in the reported times.
func paired(b *testing.B, k kind, addr string, per int, op func(client) error) {
	var cs [2]client
	for i, im := range impls {
		cs[i] = k.open(b, addr, im.d)
		defer cs[i].close()
	}
	for _, c := range cs { // warm up both
		if err := op(c); err != nil {
			b.Fatal(err)
		}
	}
	spent, steps := bench.Alternate(b, func(i, _ int) error { return op(cs[i]) })
	bench.ReportPaired(b, [2]string{impls[0].name, impls[1].name}, spent, steps*per)
}
