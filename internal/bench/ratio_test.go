package bench

import (
	"strings"
	"testing"
)

const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/kafkaio/kafkaio/internal/bench
cpu: AMD EPYC
BenchmarkRoundTrip64/impl=kafkaio-2         	   34372	     30000 ns/op	   3.95 MB/s	       0 B/op	       0 allocs/op
BenchmarkRoundTrip64/impl=netconn-2         	   39307	     20000 ns/op	   2.72 MB/s	       0 B/op	       0 allocs/op
BenchmarkRoundTrip64/impl=kafkaio-2         	   34372	     10000 ns/op	   3.95 MB/s	       0 B/op	       0 allocs/op
BenchmarkRoundTrip64/impl=netconn-2         	   39307	     20000 ns/op	   2.72 MB/s	       0 B/op	       0 allocs/op
BenchmarkRoundTrip64/impl=kafkaio-2         	   34372	     20000 ns/op	   3.95 MB/s	     11000 cpu-ns/op	      64 B/op	       1 allocs/op
BenchmarkRoundTrip64/impl=netconn-2         	   39307	     30000 ns/op	   2.72 MB/s	       0 B/op	       0 allocs/op
BenchmarkDebugOff/impl=logrus-2             	   20305	     52500 ns/op
BenchmarkDebugOff/impl=nologger-2           	   31932	     50000 ns/op
BenchmarkOther-2                            	   31932	     50000 ns/op
BenchmarkLogs/impl=kafkaio
    bench_test.go:10: a log line
