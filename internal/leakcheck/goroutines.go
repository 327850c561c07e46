package leakcheck

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// allStacks returns runtime.Stack for every goroutine, growing the buffer
// until the whole dump fits.
func allStacks() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parseGoroutines splits a runtime.Stack(all) dump into goroutines, by id.
// Each entry starts with a header "goroutine <id> [<state>]:" and entries
// are separated by blank lines.
func parseGoroutines(dump string) map[int64]string {
	out := make(map[int64]string)
	for block := range strings.SplitSeq(strings.TrimSpace(dump), "\n\n") {
		if id, ok := goroutineID(block); ok {
			out[id] = block
		}
	}
	return out
}

func goroutineID(block string) (int64, bool) {
	rest, ok := strings.CutPrefix(block, "goroutine ")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, " ")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	return id, err == nil
}

// newGoroutines returns the stacks of the goroutines in now that are not in
// base, oldest first.
func newGoroutines(base, now map[int64]string) []string {
	var ids []int64
	for id := range now {
		if _, ok := base[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	stacks := make([]string, len(ids))
	for i, id := range ids {
		stacks[i] = now[id]
	}
	return stacks
}
