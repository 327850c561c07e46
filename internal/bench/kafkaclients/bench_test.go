package kafkaclients

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	cpu := startCPU()
	ops := 0
	for b.Loop() {
		ops++
		if err := c.apiVersions(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, ops)
}

// produce times produce throughput: b.N records, one op each, produced
// back to back and all acknowledged.
func produce(b *testing.B, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.SetBytes(recordBytes)
	cpu := startCPU()
	b.ResetTimer()
	if err := c.produce(ctx, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu.report(b, b.N)
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
	var spent [2]time.Duration
	steps := 0
	for b.Loop() {
		first := steps & 1
		steps++
		for j := range 2 {
			i := first ^ j
			start := time.Now()
			err := op(cs[i])
			spent[i] += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	units := float64(steps * per)
	b.ReportMetric(float64(spent[0])/units, impls[0].name+"-ns/op")
	b.ReportMetric(float64(spent[1])/units, impls[1].name+"-ns/op")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "ratio")
}

// cpuMeter measures the process's CPU time, user and system, over part of
// a benchmark (as internal/bench's does); the broker runs in another
// process and is not counted.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: processCPU()} }

// report adds "cpu-ns/op", the CPU time since startCPU divided by ops.
func (m cpuMeter) report(b *testing.B, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(processCPU()-m.start)/float64(ops), "cpu-ns/op")
	}
}

func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
