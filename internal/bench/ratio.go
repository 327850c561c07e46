package bench

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Sample is one result line of `go test -bench` output for a sub-benchmark
// named Benchmark<Bench>/<Key>=<Value>, e.g. BenchmarkRoundTrip64/impl=kafkaio
// or BenchmarkPaired/case=RoundTrip64.
type Sample struct {
	Bench   string             // "RoundTrip64", without "Benchmark"
	Key     string             // "impl" or "case"
	Value   string             // "kafkaio", "RoundTrip64", ...
	Metrics map[string]float64 // by unit: "ns/op", "B/op", "allocs/op", "cpu-ns/op", "ratio", ...
}

// Metric returns the sample's value in unit, or -1 when it has none.
func (s Sample) Metric(unit string) float64 {
	if v, ok := s.Metrics[unit]; ok {
		return v
	}
	return -1
}

// Output is what Parse finds in benchmark output.
type Output struct {
	Samples  []Sample
	Failures []string // lines that report a failed test or benchmark, or a panic
}

// Parse reads `go test -bench` output. Lines of benchmarks without a
// key=value sub-benchmark are ignored, as is everything else that is not a
// failure report, so that several runs can simply be concatenated.
func Parse(r io.Reader) (Output, error) {
	var out Output
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case isFailure(line):
			out.Failures = append(out.Failures, line)
		case strings.HasPrefix(line, "Benchmark"):
			s, ok, err := parseSample(line)
			if err != nil {
				return out, err
			}
			if ok {
				out.Samples = append(out.Samples, s)
			}
		}
	}
	return out, sc.Err()
}

// isFailure recognises go test's failure lines: "--- FAIL: ...", a
// package's final "FAIL", and a panic.
func isFailure(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "--- FAIL") || strings.HasPrefix(t, "FAIL") || strings.HasPrefix(t, "panic:")
}

// parseSample reads one result line, e.g.
//
//	BenchmarkRoundTrip64/impl=kafkaio-2  50000  23456 ns/op  0 B/op  0 allocs/op
//
// ok is false for a line that is not a sub-benchmark's result: a top-level
// benchmark, or a benchmark's name printed alone when it logs.
func parseSample(line string) (s Sample, ok bool, err error) {
	fields := strings.Fields(line)
	if len(fields) < 4 || len(fields)%2 != 0 {
		return s, false, nil
	}
	name := strings.TrimPrefix(trimProcs(fields[0]), "Benchmark")
	bench, sub, found := strings.Cut(name, "/")
	if !found {
		return s, false, nil
	}
	key, value, found := strings.Cut(sub, "=")
	if !found {
		return s, false, nil
	}
	s = Sample{Bench: bench, Key: key, Value: value, Metrics: map[string]float64{}}
	// fields[1] is the iteration count; then value-unit pairs.
	for i := 2; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return s, false, fmt.Errorf("bench: %q: value %q: %w", line, fields[i], err)
		}
		s.Metrics[fields[i+1]] = v
	}
	if _, ok := s.Metrics["ns/op"]; !ok {
		return s, false, fmt.Errorf("bench: %q has no ns/op", line)
	}
	return s, true, nil
}

// trimProcs removes the "-N" GOMAXPROCS suffix go test adds to a name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Summary is the medians of one client's samples in one case.
type Summary struct {
	Impl        string
	Runs        int
	NsPerOp     float64
	CPUNsPerOp  float64 // -1 when unknown
	BytesPerOp  float64 // -1 when unknown
	AllocsPerOp float64 // -1 when unknown
}

// Pair compares a client with the baseline of its case.
type Pair struct {
	Case       string
	Impl, Base Summary
}

// Ratio is the client's median time per op over the baseline's.
func (p Pair) Ratio() float64 { return p.Impl.NsPerOp / p.Base.NsPerOp }

// CPURatio is the client's median CPU time per op over the baseline's, or
// -1 when either is unknown.
func (p Pair) CPURatio() float64 {
	if p.Impl.CPUNsPerOp < 0 || p.Base.CPUNsPerOp <= 0 {
		return -1
	}
	return p.Impl.CPUNsPerOp / p.Base.CPUNsPerOp
}

