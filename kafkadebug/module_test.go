package kafkadebug

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

// keepGlobalState restores the active spec and every registered module's level
// after a test that changes them.
func keepGlobalState(t *testing.T) {
	t.Helper()
	registry.mu.Lock()
	spec := registry.spec
	levels := map[*Module]int32{}
	for _, m := range registry.modules {
		levels[m] = m.level.Load()
	}
	registry.mu.Unlock()
	t.Cleanup(func() {
		Apply(spec)
		for m, l := range levels {
			m.level.Store(l)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureDefaultLogger sends the default logger's output to a buffer for the
// rest of the test.
func captureDefaultLogger(t *testing.T) *syncBuffer {
	t.Helper()
	var buf syncBuffer
	defaultLogger.SetOutput(&buf)
	t.Cleanup(func() { defaultLogger.SetOutput(os.Stderr) })
	return &buf
}

func TestForReturnsOneHandlePerName(t *testing.T) {
	a := For("TestForReturnsOneHandle")
	if b := For("TestForReturnsOneHandle"); a != b {
		t.Fatal("second For returned a different pointer")
	}
	if b := For("testforreturnsonehandle"); a != b {
		t.Fatal("For is not case-insensitive")
	}
	if got := a.Name(); got != "TestForReturnsOneHandle" {
		t.Fatalf("Name() = %q", got)
	}
	if For("IO") != IO {
		t.Fatal(`For("IO") is not IO`)
	}
}

func TestForPanicsOnUnwritableNames(t *testing.T) {
	for _, name := range []string{"", "I O", "IO:2", "a,b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("For(%q) did not panic", name)
				}
			}()
			For(name)
		}()
	}
}

func TestSetLevel(t *testing.T) {
	keepGlobalState(t)
	m := For("TestSetLevel")
	m.SetLevel(2)
	if got := m.Level(); got != 2 {
		t.Fatalf("Level() = %d after SetLevel(2)", got)
	}
	SetLevel("testsetlevel", 1)
	if got := Level("TestSetLevel"); got != 1 {
		t.Fatalf("Level() = %d after SetLevel(1) by name", got)
	}
	m.SetLevel(-5)
	if got := m.Level(); got != 0 {
		t.Fatalf("Level() = %d after SetLevel(-5), want 0", got)
	}
	m.SetLevel(1 << 40)
	if got := m.Level(); got != MaxLevel {
		t.Fatalf("Level() = %d after a huge SetLevel, want %d", got, MaxLevel)
	}
}

func TestApplyReachesModulesCreatedLater(t *testing.T) {
	keepGlobalState(t)
	s, _ := Parse("1,TestApplyLater:2")
	Apply(s)
	if got := For("TestApplyLater").Level(); got != 2 {
		t.Fatalf("named module level = %d, want 2", got)
	}
	if got := For("TestApplyLaterOther").Level(); got != 1 {
		t.Fatalf("bare level did not reach a new module: %d", got)
	}
	Apply(Spec{})
	if got := For("TestApplyLater").Level(); got != 0 {
		t.Fatalf("empty spec left level %d", got)
	}
}

func TestLoadEnv(t *testing.T) {
	keepGlobalState(t)
	out := captureDefaultLogger(t)
	t.Setenv(EnvVar, " IO : 2 ,Bogus:x, TestLoadEnv:1")
	IO.SetLevel(0)
	LoadEnv()
	if got := IO.Level(); got != 2 {
		t.Errorf("IO level = %d, want 2", got)
	}
	if got := Level("TestLoadEnv"); got != 1 {
		t.Errorf("TestLoadEnv level = %d, want 1", got)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], " WARNING ") || !strings.Contains(lines[0], `"Bogus:x"`) {
		t.Errorf("want one warning naming the bad entry, got %q", out.String())
	}

	t.Setenv(EnvVar, "")
	LoadEnv()
	if got := IO.Level(); got != 0 {
		t.Errorf("IO level = %d after KAFKA_DEBUG was emptied, want 0", got)
	}
}

func TestLevelDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(1000, func() { _ = IO.Level() }); n != 0 {
		t.Fatalf("Level() allocates %v times per call", n)
	}
}

// BenchmarkLevelOff is the whole cost of debugging when it is off: kafkaio pays
// it once per Send or Receive.
func BenchmarkLevelOff(b *testing.B) {
	m := For("BenchmarkLevelOff")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if m.Level() >= 2 {
			n++
		}
	}
	if n != 0 {
		b.Fatal("module was on")
	}
}
