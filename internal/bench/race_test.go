//go:build race

package bench

// raceEnabled reports a -race build, under which testing.AllocsPerRun counts
// the race detector's own allocations too.
const raceEnabled = true
