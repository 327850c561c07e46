// Command syscalls counts the syscalls each client of kafkaio's benchmarks
// makes per operation, under strace, and prints them as a Markdown table:
// the plaintext round trip, the pipelined response, the TLS round trip and
// the connection set-up, for kafkaio and for its baselines.
//
// Usage:
//
//	go test -c -o bench.test ./internal/bench && syscalls [-n 2000] ./bench.test
//
// (make syscalls does both.) For each case it runs the test binary under
// `strace -f -ff`, one sub-benchmark alone (-test.bench with the client's
// name, so the warm-up run is left out) for a fixed number of operations,
// and counts the syscalls of the client process only: the frame server the
// benchmark starts is a child process, and its threads are told apart by
// following clone() from the execve of the child. The start-up of the test
// binary is counted too, so the figures carry a small constant, which a
// large -n makes negligible. It needs strace (Debian's strace package).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// runs are the measured cases: a benchmark, the client, and how many
// operations one benchmark iteration stands for.
var runs = []struct {
	label, bench, impl string
	perIter            int
}{
	{"round trip, 64 B", "BenchmarkRoundTrip64", "kafkaio", 1},
	{"round trip, 64 B", "BenchmarkRoundTrip64", "netconn", 1},
	{"pipelined response, 64 in flight", "BenchmarkPipelined64", "kafkaio", 256},
	{"pipelined response, 64 in flight", "BenchmarkPipelined64", "bufio", 256},
	{"TLS round trip, 64 B", "BenchmarkTLSRoundTrip64", "kafkaio", 1},
	{"TLS round trip, 64 B", "BenchmarkTLSRoundTrip64", "tlsconn", 1},
	{"connect and close", "BenchmarkConnect", "kafkaio", 1},
	{"connect and close", "BenchmarkConnect", "netconn", 1},
}

// shown are the syscalls the table has a column for; the rest are summed
// in "other".
var shown = []string{"sendto", "recvfrom", "write", "read", "epoll_pwait", "futex", "nanosleep"}

func main() {
	n := flag.Int("n", 2000, "benchmark iterations per case")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: syscalls [-n N] BENCH_TEST_BINARY")
		os.Exit(2)
	}
	bin, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	fmt.Printf("| operation | client | %s | other | total |\n", strings.Join(shown, " | "))
	fmt.Printf("|---|---|%s---|---|\n", strings.Repeat("---|", len(shown)))
	for _, r := range runs {
		counts, err := measure(bin, r.bench, r.impl, *n)
		if err != nil {
			fail(fmt.Errorf("%s impl=%s: %w", r.bench, r.impl, err))
		}
		ops := float64(*n * r.perIter)
		var total, other int
		for name, c := range counts {
			total += c
			if !contains(shown, name) {
				other += c
			}
		}
		cells := make([]string, len(shown))
		for i, name := range shown {
			cells[i] = per(counts[name], ops)
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.label, r.impl, strings.Join(cells, " | "), per(other, ops), per(total, ops))
	}
	fmt.Printf("\nSyscalls per operation, %d iterations of each sub-benchmark alone, client process only (`strace -f -ff`).\n", *n)
}

// measure runs one sub-benchmark under strace and returns the client
// process's syscall counts.
func measure(bin, bench, impl string, n int) (map[string]int, error) {
	dir, err := os.MkdirTemp("", "syscalls")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "trace")
	cmd := exec.Command("strace", "-f", "-ff", "-qq", "-o", prefix, bin,
		"-test.run=^$", "-test.bench=^"+bench+"$/^impl="+impl+"$", "-test.benchtime="+strconv.Itoa(n)+"x")
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	} else if !strings.Contains(string(out), "impl="+impl) {
		return nil, fmt.Errorf("the benchmark did not run:\n%s", out)
	}
	return count(prefix)
}

var (
	callRE  = regexp.MustCompile(`^(?:<\.\.\. )?([a-z_0-9]+)[( ]`)
	cloneRE = regexp.MustCompile(`^clone3?\(.*\) = (\d+)$`)
)

// count reads the per-thread traces strace -ff wrote and counts the calls of
// every thread outside the subtree of the child process (the thread whose
// trace starts with an execve, other than the first process's).
func count(prefix string) (map[string]int, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil {
		return nil, err
	}
	type thread struct {
		calls    map[string]int
		children []int
		execs    bool
	}
	threads := map[int]*thread{}
	var tids []int
	for _, f := range files {
		tid, err := strconv.Atoi(strings.TrimPrefix(filepath.Ext(f), "."))
		if err != nil {
			continue
		}
		th := &thread{calls: map[string]int{}}
		if err := scan(f, func(line string) {
			if m := cloneRE.FindStringSubmatch(line); m != nil {
				child, _ := strconv.Atoi(m[1])
				th.children = append(th.children, child)
			}
			if strings.HasPrefix(line, "execve(") {
				th.execs = true
			}
			if m := callRE.FindStringSubmatch(line); m != nil && !strings.Contains(line, " resumed>") {
				th.calls[m[1]]++
			}
		}); err != nil {
			return nil, err
		}
		threads[tid] = th
		tids = append(tids, tid)
	}
	if len(tids) == 0 {
		return nil, fmt.Errorf("strace wrote no trace")
	}
	sort.Ints(tids)
	root := tids[0] // the test binary's first thread
	server := map[int]bool{}
	var mark func(int)
	mark = func(tid int) {
		server[tid] = true
		if th := threads[tid]; th != nil {
			for _, c := range th.children {
				mark(c)
			}
		}
	}
	for _, tid := range tids {
		if tid != root && threads[tid].execs {
			mark(tid)
		}
	}
	total := map[string]int{}
	for _, tid := range tids {
		if server[tid] {
			continue
		}
		for name, c := range threads[tid].calls {
			total[name] += c
		}
	}
	return total, nil
}

// scan calls fn with each line of the file.
func scan(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		fn(s.Text())
	}
	return s.Err()
}

func per(c int, ops float64) string { return strconv.FormatFloat(float64(c)/ops, 'f', 2, 64) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "syscalls:", err)
	os.Exit(1)
}