BenchmarkPaired/case=RoundTrip64-2         	   15680	     88439 ns/op	     44000 kafkaio-ns/op	     43000 netconn-ns/op	         1.02 ratio
BenchmarkPaired/case=Send16MiB-2           	     130	   9733192 ns/op	   5000000 kafkaio-ns/op	   4000000 netconn-ns/op	         1.25 ratio
BenchmarkPaired/case=RoundTrip64-2         	   15680	     88439 ns/op	     46000 kafkaio-ns/op	     45000 netconn-ns/op	         1.04 ratio
BenchmarkPaired/case=RoundTrip64-2         	   15680	     88439 ns/op	     45000 kafkaio-ns/op	     44000 netconn-ns/op	         0.98 ratio
PASS
ok  	github.com/kafkaio/kafkaio/internal/bench	14.972s
`

func parseSampleOutput(t *testing.T) Output {
	t.Helper()
	out, err := Parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseReadsSubBenchmarksAndSkipsTheRest(t *testing.T) {
	out := parseSampleOutput(t)
	if len(out.Failures) != 0 {
		t.Errorf("Failures = %q, want none", out.Failures)
	}
	if len(out.Samples) != 12 {
		t.Fatalf("%d samples, want 12: %+v", len(out.Samples), out.Samples)
	}
	s := out.Samples[4]
	if s.Bench != "RoundTrip64" || s.Key != "impl" || s.Value != "kafkaio" {
		t.Errorf("sample 4 is %s/%s=%s, want RoundTrip64/impl=kafkaio", s.Bench, s.Key, s.Value)
	}
	for unit, want := range map[string]float64{"ns/op": 20000, "MB/s": 3.95, "cpu-ns/op": 11000, "B/op": 64, "allocs/op": 1} {
		if got := s.Metric(unit); got != want {
			t.Errorf("sample 4 %s = %v, want %v", unit, got, want)
		}
	}
	if got := out.Samples[6].Metric("B/op"); got != -1 {
		t.Errorf("B/op of a line without it = %v, want -1", got)
	}
	if got := out.Samples[8].Metric("ratio"); got != 1.02 {
		t.Errorf("ratio of the first paired line = %v, want 1.02", got)
	}
}

func TestParseCollectsFailures(t *testing.T) {
	out, err := Parse(strings.NewReader("--- FAIL: BenchmarkX/impl=a\n    x_test.go:1: boom\nFAIL\nexit status 1\npanic: oops\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) != 3 {
		t.Fatalf("Failures = %q, want the three failure lines", out.Failures)
	}
}

func TestParseRejectsAMalformedValue(t *testing.T) {
	if _, err := Parse(strings.NewReader("BenchmarkX/impl=a-2  10  12x ns/op\n")); err == nil {
		t.Fatal("Parse of a malformed ns/op value succeeded")
	}
}

func TestPairsTakesMediansAgainstTheBaseline(t *testing.T) {
	pairs, err := Pairs(parseSampleOutput(t).Samples, []string{"netconn", "nologger"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 {
		t.Fatalf("%d pairs, want 2: %+v", len(pairs), pairs)
	}
	rt := pairs[0]
	if rt.Case != "RoundTrip64" || rt.Impl.Impl != "kafkaio" || rt.Base.Impl != "netconn" {
		t.Fatalf("first pair = %+v, want RoundTrip64 kafkaio against netconn", rt)
	}
	if rt.Impl.NsPerOp != 20000 || rt.Base.NsPerOp != 20000 || rt.Ratio() != 1 || rt.Impl.Runs != 3 {
		t.Errorf("RoundTrip64 = %+v, want medians 20000 and 20000 over 3 runs, ratio 1", rt)
	}
	if rt.Impl.AllocsPerOp != 0 || rt.Impl.CPUNsPerOp != 11000 || rt.Base.CPUNsPerOp != -1 || rt.CPURatio() != -1 {
		t.Errorf("RoundTrip64 = %+v, want median allocs 0, kafkaio cpu 11000, netconn's unknown", rt)
	}
	if d := pairs[1]; d.Case != "DebugOff" || d.Impl.Impl != "logrus" || d.Ratio() != 1.05 {
		t.Errorf("second pair = %+v (ratio %v), want DebugOff logrus against nologger, ratio 1.05", d, d.Ratio())
	}
}

func TestPairsRefusesACaseWithoutItsBaseline(t *testing.T) {
	samples := []Sample{{Bench: "X", Key: "impl", Value: "kafkaio", Metrics: map[string]float64{"ns/op": 1}}}
	if _, err := Pairs(samples, []string{"netconn"}); err == nil {
		t.Fatal("Pairs of a case with no baseline succeeded")
	}
}

func TestPairedRatiosTakesTheMedianRatioOfEachCase(t *testing.T) {
	ps, err := PairedRatios(parseSampleOutput(t).Samples, []string{"netconn", "nologger"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("%d paired cases, want 2: %+v", len(ps), ps)
	}
	want := Paired{Case: "RoundTrip64", Runs: 3, Client: "kafkaio", Base: "netconn", ClientNs: 45000, BaseNs: 44000, Ratio: 1.02, MinRat: 0.98, MaxRat: 1.04}
	if ps[0] != want {
		t.Errorf("RoundTrip64 = %+v, want %+v", ps[0], want)
	}
	if ps[1].Case != "Send16MiB" || ps[1].Ratio != 1.25 {
		t.Errorf("second case = %+v, want Send16MiB with ratio 1.25", ps[1])
	}
}

func TestPairedRatiosRefusesACaseWithoutABaseline(t *testing.T) {
	out, err := Parse(strings.NewReader("BenchmarkPaired/case=X-2  10  100 ns/op  60 a-ns/op  40 b-ns/op  1.5 ratio\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PairedRatios(out.Samples, []string{"netconn"}); err == nil {
		t.Fatal("PairedRatios of a case whose clients are no baseline succeeded")
	}
}

func TestMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo(t *testing.T) {
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Fatalf("median = %v, want 2.5", got)
	}
	if got := median(nil); got != -1 {
		t.Fatalf("median of nothing = %v, want -1", got)
	}
}

func TestWriteTableMarksRatiosOverTheLimit(t *testing.T) {
	pairs := []Pair{
		{Case: "A", Impl: Summary{Impl: "k", Runs: 1, NsPerOp: 1050, CPUNsPerOp: 500}, Base: Summary{Impl: "n", Runs: 1, NsPerOp: 1000, CPUNsPerOp: 1000}},
		{Case: "B", Impl: Summary{Impl: "k", Runs: 1, NsPerOp: 1234567, CPUNsPerOp: -1}, Base: Summary{Impl: "n", Runs: 1, NsPerOp: 1000000, CPUNsPerOp: 1}},
	}
	var b strings.Builder
	missed, err := WriteTable(&b, pairs, 1.05)
	if err != nil {
		t.Fatal(err)
	}
	if missed != 1 {
		t.Errorf("missed = %d, want 1", missed)
	}
	table := b.String()
	for _, want := range []string{"| A | k | n | 1/1 | 1,050 | 1,000 | 1.050 | met | 0.500 |", "| B | k | n | 1/1 | 1,234,567 | 1,000,000 | 1.235 | MISSED | - | 0 B, 0 |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestWritePairedTableMarksRatiosOverTheLimit(t *testing.T) {
	ps := []Paired{
		{Case: "A", Client: "k", Base: "n", Runs: 3, ClientNs: 1020, BaseNs: 1000, Ratio: 1.02, MinRat: 0.99, MaxRat: 1.04},
		{Case: "B", Client: "k", Base: "n", Runs: 3, ClientNs: 2000, BaseNs: 1000, Ratio: 2, MinRat: 1.9, MaxRat: 2.1},
	}
	var b strings.Builder
	missed, err := WritePairedTable(&b, ps, 1.05)
	if err != nil {
		t.Fatal(err)
	}
	if missed != 1 {
		t.Errorf("missed = %d, want 1", missed)
	}
	for _, want := range []string{"| A | k | n | 3 | 1,020 | 1,000 | 1.020 | met | 0.990 – 1.040 |", "| B | k | n | 3 | 2,000 | 1,000 | 2.000 | MISSED |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
