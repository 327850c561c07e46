package leakcheck

import (
	"fmt"
	"os"
	"slices"
	"strconv"
)

const fdDir = "/proc/self/fd"

// openFDs maps every open descriptor of the process to its readlink target
// ("socket:[1234]", "/dev/null", "pipe:[99]", ...).
//
// Reading the directory uses a descriptor of its own. It is closed by the
// time the entries are resolved, so its readlink fails and it is left out;
// that keeps the count equal to what the caller actually has open.
func openFDs() map[int]string {
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return map[int]string{}
	}
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(fdDir + "/" + e.Name())
		if err != nil {
			continue // closed since the listing: the directory's own fd, or a racing close
		}
		fds[fd] = target
	}
	return fds
}

// newFDs describes the descriptors in now that the baseline did not have,
// or that now refer to something else, in fd order.
func newFDs(base, now map[int]string) []string {
	var lines []string
	for _, fd := range sortedKeys(now) {
		if old, ok := base[fd]; ok && old == now[fd] {
			continue
		}
		lines = append(lines, fmt.Sprintf("fd %d -> %s", fd, now[fd]))
	}
	return lines
}

func sortedKeys(m map[int]string) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