// Pairs summarises the impl=<client> samples by case, in the order cases
// first appear, and pairs every client of a case with that case's baseline:
// the one client whose name is in baselines. A case without exactly one
// baseline, or with nothing to compare to it, is an error.
func Pairs(samples []Sample, baselines []string) ([]Pair, error) {
	cases, byCase := group(samples, "impl")
	var pairs []Pair
	for _, c := range cases {
		impls := byCase[c]
		base, err := baselineOf(c, impls, baselines)
		if err != nil {
			return nil, err
		}
		for _, impl := range slices.Sorted(maps.Keys(impls)) {
			if impl != base {
				pairs = append(pairs, Pair{Case: c, Impl: summarise(impl, impls[impl]), Base: summarise(base, impls[base])})
			}
		}
	}
	return pairs, nil
}

// group sorts the samples with sub-benchmark key into benchmark and value,
// and returns the benchmarks in the order they first appear.
func group(samples []Sample, key string) ([]string, map[string]map[string][]Sample) {
	var order []string
	by := map[string]map[string][]Sample{}
	for _, s := range samples {
		if s.Key != key {
			continue
		}
		if by[s.Bench] == nil {
			by[s.Bench] = map[string][]Sample{}
			order = append(order, s.Bench)
		}
		by[s.Bench][s.Value] = append(by[s.Bench][s.Value], s)
	}
	return order, by
}

// baselineOf finds the one client of a case that is a baseline.
func baselineOf(c string, impls map[string][]Sample, baselines []string) (string, error) {
	var base string
	for impl := range impls {
		if slices.Contains(baselines, impl) {
			if base != "" {
				return "", fmt.Errorf("bench: case %s has two baselines, %s and %s", c, base, impl)
			}
			base = impl
		}
	}
	if base == "" || len(impls) < 2 {
		return "", fmt.Errorf("bench: case %s has no pair of a baseline (%s) and another client", c, strings.Join(baselines, " or "))
	}
	return base, nil
}

// summarise takes the medians of one client's samples.
func summarise(impl string, samples []Sample) Summary {
	return Summary{
		Impl:        impl,
		Runs:        len(samples),
		NsPerOp:     medianOf(samples, "ns/op"),
		CPUNsPerOp:  medianOf(samples, "cpu-ns/op"),
		BytesPerOp:  medianOf(samples, "B/op"),
		AllocsPerOp: medianOf(samples, "allocs/op"),
	}
}

// medianOf is the median of unit over the samples that report it, or -1.
func medianOf(samples []Sample, unit string) float64 {
	vs := make([]float64, 0, len(samples))
	for _, s := range samples {
		if v := s.Metric(unit); v >= 0 {
			vs = append(vs, v)
		}
	}
	return median(vs)
}

// median returns the median of vs, or -1 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return -1
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	mid := len(vs) / 2
	if len(vs)%2 == 1 {
		return vs[mid]
	}
	return (vs[mid-1] + vs[mid]) / 2
}

// Paired summarises the runs of one case of BenchmarkPaired, which times
// two clients op by op in the same run and reports their ratio.
type Paired struct {
	Case           string
	Runs           int
	Client, Base   string  // "kafkaio", "netconn"
	ClientNs       float64 // median of the client's mean ns per op
	BaseNs         float64
	Ratio          float64 // median of the runs' ratios
	MinRat, MaxRat float64
}

// PairedRatios summarises the case=<name> samples that report a "ratio"
// metric, in the order the cases first appear. Each such sample must report
// two "<client>-ns/op" metrics, one of them a baseline's.
func PairedRatios(samples []Sample, baselines []string) ([]Paired, error) {
	var order []string
	byCase := map[string][]Sample{}
	for _, s := range samples {
		if s.Key != "case" || s.Metric("ratio") < 0 {
			continue
		}
		if byCase[s.Value] == nil {
			order = append(order, s.Value)
		}
		byCase[s.Value] = append(byCase[s.Value], s)
	}
	out := make([]Paired, 0, len(order))
	for _, c := range order {
		runs := byCase[c]
		client, base, err := pairedClients(c, runs[0], baselines)
		if err != nil {
			return nil, err
		}
		ratios := make([]float64, len(runs))
		for i, s := range runs {
			ratios[i] = s.Metric("ratio")
		}
		out = append(out, Paired{
			Case: c, Runs: len(runs), Client: client, Base: base,
			ClientNs: medianOf(runs, client+"-ns/op"),
			BaseNs:   medianOf(runs, base+"-ns/op"),
			Ratio:    median(ratios),
			MinRat:   slices.Min(ratios),
			MaxRat:   slices.Max(ratios),
		})
	}
	return out, nil
}

