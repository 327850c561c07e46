package leakcheck

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// quick is the settle time for checks that are expected to fail: long enough
// to poll a few times, short enough to keep the suite fast.
const quick = 100 * time.Millisecond

func TestTakeCountsOpenFDs(t *testing.T) {
	before := Take()
	f := openDevNull(t)
	after := Take()
	f.Close()

	if after.FDs != before.FDs+1 {
		t.Fatalf("FDs after opening one file = %d, want %d", after.FDs, before.FDs+1)
	}
	if before.Goroutines < 1 {
		t.Fatalf("Goroutines = %d, want at least the test's own", before.Goroutines)
	}
}

func TestCheckPassesWhenNothingLeaked(t *testing.T) {
	base := Take()
	f := openDevNull(t)
	stop, done := startLeakyWorker()
	f.Close()
	close(stop)
	<-done

	if err := base.Check(2*time.Second, 0); err != nil {
		t.Fatalf("Check after cleaning up = %v, want nil", err)
	}
}

func TestCheckReportsLeakedFD(t *testing.T) {
	base := Take()
	f := openDevNull(t)

	err := base.Check(quick, 0)
	f.Close()

	if err == nil {
		t.Fatal("Check with a leaked fd = nil, want an error")
	}
	if !strings.Contains(err.Error(), "-> /dev/null") {
		t.Fatalf("error does not name the leaked fd:\n%v", err)
	}
	if err := base.Check(2*time.Second, 0); err != nil {
		t.Fatalf("Check after closing the fd = %v, want nil", err)
	}
}

func TestCheckReportsLeakedGoroutine(t *testing.T) {
	base := Take()
	stop, done := startLeakyWorker()

	err := base.Check(quick, 0)
	close(stop)
	<-done

	if err == nil {
		t.Fatal("Check with a leaked goroutine = nil, want an error")
	}
	if !strings.Contains(err.Error(), "leakyWorker") {
		t.Fatalf("error does not show the leaked goroutine's stack:\n%v", err)
	}
	if strings.Contains(err.Error(), "TestCheckReportsLeakedGoroutine(") {
		t.Fatalf("error lists the test's own goroutine, which was in the baseline:\n%v", err)
	}
	if err := base.Check(2*time.Second, 0); err != nil {
		t.Fatalf("Check after stopping the goroutine = %v, want nil", err)
	}
}

func TestCheckSeesALeakHiddenByAnEndedGoroutine(t *testing.T) {
	// A goroutine alive at the baseline ends and a new one leaks: the count
	// is back to the baseline, but the process is not.
	stopOld, oldDone := startLeakyWorker()
	base := Take()
	close(stopOld)
	<-oldDone
	stopNew, newDone := startLeakyWorker()
	defer func() {
		close(stopNew)
		<-newDone
	}()

	if err := base.Check(quick, 0); err == nil {
		t.Fatal("Check = nil although a goroutine started since the baseline is still running")
	}
}

func TestCheckWaitsForResourcesToSettle(t *testing.T) {
	base := Take()
	f := openDevNull(t)
	stop, done := startLeakyWorker()
	// Release both a little after Check has started polling.
	release := time.AfterFunc(50*time.Millisecond, func() {
		f.Close()
		close(stop)
	})
	defer release.Stop()

	if err := base.Check(5*time.Second, 0); err != nil {
		t.Fatalf("Check while resources are being released = %v, want nil", err)
	}
	<-done
}

func TestCheckAllowsSlack(t *testing.T) {
	base := Take()
	f := openDevNull(t)
	defer f.Close()

	if err := base.Check(quick, 1); err != nil {
		t.Fatalf("Check with one extra fd and slack 1 = %v, want nil", err)
	}
}

func TestVerifyFailsTheTestOnLeak(t *testing.T) {
	rec := &recordingTB{TB: t}
	check := Verify(rec)
	f := openDevNull(t)
	stop, done := startLeakyWorker()

	check()
	f.Close()
	close(stop)
	<-done

	msgs := rec.messages()
	if len(msgs) != 1 {
		t.Fatalf("Verify reported %d errors, want 1: %q", len(msgs), msgs)
	}
	for _, want := range []string{"/dev/null", "leakyWorker"} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("Verify's report lacks %q:\n%s", want, msgs[0])
		}
	}
}

func TestVerifyPassesWithoutLeak(t *testing.T) {
	rec := &recordingTB{TB: t}
	check := Verify(rec)
	f := openDevNull(t)
	f.Close()

	check()

	if msgs := rec.messages(); len(msgs) != 0 {
		t.Fatalf("Verify reported errors without a leak: %q", msgs)
	}
}

func TestParseGoroutines(t *testing.T) {
	dump := "goroutine 1 [running]:\nmain.main()\n\t/x.go:1\n\n" +
		"goroutine 42 [chan receive, 3 minutes]:\nmain.worker()\n\t/x.go:9\n"
	got := parseGoroutines(dump)
	if len(got) != 2 || got[1] == "" || got[42] == "" {
		t.Fatalf("parseGoroutines = %v, want ids 1 and 42", got)
	}
	if !strings.HasPrefix(got[42], "goroutine 42 [chan receive") {
		t.Fatalf("stack of goroutine 42 = %q", got[42])
	}
}

// leakyWorker is a named function so its frame can be found in a stack dump.
func leakyWorker(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	<-stop
}

// startLeakyWorker starts leakyWorker. A goroutine counts in
// runtime.NumGoroutine from its go statement on, so no hand-shake is needed.
func startLeakyWorker() (stop chan struct{}, done chan struct{}) {
	stop, done = make(chan struct{}), make(chan struct{})
	go leakyWorker(stop, done)
	return stop, done
}

func openDevNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// recordingTB captures Errorf calls instead of failing the real test.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}
