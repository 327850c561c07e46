package kafkadebug

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Module is the debug switch of one part of the library. Its level is read on
// hot paths, so it lives in an atomic and reading it never locks or allocates.
type Module struct {
	name  string
	level atomic.Int32
}

// IO is the module kafkaio reports under.
var IO = For("IO")

// registry holds every module handed out by For and the spec last applied, so
// that a module created after LoadEnv still gets the level KAFKA_DEBUG gives it.
var registry = struct {
	mu      sync.Mutex
	modules map[string]*Module // keyed by lower-cased name
	spec    Spec
}{modules: map[string]*Module{}}

// For returns the module called name, creating it on first use; later calls
// with the same name (in any ASCII case) return the same pointer. A new module
// starts at the level the last applied spec gives it. For panics when name
// could never be written in KAFKA_DEBUG (empty, or holding anything but
// letters, digits, '_', '-' and '.'): that is a programming error.
func For(name string) *Module {
	if err := checkModuleName(name); err != nil {
		panic(fmt.Sprintf("kafkadebug.For(%q): %v", name, err))
	}
	key := strings.ToLower(name)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if m, ok := registry.modules[key]; ok {
		return m
	}
	m := &Module{name: name}
	m.level.Store(clampLevel(registry.spec.LevelFor(name)))
	registry.modules[key] = m
	return m
}

// Name returns the module's name as it was first registered.
func (m *Module) Name() string { return m.name }

// Level returns the module's current level: a single atomic load, cheap
// enough to call before every Send and Receive.
func (m *Module) Level() int { return int(m.level.Load()) }

// SetLevel sets the module's level until the next SetLevel, LoadEnv or Apply.
// A negative level is taken as 0.
func (m *Module) SetLevel(level int) { m.level.Store(clampLevel(level)) }

// Level returns the level of the named module (see For).
func Level(module string) int { return For(module).Level() }

// SetLevel sets the level of the named module (see For).
func SetLevel(module string, level int) { For(module).SetLevel(level) }

// Apply makes s the active configuration: every registered module gets the
// level s gives it (0 when s does not mention it), and so does every module
// registered later. LoadEnv calls it with the parsed environment.
func Apply(s Spec) {
	s = s.clone()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.spec = s
	for _, m := range registry.modules {
		m.level.Store(clampLevel(s.LevelFor(m.name)))
	}
}

// clampLevel keeps stored levels within [0, MaxLevel] so that an int32 can
// hold them and negative levels mean "off".
func clampLevel(level int) int32 {
	switch {
	case level < 0:
		return 0
	case level > MaxLevel:
		return MaxLevel
	default:
		return int32(level)
	}
}
