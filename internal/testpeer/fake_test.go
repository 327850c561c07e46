package testpeer

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// fakeTB records Fatalf and Skipf instead of ending the real test, for
// checking how the package reports a misuse.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msg      string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.end(&f.failed, format, args)
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.end(&f.skipped, format, args)
}

// end records the message and stops the calling goroutine, as testing does.
func (f *fakeTB) end(flag *bool, format string, args []any) {
	f.mu.Lock()
	*flag = true
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// runFake runs body with a fakeTB in its own goroutine (Fatalf ends that
// goroutine) and then runs the cleanups body registered.
func runFake(body func(tb testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}
