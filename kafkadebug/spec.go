package kafkadebug

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxLevel is the highest level a spec may give. Levels above 2 print the same
// as 2 today; the room is left for finer levels later.
const MaxLevel = 9

// Spec is a parsed KAFKA_DEBUG value: its valid entries in the order written.
type Spec struct {
	Entries []Entry
}

// Entry is one "Module:level" or bare "level" item of a spec.
type Entry struct {
	// Module is the module name as written, or "" for a bare level, which
	// applies to every module.
	Module string
	// Level is between 0 and MaxLevel.
	Level int
}

// ParseError describes one entry of a spec that was skipped.
type ParseError struct {
	// Index is the entry's 1-based position in the comma-separated list.
	Index int
	// Entry is the entry as written, untrimmed.
	Entry string
	// Reason says what is wrong with it.
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s entry %d (%q) ignored: %s", EnvVar, e.Index, e.Entry, e.Reason)
}

// Parse reads a KAFKA_DEBUG value. It never fails as a whole: every entry it
// cannot read is left out of the Spec and described by one *ParseError in the
// returned slice. Empty entries (as in "", "IO:2," or "IO:2,,1") are allowed
// and mean nothing.
func Parse(spec string) (Spec, []error) {
	var s Spec
	var errs []error
	for i, raw := range strings.Split(spec, ",") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		e, reason := parseEntry(raw)
		if reason != "" {
			errs = append(errs, &ParseError{Index: i + 1, Entry: raw, Reason: reason})
			continue
		}
		s.Entries = append(s.Entries, e)
	}
	return s, errs
}

// parseEntry reads one non-empty entry; a non-empty reason means it is malformed.
func parseEntry(raw string) (Entry, string) {
	name, level, hasModule := strings.Cut(raw, ":")
	if !hasModule {
		level, name = name, ""
	}
	name, level = strings.TrimSpace(name), strings.TrimSpace(level)
	if hasModule {
		if err := checkModuleName(name); err != nil {
			return Entry{}, err.Error()
		}
	}
	n, reason := parseLevel(level)
	if reason != "" {
		return Entry{}, reason
	}
	return Entry{Module: name, Level: n}, ""
}

// parseLevel accepts decimal digits only, so "+1", "-1", "0x2" and "2.0" are
// all reported rather than guessed at.
func parseLevel(s string) (int, string) {
	if s == "" {
		return 0, "missing level"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Sprintf("level %q is not a whole number from 0 to %d", s, MaxLevel)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxLevel {
		return 0, fmt.Sprintf("level %s is above the maximum %d", s, MaxLevel)
	}
	return n, ""
}

// checkModuleName accepts the names For and Parse agree on.
func checkModuleName(name string) error {
	if name == "" {
		return errors.New("missing module name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("module name %q may hold only letters, digits, '_', '-' and '.'", name)
		}
	}
	return nil
}

// LevelFor returns the level s gives module: that of the last entry naming it
// (in any ASCII case) or of the last bare level after it, else 0.
func (s Spec) LevelFor(module string) int {
	level := 0
	for _, e := range s.Entries {
		if e.Module == "" || strings.EqualFold(e.Module, module) {
			level = e.Level
		}
	}
	return level
}

// String returns s in KAFKA_DEBUG syntax; Parse(s.String()) gives s back.
func (s Spec) String() string {
	var b strings.Builder
	for i, e := range s.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		if e.Module != "" {
			b.WriteString(e.Module)
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Level))
	}
	return b.String()
}

// clone copies the entries so that a caller changing its Spec after Apply
// cannot change the active configuration.
func (s Spec) clone() Spec {
	return Spec{Entries: append([]Entry(nil), s.Entries...)}
}
