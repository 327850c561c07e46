package kafkaerr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// A budget computed from a context's deadline is a little under what was
// set ("299.997036ms"); the message rounds it back: to milliseconds, or to
// microseconds under one.
func TestBudgetIsShownAsSet(t *testing.T) {
	for _, tc := range []struct {
		budget time.Duration
		want   string
	}{
		{299997036 * time.Nanosecond, "timeout 300ms"},
		{1500 * time.Millisecond, "timeout 1.5s"},
		{time.Millisecond, "timeout 1ms"},
		{750400 * time.Nanosecond, "timeout 750µs"},
	} {
		e := kafkaerr.New(kafkaerr.CannotRecv, "receive", "127.0.0.1:9092", nil)
		e.Budget = tc.budget
		if !strings.Contains(e.Error(), tc.want+",") && !strings.Contains(e.Error(), tc.want+"]") {
			t.Errorf("Budget %v: %q does not say %q", tc.budget, e.Error(), tc.want)
		}
	}
}
