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
		ci       string
		network  string
		err      error
		wantSkip bool
		wantFail bool
	}{
		{"", "tcp6", noIPv6, true, false},
		{"", "tcp6", fmt.Errorf("socket: %w", syscall.EAFNOSUPPORT), true, false},
		{"", "tcp6", syscall.EMFILE, false, false},
		{"", "tcp4", noIPv6, false, false},
		// Under CI=true a missing IPv6 loopback fails instead of skipping.
		{"true", "tcp6", noIPv6, false, true},
		{"true", "tcp6", fmt.Errorf("socket: %w", syscall.EAFNOSUPPORT), false, true},
		{"true", "tcp4", noIPv6, false, false},
	} {
		t.Setenv("CI", tc.ci)
		fake := runFake(func(tb testing.TB) {
			skipIfNoIPv6(tb, loopbackFor(tb, tc.network), tc.err)
		})
		if fake.skipped != tc.wantSkip || fake.failed != tc.wantFail {
			t.Errorf("CI=%q, %s with %v: skipped=%v failed=%v, want %v and %v",
				tc.ci, tc.network, tc.err, fake.skipped, fake.failed, tc.wantSkip, tc.wantFail)
		}
		if (fake.skipped || fake.failed) && fake.msg == "" {
			t.Errorf("CI=%q, %s with %v: ended without a message", tc.ci, tc.network, tc.err)
		}
	}
}
