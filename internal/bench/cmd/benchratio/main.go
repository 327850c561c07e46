// Command benchratio reads the output of kafkaio's benchmarks and prints,
// as Markdown tables, how kafkaio compares with its baseline in each case:
//
//   - for the impl=<client> sub-benchmarks, the ratio of kafkaio's median
//     time per op to the baseline's (the ratio the targets are set on), with
//     the CPU-time ratio and the allocations beside it;
//   - for BenchmarkPaired, which times two clients op by op in the same
//     run, the median of the runs' ratios and their range.
//
// Usage:
//
//	benchratio [-limit 1.05] [-base netconn,nologger,bufio,bufio-1dl,tlsconn,tlsbufio] [-strict] [bench.out ...]
//
// It reads `go test -bench -benchmem` output from the files, or from
// standard input when none is given; several runs may be concatenated. It
// exits 1 when the output reports a failed test or benchmark or a case
// lacks its pair, and with -strict also when a ratio is over the limit.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/kafkaio/kafkaio/internal/bench"
)

func main() {
	limit := flag.Float64("limit", 1.05, "the highest acceptable ratio")
	base := flag.String("base", "netconn,nologger,bufio,bufio-1dl,tlsconn,tlsbufio", "comma-separated client names that are baselines")
	strict := flag.Bool("strict", false, "exit 1 when a ratio is over -limit")
	flag.Parse()
	if err := run(flag.Args(), strings.Split(*base, ","), *limit, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func run(files, baselines []string, limit float64, strict bool) error {
	out, err := parseAll(files)
	if err != nil {
		return err
	}
	if len(out.Failures) > 0 {
		return fmt.Errorf("the benchmark output reports failures:\n%s", strings.Join(out.Failures, "\n"))
	}
	pairs, err := bench.Pairs(out.Samples, baselines)
	if err != nil {
		return err
	}
	paired, err := bench.PairedRatios(out.Samples, baselines)
	if err != nil {
		return err
	}
	if len(pairs) == 0 && len(paired) == 0 {
		return fmt.Errorf("no paired benchmark results found")
	}
	missed := 0
	if len(pairs) > 0 {
		m, err := bench.WriteTable(os.Stdout, pairs, limit)
		if err != nil {
			return err
		}
		missed += m
	}
	if len(paired) > 0 {
		if len(pairs) > 0 {
			fmt.Println()
		}
		m, err := bench.WritePairedTable(os.Stdout, paired, limit)
		if err != nil {
			return err
		}
		missed += m
	}
	if missed > 0 {
		fmt.Printf("\n%d ratios are over %.2f\n", missed, limit)
		if strict {
			return fmt.Errorf("%d ratios over the limit", missed)
		}
	}
	return nil
}

// parseAll parses every file in turn, or standard input when there is none.
func parseAll(files []string) (bench.Output, error) {
	if len(files) == 0 {
		return bench.Parse(os.Stdin)
	}
	var all bench.Output
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return all, err
		}
		out, err := bench.Parse(f)
		f.Close()
		if err != nil {
			return all, fmt.Errorf("%s: %w", name, err)
		}
		all.Samples = append(all.Samples, out.Samples...)
		all.Failures = append(all.Failures, out.Failures...)
	}
	return all, nil
}
