package kafkaio_test

// A name with several addresses: New must try them in order until one
// connects, give each the remaining budget divided by the addresses left,
// and name every failed attempt. The names are served by the DNS stub, so
// the tests do not depend on what localhost means on the machine (one
// address or two), and the addresses are loopback ones that share a port:
// a peer on 127.0.0.1:P, nothing (refused) or a full backlog (black hole)
// on 127.0.0.2:P and 127.0.0.3:P.

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/dnsstub"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

const multiName = "several.kafkaio.test"

var (
	multiSecond = netip.MustParseAddr("127.0.0.2")
	multiThird  = netip.MustParseAddr("127.0.0.3")
	multiIPv6   = netip.MustParseAddr("::1")
)

// multiNew resolves multiName to addrs through the DNS stub and runs New
// with cfg's other fields; it returns the IO (closed at cleanup), the error,
// how long New took and how many connect attempts it reported.
func multiNew(t *testing.T, addrs []netip.Addr, cfg kafkaio.Config) (*kafkaio.IO, error, time.Duration, int) {
	t.Helper()
	logger, events := faultCountingLogger(t)
	cfg.Host, cfg.Logger = multiName, logger
	cfg.Resolver = faultResolver(t, dnsstub.Config{Hosts: map[string][]netip.Addr{multiName: addrs}}, true)
	began := time.Now()
	c, err := kafkaio.New(cfg)
	took := time.Since(began)
	faultLogErr(t, err)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err, took, events.count("connect attempt")
}

// multiRefused checks that nothing listens on ip at port.
func multiRefused(t *testing.T, ip netip.Addr, port int) {
	t.Helper()
	ap := netip.AddrPortFrom(ip, uint16(port))
	c, err := net.DialTimeout("tcp", ap.String(), faultPatience)
	if err == nil {
		c.Close()
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%v must refuse connections for this test; connect: %v", ap, err)
	}
}

func TestNewFallsBackToTheNextAddress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first netip.Addr
	}{
		{"refused IPv4 address first", multiSecond},
		// With IPv6 loopback the first connect is refused; without it,
		// it fails otherwise (no address to send from): a fallback either
		// way. The resolver puts ::1 first (RFC 6724).
		{"IPv6 address first, the peer on IPv4 only", multiIPv6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4", testpeer.Echo())
			if tc.first.Is4() {
				multiRefused(t, tc.first, p.Port())
			}
			c, err, took, attempts := multiNew(t, []netip.Addr{tc.first, faultLoopback4},
				kafkaio.Config{Port: p.Port(), Timeout: faultPatience})
			if err != nil {
				t.Fatalf("New(%s) with %v refusing and the peer on %s: %v", multiName, tc.first, p.Addr(), err)
			}
			within(t, "New with one refused address", took, 0, faultAtOnce)
			if c.Addr() != p.Addr() {
				t.Errorf("connected to %s, want %s", c.Addr(), p.Addr())
			}
			if attempts != 2 {
				t.Errorf("New reported %d connect attempts, want 2", attempts)
			}
			faultRoundTrip(t, c)
		})
	}
}

func TestNewWithOneFamilyTriesOnlyThatFamily(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4")
	c, err, _, attempts := multiNew(t, []netip.Addr{multiIPv6, faultLoopback4},
		kafkaio.Config{Port: p.Port(), IPVersion: kafkaio.IPv4, Timeout: faultPatience})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr() != p.Addr() || attempts != 1 {
		t.Errorf("connected to %s after %d attempts; want %s at the first", c.Addr(), attempts, p.Addr())
	}
}

func TestNewNamesEveryFailedAddress(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	port := testpeer.RefusedPort(t, "tcp4")
	addrs := []netip.Addr{multiSecond, multiThird, faultLoopback4}
	for _, ip := range addrs {
		multiRefused(t, ip, port)
	}
	c, err, took, attempts := multiNew(t, addrs, kafkaio.Config{Port: port, Timeout: faultPatience})
	faultCheckErr(t, err, took, faultWant{code: kafkaerr.CannotBind, phase: "connect",
		causes: []error{syscall.ECONNREFUSED}, took: faultQuick()})
	faultCheckState(t, c, faultNoIO, nil)
	if attempts != len(addrs) {
		t.Errorf("New reported %d connect attempts, want %d", attempts, len(addrs))
	}
	var e *kafkaerr.Error
	if !errors.As(err, &e) {
		return
	}
	// The cause is the first attempt; Others are the rest, in order, each
	// naming its address and keeping its errno.
	causes := append([]error{e.Err}, e.Others...)
	if len(causes) != len(addrs) {
		t.Fatalf("the error carries %d attempts (cause and Others), want %d: %v", len(causes), len(addrs), err)
	}
	for i, ip := range addrs {
		addr := netip.AddrPortFrom(ip, uint16(port)).String()
		if !strings.Contains(causes[i].Error(), addr) || !errors.Is(causes[i], syscall.ECONNREFUSED) {
			t.Errorf("attempt %d: %v; want %s refused", i+1, causes[i], addr)
		}
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("the message does not name %s: %v", addr, err)
		}
	}
}

