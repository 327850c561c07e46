package testpeer

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// This machine has IPv6 loopback, so the skip is checked on the decision
// itself, with the errors a machine without it returns.
func TestMissingIPv6SkipsOnlyTCP6(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	noIPv6 := fmt.Errorf("listen tcp6 [::1]:0: bind: %w", syscall.EADDRNOTAVAIL)

	for _, tc := range []struct {
		network  string
		err      error
		wantSkip bool
	}{
		{"tcp6", noIPv6, true},
		{"tcp6", fmt.Errorf("socket: %w", syscall.EAFNOSUPPORT), true},
		{"tcp6", syscall.EMFILE, false},
		{"tcp4", noIPv6, false},
	} {
		fake := runFake(func(tb testing.TB) {
			skipIfNoIPv6(tb, loopbackFor(tb, tc.network), tc.err)
		})
		if fake.skipped != tc.wantSkip {
			t.Errorf("%s with %v: skipped=%v, want %v", tc.network, tc.err, fake.skipped, tc.wantSkip)
		}
		if fake.skipped && fake.msg == "" {
			t.Errorf("%s with %v: skipped without a message", tc.network, tc.err)
		}
	}
}
