package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
)

// These tests talk to the cluster over plain net.Conn on purpose: they check
// the embedded cluster itself, independent of kafkaio.

func start(t *testing.T, brokers int, opts ...Option) *Cluster {
	t.Helper()
	c, err := Start(brokers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// roundTrip sends one frame and returns the response body.
func roundTrip(t *testing.T, conn net.Conn, frame []byte) []byte {
	t.Helper()
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatal(err)
	}
	return body
}

func apiVersions(t *testing.T, addr string) {
	t.Helper()
	body := roundTrip(t, dial(t, addr), kafkawire.ApiVersions(11, "embedded-test", 0))
	r, err := kafkawire.ParseApiVersions(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.CorrelationID != 11 || r.ErrorCode != 0 {
		t.Fatalf("ApiVersions from %s: %+v", addr, r)
	}
}

func TestStartOneBroker(t *testing.T) {
	c := start(t, 1)
	addrs := c.Addrs()
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "127.0.0.1:") {
		t.Fatalf("Addrs() = %q, want one 127.0.0.1 address", addrs)
	}
	apiVersions(t, addrs[0])
}

func TestStartRejectsZeroBrokers(t *testing.T) {
	if c, err := Start(0); err == nil {
		c.Close()
		t.Fatal("Start(0) succeeded")
	}
}

// Metadata from any broker lists all three at the addresses Addrs reports,
// and the seeded topic with its partitions.
func TestThreeBrokersAndSeedTopics(t *testing.T) {
	c := start(t, 3, SeedTopics(4, "seeded"))
	addrs := c.Addrs()
	body := roundTrip(t, dial(t, addrs[1]), kafkawire.Metadata(2, "embedded-test", 1, []string{"seeded"}))
	md, err := kafkawire.ParseMetadata(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 3 {
		t.Fatalf("Metadata lists %d brokers, want 3", len(md.Brokers))
	}
	for _, b := range md.Brokers {
		got := net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
		if b.NodeID < 0 || int(b.NodeID) >= len(addrs) || addrs[b.NodeID] != got {
			t.Fatalf("broker %d at %s, Addrs() = %q", b.NodeID, got, addrs)
		}
	}
	if len(md.Topics) != 1 || md.Topics[0].ErrorCode != 0 || len(md.Topics[0].Partitions) != 4 {
		t.Fatalf("topic metadata: %+v", md.Topics)
	}
}

// Close drops live client connections: a client blocked reading sees EOF
// (or a reset) promptly instead of waiting for its own deadline.
func TestCloseDropsClientConnections(t *testing.T) {
	c := start(t, 1)
	conn := dial(t, c.Addrs()[0])
	roundTrip(t, conn, kafkawire.ApiVersions(1, "embedded-test", 0))

	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		readErr <- err
	}()
	c.Close()
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("read after Close returned data")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("read after Close timed out instead of failing: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read still blocked 10s after Close")
	}
	if _, err := net.DialTimeout("tcp", c.Addrs()[0], time.Second); err == nil {
		t.Fatal("dial succeeded after Close")
	}
}

func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	c, err := Start(2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(c.Close)
	}
	wg.Wait()
	c.Close()
}

// After Close, the goroutines the cluster started (kfake's and ours) end.
// kfake's finish just after Close returns, so this polls with a generous
// bound rather than comparing at once.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Start(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range c.Addrs() {
		apiVersions(t, addr)
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before Start, %d after Close:\n%s",
				before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIPv6(t *testing.T) {
	probe, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		// As kafkatest.RequireIPv6 (not importable here: it imports this
		// package): a skip locally, a failure under CI=true.
		if os.Getenv("CI") == "true" {
			t.Fatalf("no IPv6 loopback on this machine: %v (CI=true: CI's machine has it, so this is a failure)", err)
		}
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	probe.Close()
	c := start(t, 1, IPv6())
	addr := c.Addrs()[0]
	if !strings.HasPrefix(addr, "[::1]:") {
		t.Fatalf("Addrs() = %q, want [::1]:port", c.Addrs())
	}
	apiVersions(t, addr)
}

// A cluster stopped and started again on the same ports (Ports) answers
// there, although the first one's connections are still in TIME_WAIT.
func TestRestartOnTheSamePorts(t *testing.T) {
	first := start(t, 2)
	addrs := first.Addrs()
	for _, a := range addrs {
		apiVersions(t, a)
	}
	first.Close()
	ports := make([]int, len(addrs))
	for i, a := range addrs {
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		if ports[i], err = strconv.Atoi(p); err != nil {
			t.Fatal(err)
		}
	}
	second := start(t, 2, Ports(ports...))
	if got := second.Addrs(); strings.Join(got, ",") != strings.Join(addrs, ",") {
		t.Fatalf("restarted on %v, want %v", got, addrs)
	}
	for _, a := range addrs {
		apiVersions(t, a)
	}
	if _, err := Start(1, Ports(ports...)); err == nil || !strings.Contains(err.Error(), "2 ports for 1 brokers") {
		t.Errorf("Start(1) with 2 ports: %v", err)
	}
}

// Down refuses connects and drops the live ones at once; Up answers again
// on the same addresses, with the cluster's state kept: a topic created
// before Down is still there, with the same id.
func TestDownAndUp(t *testing.T) {
	c := start(t, 2, SeedTopics(2, "kept"))
	addrs := c.Addrs()
	before := topicState(t, addrs[0], "kept")
	conn := dial(t, addrs[0])
	roundTrip(t, conn, kafkawire.ApiVersions(1, "embedded-test", 0))

	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		readErr <- err
	}()
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("a read after Down returned data")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read still blocked 10s after Down")
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Fatalf("dial to %s succeeded while down", a)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial to %s while down: %v, want connection refused", a, err)
		}
	}
	if err := c.Down(); err != nil {
		t.Fatalf("a second Down: %v", err)
	}
	if err := c.Up(); err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		apiVersions(t, a)
	}
	t.Logf("before Down: %s", before)
	if after := topicState(t, addrs[1], "kept"); after != before {
		t.Errorf("topic after Up: %s; before Down: %s", after, before)
	}
	if err := c.Up(); err != nil {
		t.Fatalf("a second Up: %v", err)
	}
	c.Close()
	if err := c.Down(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Down after Close = %v, want net.ErrClosed", err)
	}
}

// Close of a cluster that is down returns, with every goroutine ended.
func TestCloseWhileDown(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Start(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close of a cluster that is down still running after 10s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before Start, %d after Close", before, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// topicState asks the broker at addr, through kgo, for topic's id and its
// partitions' leaders, as one comparable string.
func topicState(t *testing.T, addr, topic string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kgoTimeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("Metadata for %s: %+v", topic, resp.Topics)
	}
	tp := resp.Topics[0]
	leaders := make([]string, len(tp.Partitions))
	for i, p := range tp.Partitions {
		leaders[i] = fmt.Sprintf("%d:%d", p.Partition, p.Leader)
	}
	slices.Sort(leaders)
	return fmt.Sprintf("id %x, partitions %v", tp.TopicID, leaders)
}
