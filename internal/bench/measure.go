package bench

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// What the benchmarks here and in kafkaclients measure with, besides the
// testing package's own timing.

// CPUMeter measures the CPU time, user and system, that the whole process
// spends over a stretch of a benchmark. Unlike wall time it hardly changes
// when other processes load the machine, so it shows what each client
// costs even when the wall-clock ratio is noisy. The server runs in
// another process and is not counted.
type CPUMeter struct{ start time.Duration }

// StartCPU starts measuring.
func StartCPU() CPUMeter { return CPUMeter{start: processCPU()} }

// Report adds "cpu-ns/op", the CPU time since StartCPU divided by ops.
func (m CPUMeter) Report(b *testing.B, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(processCPU()-m.start)/float64(ops), "cpu-ns/op")
	}
}

// processCPU returns the CPU time the process has used so far.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Alternate is the loop of a paired benchmark: every step runs op for
// client 0 and client 1, the order swapped from step to step so that
// neither always goes first, and times each call. It returns each client's
// total time and the number of steps; op's step counts from 1.
func Alternate(b *testing.B, op func(client, step int) error) (spent [2]time.Duration, steps int) {
	for b.Loop() {
		first := steps & 1
		steps++
		for j := range 2 {
			i := first ^ j
			start := time.Now()
			err := op(i, steps)
			spent[i] += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	return spent, steps
}

// ReportPaired adds each client's mean time per unit (names[i]+"-ns/op")
// and their ratio, the first client's over the second's.
func ReportPaired(b *testing.B, names [2]string, spent [2]time.Duration, units int) {
	if units == 0 {
		return
	}
	b.ReportMetric(float64(spent[0])/float64(units), names[0]+"-ns/op")
	b.ReportMetric(float64(spent[1])/float64(units), names[1]+"-ns/op")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "ratio")
}
