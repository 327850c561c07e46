package main

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kmsgSpelling lists the keys franz-go names differently from the Kafka
// protocol guide; every other name must match apart from ASCII case.
var kmsgSpelling = map[int16]string{
	45: "AlterPartitionAssignments",
}

func TestAPINamesMatchKmsg(t *testing.T) {
	for key := range int16(len(apiNames)) {
		want := kmsg.NameForKey(key)
		if alt, ok := kmsgSpelling[key]; ok {
			if want != alt {
				t.Errorf("key %d: kmsg now says %q, not %q; update kmsgSpelling", key, want, alt)
			}
			continue
		}
		if !strings.EqualFold(apiNames[key], want) {
			t.Errorf("key %d: %q, kmsg says %q", key, apiNames[key], want)
		}
	}
	if next := int16(len(apiNames)); kmsg.NameForKey(next) != "Unknown" {
		t.Errorf("kmsg knows key %d (%s): add it", next, kmsg.NameForKey(next))
	}
}

func TestAPINameOfUnknownKeys(t *testing.T) {
	for key, want := range map[int16]string{18: "ApiVersions", -1: "Unknown(-1)", 1000: "Unknown(1000)"} {
		if got := apiName(key); got != want {
			t.Errorf("apiName(%d) = %q, want %q", key, got, want)
		}
	}
}
