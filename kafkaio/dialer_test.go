package kafkaio_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// The Dialer and Bootstrap against loopback peers: a refused port, a
// black-holed listener (full backlog) and scripted brokers.

// hostPort joins a loopback host and port as Bootstrap and the Dialer take it.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

func TestDialerDialsTheAddressItIsGiven(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	// Host and Port of the Config are replaced by the address's.
	d := &kafkaio.Dialer{Config: kafkaio.Config{Host: "wrong.invalid", Port: 1, Timeout: viewTimeout}}
	for _, network := range []string{"tcp", "tcp4"} {
		nc, err := d.DialContext(context.Background(), network, p.Addr())
		if err != nil {
			t.Fatalf("DialContext(%s, %s): %v", network, p.Addr(), err)
		}
		if ra, ok := nc.RemoteAddr().(*net.TCPAddr); !ok || ra.String() != p.Addr() {
			t.Errorf("RemoteAddr = %v, want %s", nc.RemoteAddr(), p.Addr())
		}
		req := frame([]byte("dialed"))
		if _, err := nc.Write(req); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, len(req))
		if _, err := io.ReadFull(nc, back); err != nil || string(back) != string(req) {
			t.Fatalf("echo = %q, %v; want %q", back, err, req)
		}
		nc.Close()
	}
	nc, err := d.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	nc.Close()
}

func TestDialerIPv6(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp6", testpeer.Stall())
	d := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: viewTimeout}}
	for _, network := range []string{"tcp", "tcp6"} {
		nc, err := d.DialContext(context.Background(), network, p.Addr())
		if err != nil {
			t.Fatalf("DialContext(%s, %s): %v", network, p.Addr(), err)
		}
		if ra := nc.RemoteAddr().(*net.TCPAddr); ra.String() != p.Addr() {
			t.Errorf("RemoteAddr = %v, want %s", ra, p.Addr())
		}
		nc.Close()
	}
	// The network's family is the IP version: an IPv6 literal on tcp4 is
	// refused as New refuses it.
	_, err := d.DialContext(context.Background(), "tcp4", p.Addr())
	wantErr(t, err, kafkaerr.IncompatibleHostIPVersion)
}

func TestDialerRefusesWhatIsNotATCPAddress(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	d := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: viewTimeout}}
	for _, tc := range []struct{ network, address, want string }{
		{"udp", "127.0.0.1:9092", `network "udp"`},
		{"unix", "/tmp/kafka.sock", `network "unix"`},
		{"", "127.0.0.1:9092", `network ""`},
		{"tcp", "127.0.0.1", "is not host:port"},
		{"tcp", "", "is not host:port"},
		{"tcp", "127.0.0.1:0", "port"},
		{"tcp", "127.0.0.1:65536", "port"},
		{"tcp", "127.0.0.1:kafka", "port"},
		{"tcp", "[::1:9092", "is not host:port"},
	} {
		_, err := d.DialContext(context.Background(), tc.network, tc.address)
		e := wantErr(t, err, kafkaerr.MismatchArgument)
		if e.Op != "dial" || !strings.Contains(e.Error(), tc.want) {
			t.Errorf("DialContext(%q, %q) = %v, want Op \"dial\" and %q", tc.network, tc.address, err, tc.want)
		}
	}
	// An invalid Config is New's MismatchArgument.
	bad := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: -time.Second}}
	_, err := bad.Dial("tcp", "127.0.0.1:9092")
	wantErr(t, err, kafkaerr.MismatchArgument)
}

// The dial's context bounds it, and its failure is New's.
func TestDialerFailuresAreNews(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	d := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: viewTimeout}}
	refused := testpeer.RefusedPort(t, "tcp4")
	_, err := d.DialContext(context.Background(), "tcp", hostPort("127.0.0.1", refused))
	wantErr(t, err, kafkaerr.CannotBind)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refused dial: %v, want ECONNREFUSED in the chain", err)
	}

	host, port := testpeer.FullBacklog(t, "tcp4")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = d.DialContext(ctx, "tcp", hostPort(host, port))
	within(t, "a dial to a black hole under a 200ms context", time.Since(start), 190*time.Millisecond, viewSettle)
	wantErr(t, err, kafkaerr.CannotBind)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed-out dial: %v, want the deadline in the chain", err)
	}
	// Dial has no context: Config.Timeout is its budget.
	short := &kafkaio.Dialer{Config: kafkaio.Config{Timeout: 150 * time.Millisecond}}
	start = time.Now()
	_, err = short.Dial("tcp", hostPort(host, port))
	within(t, "Dial to a black hole with a 150ms Timeout", time.Since(start), 140*time.Millisecond, viewSettle)
	wantErr(t, err, kafkaerr.CannotBind)
}

