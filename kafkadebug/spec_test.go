package kafkadebug

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec    string
		want    []Entry
		badIdxs []int // 1-based indexes of the entries reported as malformed
	}{
		{spec: "", want: nil},
		{spec: "1", want: []Entry{{"", 1}}},
		{spec: "IO:1", want: []Entry{{"IO", 1}}},
		{spec: "IO:2", want: []Entry{{"IO", 2}}},
		{spec: "IO:2,Connection:1", want: []Entry{{"IO", 2}, {"Connection", 1}}},
		{spec: " IO : 2 ", want: []Entry{{"IO", 2}}},
		{spec: "\tIO:2 ,\n1 ", want: []Entry{{"IO", 2}, {"", 1}}},
		{spec: "IO:2,,", want: []Entry{{"IO", 2}}},
		{spec: "IO:x", badIdxs: []int{1}},
		{spec: "IO:", badIdxs: []int{1}},
		{spec: ":2", badIdxs: []int{1}},
		{spec: "IO:2:3", badIdxs: []int{1}},
		{spec: "IO=2", badIdxs: []int{1}},
		{spec: "I O:2", badIdxs: []int{1}},
		{spec: "IO:-1", badIdxs: []int{1}},
		{spec: "IO:+1", badIdxs: []int{1}},
		{spec: "IO:10", badIdxs: []int{1}},
		{spec: "IO:99999999999999999999999", badIdxs: []int{1}},
		{spec: "x,IO:2,y:z,1", want: []Entry{{"IO", 2}, {"", 1}}, badIdxs: []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, errs := Parse(tt.spec)
			if !reflect.DeepEqual(got.Entries, tt.want) {
				t.Errorf("entries = %+v, want %+v", got.Entries, tt.want)
			}
			var idxs []int
			for _, err := range errs {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ParseError", err)
				}
				if !strings.Contains(err.Error(), EnvVar) || !strings.Contains(err.Error(), pe.Reason) {
					t.Errorf("error text %q lacks the variable name or the reason", err)
				}
				idxs = append(idxs, pe.Index)
			}
			if !reflect.DeepEqual(idxs, tt.badIdxs) {
				t.Errorf("malformed entries %v, want %v (errors: %v)", idxs, tt.badIdxs, errs)
			}
		})
	}
}

func TestSpecLevelForLaterEntriesWin(t *testing.T) {
	tests := []struct {
		spec, module string
		want         int
	}{
		{"1", "IO", 1},
		{"1", "Anything", 1},
		{"IO:2", "IO", 2},
		{"IO:2", "Connection", 0},
		{"IO:2,IO:1", "IO", 1},
		{"IO:2,0", "IO", 0},
		{"0,IO:2", "IO", 2},
		{"1,IO:2", "Connection", 1},
		{"io:2", "IO", 2},
	}
	for _, tt := range tests {
		s, errs := Parse(tt.spec)
		if len(errs) > 0 {
			t.Fatalf("Parse(%q): %v", tt.spec, errs)
		}
		if got := s.LevelFor(tt.module); got != tt.want {
			t.Errorf("Parse(%q).LevelFor(%q) = %d, want %d", tt.spec, tt.module, got, tt.want)
		}
	}
}

func TestSpecStringRoundTrips(t *testing.T) {
	s, _ := Parse(" IO : 2 , 1,Connection:0")
	if got, want := s.String(), "IO:2,1,Connection:0"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	again, errs := Parse(s.String())
	if len(errs) > 0 || !reflect.DeepEqual(again, s) {
		t.Fatalf("Parse(String()) = %+v, %v; want %+v", again, errs, s)
	}
}

// FuzzParse checks that any input parses without panicking, that every kept
// entry is valid, that each entry is either kept or reported, and that the
// canonical form parses back to the same spec.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "1", "IO:1", "IO:2", "IO:2,Connection:1", " IO : 2 ", "IO:x,,:", "IO:2:3,\x00:9", "é:1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, errs := Parse(spec)
		nonEmpty := 0
		for _, raw := range strings.Split(spec, ",") {
			if strings.TrimSpace(raw) != "" {
				nonEmpty++
			}
		}
		if got := len(s.Entries) + len(errs); got != nonEmpty {
			t.Fatalf("%d entries + %d errors for %d non-empty entries", len(s.Entries), len(errs), nonEmpty)
		}
		for _, e := range s.Entries {
			if e.Level < 0 || e.Level > MaxLevel {
				t.Fatalf("entry %+v has a level out of range", e)
			}
			if e.Module != "" && checkModuleName(e.Module) != nil {
				t.Fatalf("entry %+v has an invalid module name", e)
			}
		}
		again, againErrs := Parse(s.String())
		if len(againErrs) > 0 || !reflect.DeepEqual(again.Entries, s.Entries) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", s.String(), again.Entries, againErrs, s.Entries)
		}
	})
}
