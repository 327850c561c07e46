package kafkaio_test

// A zone in an IPv6 literal reaches the kernel as an interface index,
// whether given as a name ("%lo") or a number ("%1"): the link-local
// address fe80::1 is tried on that interface (loopback has no route for
// it, so connect(2) fails at once with ENETUNREACH and nothing is sent),
// where without a zone the kernel refuses it outright (EINVAL). An unknown
// interface name is New's error, not a panic.

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

func TestZoneNamesBecomeInterfaceIndexes(t *testing.T) {
	requireIPv6(t)
	t.Cleanup(leakcheck.Verify(t))
	lo, err := net.InterfaceByName("lo")
	if err != nil || lo.Index != 1 {
		t.Skipf("the loopback interface is not lo with index 1 here (%v, %v)", lo, err)
	}
	for _, tc := range []struct {
		host   string
		errno  error
		detail string
	}{
		{"fe80::1%lo", syscall.ENETUNREACH, ""},
		{"fe80::1%1", syscall.ENETUNREACH, ""},
		{"fe80::1", syscall.EINVAL, ""},
		{"fe80::1%nosuch0", nil, "no such network interface"},
	} {
		_, err := kafkaio.New(kafkaio.Config{Host: tc.host, Port: 9092})
		t.Logf("%s: %v", tc.host, err)
		if !errors.Is(err, kafkaerr.CannotBind) {
			t.Errorf("New(%s) = %v, want CannotBind", tc.host, err)
			continue
		}
		if tc.errno != nil && !errors.Is(err, tc.errno) {
			t.Errorf("New(%s) = %v, want %v in the chain", tc.host, err, tc.errno)
		}
		if tc.detail != "" && !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("New(%s) = %v, want it to say %q", tc.host, err, tc.detail)
		}
	}
}
