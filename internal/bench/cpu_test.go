package bench

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cpuMeter measures the CPU time, user and system, that the whole process
// spends over a stretch of a benchmark. Unlike wall time it hardly changes
// when other processes load the machine, so it shows what each client
// costs even when the wall-clock ratio is noisy. The server runs in
// another process and is not counted.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: processCPU()} }

// report adds "cpu-ns/op", the CPU time since startCPU divided by ops.
func (m cpuMeter) report(b *testing.B, ops int) {
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