// bootstrapBudget is Bootstrap's budget in the tests of its sharing.
const bootstrapBudget = 2 * time.Second

func TestBootstrapReturnsTheFirstBrokerThatAnswers(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	refused := testpeer.RefusedPort(t, "tcp4")
	holeHost, holePort := testpeer.FullBacklog(t, "tcp4")
	good := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	brokers := []string{hostPort("127.0.0.1", refused), hostPort(holeHost, holePort), good.Addr()}

	start := time.Now()
	c, err := kafkaio.Bootstrap(context.Background(), brokers, kafkaio.Config{Timeout: bootstrapBudget})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Bootstrap(%v): %v", brokers, err)
	}
	defer c.Close()
	if c.Addr() != good.Addr() {
		t.Fatalf("Bootstrap connected to %s, want the third broker %s", c.Addr(), good.Addr())
	}
	// The refused broker takes no time, so the black hole gets half of the
	// budget (the time left over the two brokers left), not a third of it
	// and not all of it.
	within(t, "Bootstrap past a refused and a black-holed broker", elapsed,
		bootstrapBudget*45/100, bootstrapBudget*80/100)
	req := frame([]byte("bootstrapped"))
	if _, err := c.Send(req); err != nil {
		t.Fatal(err)
	}
	if body, err := c.ReceiveFrame(context.Background(), nil); err != nil || string(body) != "bootstrapped" {
		t.Fatalf("echo = %q, %v", body, err)
	}
}

// brokerErrors returns the errors Bootstrap attached, in order: its cause,
// then Others.
func brokerErrors(t *testing.T, err error) []*kafkaerr.Error {
	t.Helper()
	e := wantErr(t, err, kafkaerr.CannotBind)
	if e.Op != "bootstrap" {
		t.Errorf("Op = %q, want bootstrap", e.Op)
	}
	var all []*kafkaerr.Error
	for _, b := range append([]error{e.Err}, e.Others...) {
		var be *kafkaerr.Error
		if !errors.As(b, &be) {
			t.Fatalf("a broker's error %v (%T) is not a *kafkaerr.Error", b, b)
		}
		all = append(all, be)
	}
	return all
}

func TestBootstrapWhenEveryBrokerFails(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	first := testpeer.RefusedPort(t, "tcp4")
	holeHost, holePort := testpeer.FullBacklog(t, "tcp4")
	last := testpeer.RefusedPort(t, "tcp4")
	brokers := []string{hostPort("127.0.0.1", first), hostPort(holeHost, holePort), hostPort("127.0.0.1", last)}

	start := time.Now()
	_, err := kafkaio.Bootstrap(context.Background(), brokers, kafkaio.Config{Timeout: bootstrapBudget})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Bootstrap succeeded with no broker to answer")
	}
	t.Logf("%v", err)
	errs := brokerErrors(t, err)
	if len(errs) != len(brokers) {
		t.Fatalf("%d broker errors attached, want %d: %v", len(errs), len(brokers), err)
	}
	for i, be := range errs {
		if be.Code != kafkaerr.CannotBind || be.Addr != brokers[i] {
			t.Errorf("error %d is %v for %q, want CannotBind for %s", i+1, be.Code, be.Addr, brokers[i])
		}
	}
	if !errors.Is(errs[0], syscall.ECONNREFUSED) || !errors.Is(errs[2], syscall.ECONNREFUSED) {
		t.Errorf("the refused brokers' errors lack ECONNREFUSED: %v; %v", errs[0], errs[2])
	}
	if !errs[1].Timeout() {
		t.Errorf("the black hole's error is not a timeout: %v", errs[1])
	}
	// The cause is the first broker's; the budget did not end the tries,
	// so no deadline is in the chain.
	if !errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Bootstrap's chain: %v, want the first broker's ECONNREFUSED and no deadline", err)
	}
	if !strings.Contains(err.Error(), "no broker of 3 answered") {
		t.Errorf("message %q does not count the brokers", err)
	}
	within(t, "Bootstrap with no broker answering", elapsed, bootstrapBudget*45/100, bootstrapBudget*80/100)
}

