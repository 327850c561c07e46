package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJSONKeysAreDocumented writes every log in testdata as JSON and
// checks that each key the JSON form uses (outside the decoded fields,
// which are kmsg's names) is described in the command's documentation, and
// that every line is one object with a kind.
func TestJSONKeysAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	logs, err := filepath.Glob(filepath.Join(testdataDir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no logs: %v", err)
	}
	seen := map[string]bool{}
	kinds := map[string]bool{}
	for _, l := range logs {
		log, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		out := traceArgs(t, string(log), "-json", "-events")
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var o map[string]any
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Fatalf("%s: a line that is not one JSON object: %v\n%s", l, err, sc.Text())
			}
			kind, _ := o["kind"].(string)
			if kind == "" {
				t.Fatalf("%s: an object without a kind: %s", l, sc.Text())
			}
			kinds[kind] = true
			collectKeys(o, seen, false)
		}
	}
	for k := range seen {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(k) + `\b`).Match(doc) {
			t.Errorf("JSON key %q is not documented in doc.go", k)
		}
	}
	for _, k := range []string{"frame", "problem", "event", "summary"} {
		if !kinds[k] {
			t.Errorf("no object of kind %q in the logs' JSON: the test does not see all of the layout", k)
		}
	}
	if !seen["first_records"] || !seen["reason"] || !seen["header_tags"] {
		t.Error("the logs' JSON has no record batches, no decode problem or no header tags: the test does not see all of the layout")
	}
}

// collectKeys gathers the keys of o and of the objects inside it, except
// the decoded fields' own names; inside them, it still finds the objects
// that summarise record batches.
func collectKeys(v any, into map[string]bool, inFields bool) {
	switch v := v.(type) {
	case map[string]any:
		_, isRecords := v["batches"]
		for k, c := range v {
			if !inFields || isRecords {
				into[k] = true
			}
			collectKeys(c, into, (inFields || k == "fields" || k == "header_tags") && !isRecords)
		}
	case []any:
		for _, c := range v {
			collectKeys(c, into, inFields)
		}
	}
}