// TestEachAddressGetsItsShareOfTheBudget: a black-holed address may use
// only the remaining budget divided by the addresses left, so the ones
// after it still get their turn. With budget T, one black hole before the
// peer ends its attempt at T/2; two end theirs at T/3 and 2T/3.
func TestEachAddressGetsItsShareOfTheBudget(t *testing.T) {
	for _, tc := range []struct {
		name        string
		blackHoles  []netip.Addr
		budget      time.Duration
		peerReached time.Duration // when the peer's attempt starts
	}{
		{"one black hole, then the peer", []netip.Addr{multiSecond}, 2 * faultTimeout, faultTimeout},
		{"two black holes, then the peer", []netip.Addr{multiSecond, multiThird}, 3 * faultTimeout, 2 * faultTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			p := testpeer.Start(t, "tcp4", testpeer.Echo())
			for _, ip := range tc.blackHoles {
				testpeer.FullBacklogOn(t, netip.AddrPortFrom(ip, uint16(p.Port())))
			}
			addrs := append(append([]netip.Addr(nil), tc.blackHoles...), faultLoopback4)
			c, err, took, attempts := multiNew(t, addrs, kafkaio.Config{Port: p.Port(), Timeout: tc.budget})
			if err != nil {
				t.Fatalf("New with %d black-holed addresses before the peer, budget %v: %v", len(tc.blackHoles), tc.budget, err)
			}
			within(t, "New", took, tc.peerReached, tc.peerReached+faultLate)
			if c.Addr() != p.Addr() || attempts != len(addrs) {
				t.Errorf("connected to %s after %d attempts; want %s after %d", c.Addr(), attempts, p.Addr(), len(addrs))
			}
			faultRoundTrip(t, c)
		})
	}
	t.Run("every address black-holed: New ends at its budget, each attempt a timeout", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		port := testpeer.FullBacklogOn(t, netip.AddrPortFrom(multiSecond, 0))
		testpeer.FullBacklogOn(t, netip.AddrPortFrom(multiThird, uint16(port)))
		c, err, took, attempts := multiNew(t, []netip.Addr{multiSecond, multiThird},
			kafkaio.Config{Port: port, Timeout: 2 * faultTimeout})
		faultCheckErr(t, err, took, faultWant{code: kafkaerr.CannotBind, phase: "connect",
			causes: []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}, took: faultAt(2 * faultTimeout),
			detail: []string{multiSecond.String() + ":" + strconv.Itoa(port), multiThird.String() + ":" + strconv.Itoa(port)}})
		faultCheckState(t, c, faultNoIO, nil)
		if attempts != 2 {
			t.Errorf("New reported %d connect attempts, want 2", attempts)
		}
		// The deadline ended attempt 2, the last: it is the cause, and
		// attempt 1, which ran out of its own share, is the one other.
		var e *kafkaerr.Error
		if errors.As(err, &e) {
			first := multiSecond.String() + ":" + strconv.Itoa(port)
			if len(e.Others) != 1 || !strings.Contains(e.Others[0].Error(), first) || !errors.Is(e.Others[0], os.ErrDeadlineExceeded) {
				t.Errorf("Others = %v, want only attempt 1 (%s), timed out", e.Others, first)
			}
			if strings.Contains(e.Detail, "not tried") {
				t.Errorf("Detail %q counts untried addresses; both were tried", e.Detail)
			}
		}
	})
	t.Run("cancelled during the first of three: the rest are counted as not tried", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		port := testpeer.FullBacklogOn(t, netip.AddrPortFrom(multiSecond, 0))
		testpeer.FullBacklogOn(t, netip.AddrPortFrom(multiThird, uint16(port)))
		testpeer.FullBacklogOn(t, netip.AddrPortFrom(faultLoopback4, uint16(port)))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		began := time.Now()
		defer time.AfterFunc(100*time.Millisecond, cancel).Stop()
		logger, events := faultCountingLogger(t)
		c, err := kafkaio.NewContext(ctx, kafkaio.Config{Host: multiName, Port: port, Timeout: faultPatience, Logger: logger,
			Resolver: faultResolver(t, dnsstub.Config{Hosts: map[string][]netip.Addr{multiName: {multiSecond, multiThird, faultLoopback4}}}, true)})
		took := time.Since(began)
		faultLogErr(t, err)
		faultCheckErr(t, err, took, faultWant{code: kafkaerr.CannotBind, phase: "connect",
			causes: []error{context.Canceled}, notCause: []error{context.DeadlineExceeded},
			detail: []string{"cancelled during attempt 1 of 3", "; 2 more not tried"}, took: faultAt(100 * time.Millisecond)})
		faultCheckState(t, c, faultNoIO, nil)
		var e *kafkaerr.Error
		if errors.As(err, &e) && len(e.Others) != 0 {
			t.Errorf("Others = %v, want none: only one attempt was made", e.Others)
		}
		if n := events.count("connect attempt"); n != 1 {
			t.Errorf("New reported %d connect attempts, want 1", n)
		}
	})
}