// pairedClients names the two clients a paired sample times, from its
// "<client>-ns/op" metrics.
func pairedClients(c string, s Sample, baselines []string) (client, base string, err error) {
	var names []string
	for unit := range s.Metrics {
		if name, ok := strings.CutSuffix(unit, "-ns/op"); ok && name != "cpu" {
			names = append(names, name)
		}
	}
	if len(names) == 2 && slices.Contains(baselines, names[0]) != slices.Contains(baselines, names[1]) {
		if slices.Contains(baselines, names[0]) {
			return names[1], names[0], nil
		}
		return names[0], names[1], nil
	}
	return "", "", fmt.Errorf("bench: paired case %s reports clients %q, want two of which one is a baseline (%s)", c, names, strings.Join(baselines, " or "))
}

// WriteTable prints pairs as a Markdown table, marking each ratio against
// limit, and returns how many pairs missed it.
func WriteTable(w io.Writer, pairs []Pair, limit float64) (missed int, err error) {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "| case | client | baseline | runs | client ns/op | baseline ns/op | ratio | ≤ %.2f | cpu ratio | client B/op, allocs/op | baseline B/op, allocs/op |\n", limit)
	fmt.Fprintln(bw, "|---|---|---|---|---:|---:|---:|---|---:|---:|---:|")
	for _, p := range pairs {
		verdict := "met"
		if p.Ratio() > limit {
			verdict = "MISSED"
			missed++
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %d/%d | %s | %s | %.3f | %s | %s | %s | %s |\n",
			p.Case, p.Impl.Impl, p.Base.Impl, p.Impl.Runs, p.Base.Runs,
			number(p.Impl.NsPerOp), number(p.Base.NsPerOp), p.Ratio(), verdict,
			optionalRatio(p.CPURatio()), memory(p.Impl), memory(p.Base))
	}
	return missed, bw.Flush()
}

// WritePairedTable prints paired summaries as a Markdown table, marking
// each median ratio against limit, and returns how many missed it.
func WritePairedTable(w io.Writer, ps []Paired, limit float64) (missed int, err error) {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "| case (paired, op by op) | client | baseline | runs | client ns/op | baseline ns/op | median ratio | ≤ %.2f | ratio range |\n", limit)
	fmt.Fprintln(bw, "|---|---|---|---|---:|---:|---:|---|---|")
	for _, p := range ps {
		verdict := "met"
		if p.Ratio > limit {
			verdict = "MISSED"
			missed++
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %d | %s | %s | %.3f | %s | %.3f – %.3f |\n",
			p.Case, p.Client, p.Base, p.Runs, number(p.ClientNs), number(p.BaseNs), p.Ratio, verdict, p.MinRat, p.MaxRat)
	}
	return missed, bw.Flush()
}

// number formats a time per op with thousands separators, e.g. "1,234,567".
func number(v float64) string {
	if v < 0 {
		return "-"
	}
	s := strconv.FormatFloat(v, 'f', 0, 64)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// optionalRatio formats a ratio, "-" when unknown.
func optionalRatio(r float64) string {
	if r < 0 {
		return "-"
	}
	return strconv.FormatFloat(r, 'f', 3, 64)
}

// memory formats a summary's B/op and allocs/op, "-" when unknown.
func memory(s Summary) string {
	if s.BytesPerOp < 0 || s.AllocsPerOp < 0 {
		return "-"
	}
	return strconv.FormatFloat(s.BytesPerOp, 'f', -1, 64) + " B, " + strconv.FormatFloat(s.AllocsPerOp, 'f', -1, 64)
}
