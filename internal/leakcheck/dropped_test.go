package leakcheck

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A file dropped without Close is a leak, although its finalizer would
// close it at the next garbage collection: these tests hold Check to
// reporting it, whether or not a collection could have run while it waited.

func TestCheckReportsAFileDroppedWithoutClose(t *testing.T) {
	// No collection before Check starts, so that the test is about what
	// Check does, not about when the runtime happens to collect.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	base := Take()
	fd := dropDevNull(t)
	defer awaitFinalized(t, fd)

	err := base.Check(quick, 0)
	if err == nil {
		t.Fatal("Check = nil with an *os.File dropped without Close, want a leak")
	}
	if want := "fd " + strconv.Itoa(fd) + " -> /dev/null"; !strings.Contains(err.Error(), want) {
		t.Fatalf("the report does not name %q:\n%v", want, err)
	}
}

func TestCheckKeepsTheCollectorOffWhileItWaits(t *testing.T) {
	// Garbage made while Check polls would start collections with the
	// collector on; one of them would run the dropped file's finalizer
	// and close it before Check gives up. The garbage maker is part of the
	// baseline, and starts 20 ms after Check does.
	start, stop := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var cycles uint32
	wg.Go(func() {
		<-start
		time.Sleep(20 * time.Millisecond)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.NumGC
		for {
			select {
			case <-stop:
				runtime.ReadMemStats(&ms)
				cycles = ms.NumGC - before
				return
			default:
			}
			garbage = make([]byte, 256<<10)
			time.Sleep(time.Millisecond)
		}
	})
	base := Take()
	fd := dropDevNull(t)
	defer awaitFinalized(t, fd)

	close(start)
	err := base.Check(300*time.Millisecond, 0)
	close(stop)
	wg.Wait()
	garbage = nil
	if err == nil || !strings.Contains(err.Error(), "-> /dev/null") {
		t.Fatalf("Check with a dropped file while garbage is made = %v, want the file reported", err)
	}
	if cycles != 0 {
		t.Errorf("%d collections ran while Check waited; it must keep the collector off", cycles)
	}
}

func TestCheckRestoresTheCollector(t *testing.T) {
	prev := debug.SetGCPercent(73)
	defer debug.SetGCPercent(prev)
	if err := Take().Check(quick, 0); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(73); got != 73 {
		t.Fatalf("GC percent after Check = %d, want the 73 it was", got)
	}
}

// garbage keeps the allocations of the garbage maker from being optimised
// away.
var garbage []byte

// dropDevNull opens /dev/null and drops the *os.File without closing it; it
// returns the descriptor's number.
//
//go:noinline
func dropDevNull(t *testing.T) int {
	t.Helper()
	f := openDevNull(t)
	return int(f.Fd()) // Fd is harmless here: /dev/null has no poller state
}

// awaitFinalized collects until the dropped file's finalizer has closed fd,
// so that the descriptor does not outlive the test that leaked it on
// purpose. It closes nothing itself: a close by number could hit another
// file that got the number since.
func awaitFinalized(t *testing.T, fd int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		runtime.GC()
		if target, err := os.Readlink(fdDir + "/" + strconv.Itoa(fd)); err != nil || target != os.DevNull {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fd %d is still open 5 s after its *os.File was dropped", fd)
		}
		time.Sleep(pollInterval)
	}
}