func TestBootstrapEndedByItsBudgetOrItsContext(t *testing.T) {
	t.Run("budget", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		refused := testpeer.RefusedPort(t, "tcp4")
		holeHost, holePort := testpeer.FullBacklog(t, "tcp4")
		brokers := []string{hostPort("127.0.0.1", refused), hostPort(holeHost, holePort)}
		const budget = 300 * time.Millisecond
		start := time.Now()
		_, err := kafkaio.Bootstrap(context.Background(), brokers, kafkaio.Config{Timeout: budget})
		within(t, "Bootstrap ended by its budget", time.Since(start), budget-10*time.Millisecond, viewSettle)
		errs := brokerErrors(t, err)
		// The black hole, the last broker, had what was left of the budget:
		// its end is the cause, and the refused broker is in Others.
		if len(errs) != 2 || errs[0].Addr != brokers[1] || errs[1].Addr != brokers[0] {
			t.Fatalf("cause and Others: %v, want the black hole's then the refused broker's", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%v: the deadline is not in the chain", err)
		}
		if !strings.Contains(err.Error(), "Bootstrap's 300ms budget ran out during attempt 2 of 2") {
			t.Errorf("message %q does not say what ended Bootstrap", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		holeHost, holePort := testpeer.FullBacklog(t, "tcp4")
		refused := testpeer.RefusedPort(t, "tcp4")
		good := testpeer.Start(t, "tcp4", testpeer.Stall())
		brokers := []string{hostPort(holeHost, holePort), hostPort("127.0.0.1", refused), good.Addr()}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := kafkaio.Bootstrap(ctx, brokers, kafkaio.Config{Timeout: viewTimeout})
		within(t, "Bootstrap cancelled after 100ms", time.Since(start), 90*time.Millisecond, viewSettle)
		errs := brokerErrors(t, err)
		if len(errs) != 1 || errs[0].Addr != brokers[0] {
			t.Fatalf("%v: want the black hole's error alone", err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v: the cancellation is not in the chain", err)
		}
		if !strings.Contains(err.Error(), "context was cancelled during attempt 1 of 3") ||
			!strings.Contains(err.Error(), "2 more not tried") {
			t.Errorf("message %q does not say what ended Bootstrap and what was not tried", err)
		}
		if good.Accepted() != 0 {
			t.Errorf("the third broker was dialed %d times after the cancellation", good.Accepted())
		}
	})
}

func TestBootstrapArguments(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p := testpeer.Start(t, "tcp4", testpeer.Stall())
	cfg := kafkaio.Config{Timeout: viewTimeout}
	for _, empty := range [][]string{nil, {}} {
		_, err := kafkaio.Bootstrap(context.Background(), empty, cfg)
		e := wantErr(t, err, kafkaerr.NoKnownBrokers)
		if e.Op != "bootstrap" {
			t.Errorf("empty list: Op %q", e.Op)
		}
	}
	for _, bad := range []string{"", "  ", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:kafka", ":9092", "[::1", "[::1]:x", "not:an:address"} {
		// A good broker first: a bad entry anywhere is refused before
		// any broker is tried.
		_, err := kafkaio.Bootstrap(context.Background(), []string{p.Addr(), bad}, cfg)
		e := wantErr(t, err, kafkaerr.MismatchArgument)
		if !strings.Contains(e.Error(), "broker 2") {
			t.Errorf("bad entry %q: %v does not name broker 2", bad, err)
		}
	}
	_, err := kafkaio.Bootstrap(nil, []string{p.Addr()}, cfg)
	wantErr(t, err, kafkaerr.MismatchArgument)
	// An invalid Config is refused once, before any broker is tried.
	_, err = kafkaio.Bootstrap(context.Background(), []string{p.Addr(), p.Addr()}, kafkaio.Config{Timeout: -time.Second})
	wantErr(t, err, kafkaerr.MismatchArgument)
	if p.Accepted() != 0 {
		t.Errorf("%d connections made although every call was refused", p.Accepted())
	}
}

func TestBootstrapAddressForms(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t))
	p4 := testpeer.Start(t, "tcp4", testpeer.Stall())
	port := strconv.Itoa(p4.Port())
	forms := []string{"127.0.0.1:" + port, " 127.0.0.1:" + port + " ", "127.0.0.1", "localhost:" + port}
	p6 := testpeer.Start(t, "tcp6", testpeer.Stall())
	port6 := strconv.Itoa(p6.Port())
	forms6 := []string{"[::1]:" + port6, "[::1]", "::1"}
	try := func(b string, defaultPort int, want string) {
		t.Helper()
		c, err := kafkaio.Bootstrap(context.Background(), []string{b}, kafkaio.Config{Port: defaultPort, Timeout: viewTimeout, IPVersion: kafkaio.IPAny})
		if err != nil {
			t.Errorf("Bootstrap(%q): %v", b, err)
			return
		}
		defer c.Close()
		if c.Addr() != want {
			t.Errorf("Bootstrap(%q) connected to %s, want %s", b, c.Addr(), want)
		}
	}
	for _, b := range forms {
		try(b, p4.Port(), p4.Addr())
	}
	for _, b := range forms6 {
		try(b, p6.Port(), p6.Addr())
	}
}
