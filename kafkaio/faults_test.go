package kafkaio_test

// The fault matrix: one row per way a network or a caller can misbehave,
// each asserting the kafkaerr code, the cause in the chain, the elapsed
// time, the IO's state afterwards, and (through leakcheck) that no fd or
// goroutine is left behind. The tables follow the list: connect,
// send, receive, frames, argument errors.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/dnsstub"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// ---------------------------------------------------------------- connect

// faultConnectRow is a row of New's table. target builds what New connects to
// (a peer, a refused port, a DNS stub, ...) and returns the Config and, for
// a row that must connect, the address the IO must report.
type faultConnectRow struct {
	name   string
	target func(t *testing.T) (cfg kafkaio.Config, wantAddr string)
	// cancelAfter, when set, cancels New's context that long after the
	// start, instead of letting the timeout run out.
	cancelAfter time.Duration
	want        faultWant
}

// Names under .test (RFC 6761) are in no hosts file, so the resolver asks
// the DNS stub about them and never anyone else.
const (
	faultBrokerName = "broker.kafkaio.test"
	faultV4OnlyName = "v4only.kafkaio.test"
)

var faultLoopback4 = netip.MustParseAddr("127.0.0.1")

// faultRefusing4 is a loopback address nothing listens on: the peers of
// these tests bind 127.0.0.1 only, so a connect to 127.0.0.2 is refused at
// once whatever the port.
var faultRefusing4 = netip.MustParseAddr("127.0.0.2")

func TestFaultsConnect(t *testing.T) {
	dnsTimeout := []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}
	rows := []faultConnectRow{{
		name: "refused port",
		target: func(t *testing.T) (kafkaio.Config, string) {
			return kafkaio.Config{Host: "127.0.0.1", Port: testpeer.RefusedPort(t, "tcp4")}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: []error{syscall.ECONNREFUSED}, phase: "connect",
			notCause: []error{context.DeadlineExceeded}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "refused port on IPv6",
		target: func(t *testing.T) (kafkaio.Config, string) {
			return kafkaio.Config{Host: "::1", Port: testpeer.RefusedPort(t, "tcp6")}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: []error{syscall.ECONNREFUSED}, phase: "connect",
			took: faultQuick(), state: faultNoIO},
	}, {
		name: "full-backlog listener: the connect times out",
		target: func(t *testing.T) (kafkaio.Config, string) {
			host, port := testpeer.FullBacklog(t, "tcp4")
			return kafkaio.Config{Host: host, Port: port, Timeout: faultTimeout}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: dnsTimeout, phase: "connect",
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		// A refused first address and a black-holed second: the deadline
		// ends New during attempt 2, and the error must say so and match
		// the deadline sentinels, not carry only attempt 1's refusal.
		name: "refused address then a full backlog: New's deadline ends attempt 2",
		target: func(t *testing.T) (kafkaio.Config, string) {
			host, port := testpeer.FullBacklog(t, "tcp4")
			r := faultResolver(t, dnsstub.Config{Hosts: map[string][]netip.Addr{
				faultBrokerName: {faultRefusing4, netip.MustParseAddr(host)},
			}}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: port, Resolver: r, Timeout: faultTimeout}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: dnsTimeout, phase: "connect",
			detail: []string{"budget ran out during attempt 2 of 2", "connection refused"},
			took:   faultAt(faultTimeout), state: faultNoIO},
	}, {
		name:        "refused address then a full backlog: cancelled during attempt 2",
		cancelAfter: 100 * time.Millisecond,
		target: func(t *testing.T) (kafkaio.Config, string) {
			host, port := testpeer.FullBacklog(t, "tcp4")
			r := faultResolver(t, dnsstub.Config{Hosts: map[string][]netip.Addr{
				faultBrokerName: {faultRefusing4, netip.MustParseAddr(host)},
			}}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: port, Resolver: r, Timeout: faultPatience}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: []error{context.Canceled}, phase: "connect",
			notCause: []error{context.DeadlineExceeded},
			detail:   []string{"context was cancelled during attempt 2 of 2", "connection refused"},
			took:     faultAt(100 * time.Millisecond), state: faultNoIO},
	}, {
		name: "unresolvable name (NXDOMAIN)",
		target: func(t *testing.T) (kafkaio.Config, string) {
			r := faultResolver(t, dnsstub.Config{}, true)
			return kafkaio.Config{Host: "nowhere.kafkaio.test", Port: 9092, Resolver: r, Timeout: faultPatience}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, as: faultDNSError(true), phase: "resolve",
			detail: []string{"nowhere.kafkaio.test"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "name with only an IPv4 address, IPv6 asked",
		target: func(t *testing.T) (kafkaio.Config, string) {
			r := faultResolver(t, dnsstub.Config{Hosts: map[string][]netip.Addr{faultV4OnlyName: {faultLoopback4}}}, true)
			return kafkaio.Config{Host: faultV4OnlyName, Port: 9092, IPVersion: kafkaio.IPv6, Resolver: r, Timeout: faultPatience}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, as: faultDNSError(false), phase: "resolve",
			detail: []string{faultV4OnlyName + " resolves to 127.0.0.1 only", "IPVersion IPv6"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "DNS server on loopback that never answers: New ends at its timeout",
		target: func(t *testing.T) (kafkaio.Config, string) {
			r := faultResolver(t, dnsstub.Config{Silent: true}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: 9092, Resolver: r, Timeout: faultTimeout}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: dnsTimeout, as: faultDNSError(false), phase: "resolve",
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		name: "DNS answer later than the whole budget",
		target: func(t *testing.T) (kafkaio.Config, string) {
			r := faultResolver(t, dnsstub.Config{Hosts: faultBrokerHosts(), Delay: 5 * time.Second}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: 9092, Resolver: r, Timeout: faultTimeout}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: dnsTimeout, phase: "resolve",
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		// Resolution and connect share one budget: a slow answer leaves the
		// connect only what remains (Kafka::IO gave each its own).
		name: "slow DNS then a full backlog: New still ends at its one timeout",
		target: func(t *testing.T) (kafkaio.Config, string) {
			host, port := testpeer.FullBacklog(t, "tcp4")
			r := faultResolver(t, dnsstub.Config{
				Hosts: map[string][]netip.Addr{faultBrokerName: {netip.MustParseAddr(host)}},
				Delay: 2 * faultTimeout / 3,
			}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: port, Resolver: r, Timeout: faultTimeout}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: dnsTimeout, phase: "connect",
			took: faultAt(faultTimeout), state: faultNoIO},
	}, {
		name: "slow DNS within the budget connects",
		target: func(t *testing.T) (kafkaio.Config, string) {
			p := testpeer.Start(t, "tcp4")
			r := faultResolver(t, dnsstub.Config{Hosts: faultBrokerHosts(), Delay: 100 * time.Millisecond}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: p.Port(), Resolver: r, Timeout: faultPatience}, p.Addr()
		},
		want: faultWant{took: faultSpan{100 * time.Millisecond, faultPatience}, state: faultOpen},
	}, {
		name:        "context cancelled while DNS is silent",
		cancelAfter: 100 * time.Millisecond,
		target: func(t *testing.T) (kafkaio.Config, string) {
			r := faultResolver(t, dnsstub.Config{Silent: true}, true)
			return kafkaio.Config{Host: faultBrokerName, Port: 9092, Resolver: r, Timeout: faultPatience}, ""
		},
		want: faultWant{code: kafkaerr.CannotBind, causes: []error{context.Canceled}, phase: "resolve",
			notCause: []error{context.DeadlineExceeded}, took: faultAt(100 * time.Millisecond), state: faultNoIO},
	}, {
		name: "IPv4-only literal with IPv6",
		target: func(t *testing.T) (kafkaio.Config, string) {
			return kafkaio.Config{Host: "127.0.0.1", Port: 9092, IPVersion: kafkaio.IPv6}, ""
		},
		want: faultWant{code: kafkaerr.IncompatibleHostIPVersion, as: faultNoCause, phase: "resolve",
			detail: []string{"127.0.0.1", "IPv6"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "IPv6-only literal with IPv4",
		target: func(t *testing.T) (kafkaio.Config, string) {
			return kafkaio.Config{Host: "::1", Port: 9092, IPVersion: kafkaio.IPv4}, ""
		},
		want: faultWant{code: kafkaerr.IncompatibleHostIPVersion, as: faultNoCause, phase: "resolve",
			detail: []string{"::1", "IPv4"}, took: faultQuick(), state: faultNoIO},
	}, {
		name: "bracketed IPv6 literal with IPv4",
		target: func(t *testing.T) (kafkaio.Config, string) {
			return kafkaio.Config{Host: "[::1]", Port: 9092, IPVersion: kafkaio.IPv4}, ""
		},
		want: faultWant{code: kafkaerr.IncompatibleHostIPVersion, as: faultNoCause,
			took: faultQuick(), state: faultNoIO},
	}, {
		name: "[::1] with a port",
		target: func(t *testing.T) (kafkaio.Config, string) {
			p := testpeer.Start(t, "tcp6")
			return kafkaio.Config{Host: "[::1]", Port: p.Port()}, "[::1]:" + strconv.Itoa(p.Port())
		},
		want: faultWant{took: faultQuick(), state: faultOpen},
	}, {
		name: "::1 without brackets",
		target: func(t *testing.T) (kafkaio.Config, string) {
			p := testpeer.Start(t, "tcp6")
			return kafkaio.Config{Host: "::1", Port: p.Port()}, "[::1]:" + strconv.Itoa(p.Port())
		},
		want: faultWant{took: faultQuick(), state: faultOpen},
	}, {
		name: "[::1] with a port and IPv6",
		target: func(t *testing.T) (kafkaio.Config, string) {
			p := testpeer.Start(t, "tcp6")
			return kafkaio.Config{Host: "[::1]", Port: p.Port(), IPVersion: kafkaio.IPv6}, "[::1]:" + strconv.Itoa(p.Port())
		},
		want: faultWant{took: faultQuick(), state: faultOpen},
	}}
	rows = append(rows, faultLocalhostRows(t)...)

	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			cfg, wantAddr := row.target(t)
			ctx := context.Background()
			// The clock starts before the cancellation's timer, so that a
			// call cancelled after cancelAfter never measures less.
			began := time.Now()
			if row.cancelAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer time.AfterFunc(row.cancelAfter, cancel).Stop()
				defer cancel()
			}
			c, err := kafkaio.NewContext(ctx, cfg)
			took := time.Since(began)
			faultLogErr(t, err)
			if c != nil {
				t.Cleanup(func() { c.Close() })
			}
			faultCheckErr(t, err, took, row.want)
			faultCheckState(t, c, row.want.state, nil)
			if c != nil && wantAddr != "" && c.Addr() != wantAddr {
				t.Errorf("Addr() = %q, want %q", c.Addr(), wantAddr)
			}
		})
	}
}

// faultBrokerHosts is the DNS stub's zone for rows that resolve the broker
// name to IPv4 loopback.
func faultBrokerHosts() map[string][]netip.Addr {
	return map[string][]netip.Addr{faultBrokerName: {faultLoopback4}}
}

// faultLocalhostRows are `localhost` with each IPVersion. What localhost
// means comes from /etc/hosts, which differs between machines, so the rows
// ask the same resolver first and expect what it says: with IPAny and IPv4
// New must reach an IPv4 peer whatever order the addresses come in; with
// IPv6 it must reach an IPv6 peer when localhost has ::1, and fail with
// CannotBind, quickly, when it has not. The resolver's DNS fallback is a
// stub on loopback, so no query for localhost leaves the machine.
func faultLocalhostRows(t *testing.T) []faultConnectRow {
	has6, err := faultLocalhostHasIPv6(t)
	if err != nil {
		// A machine without localhost cannot run these rows; say so
		// rather than pass them.
		return []faultConnectRow{{
			name: "localhost",
			target: func(t *testing.T) (kafkaio.Config, string) {
				t.Skipf("localhost does not resolve on this machine: %v", err)
				return kafkaio.Config{}, ""
			},
		}}
	}
	hostsResolver := func(t *testing.T) *net.Resolver { return faultResolver(t, dnsstub.Config{}, false) }
	v4 := func(version kafkaio.IPVersion) func(t *testing.T) (kafkaio.Config, string) {
		return func(t *testing.T) (kafkaio.Config, string) {
			p := testpeer.Start(t, "tcp4")
			return kafkaio.Config{Host: "localhost", Port: p.Port(), IPVersion: version, Resolver: hostsResolver(t)}, p.Addr()
		}
	}
	rows := []faultConnectRow{
		{name: "localhost with IPAny reaches an IPv4 peer", target: v4(kafkaio.IPAny),
			want: faultWant{took: faultQuick(), state: faultOpen}},
		{name: "localhost with IPv4", target: v4(kafkaio.IPv4),
			want: faultWant{took: faultQuick(), state: faultOpen}},
	}
	if has6 {
		rows = append(rows, faultConnectRow{
			name: "localhost with IPv6 (this machine maps it to ::1)",
			target: func(t *testing.T) (kafkaio.Config, string) {
				p := testpeer.Start(t, "tcp6")
				return kafkaio.Config{Host: "localhost", Port: p.Port(), IPVersion: kafkaio.IPv6, Resolver: hostsResolver(t)}, p.Addr()
			},
			want: faultWant{took: faultQuick(), state: faultOpen},
		})
	} else {
		rows = append(rows, faultConnectRow{
			name: "localhost with IPv6 (this machine maps it to IPv4 only)",
			target: func(t *testing.T) (kafkaio.Config, string) {
				return kafkaio.Config{Host: "localhost", Port: 9092, IPVersion: kafkaio.IPv6, Resolver: hostsResolver(t)}, ""
			},
			want: faultWant{code: kafkaerr.CannotBind, phase: "resolve", detail: []string{"localhost"},
				took: faultQuick(), state: faultNoIO},
		})
	}
	return rows
}

// faultLocalhostHasIPv6 asks the stub-backed resolver whether localhost has
// an IPv6 address on this machine.
func faultLocalhostHasIPv6(t *testing.T) (bool, error) {
	t.Helper()
	dns := dnsstub.Start(t, dnsstub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), faultPatience)
	defer cancel()
	ips, err := dns.Resolver().LookupNetIP(ctx, "ip", "localhost")
	if err != nil {
		return false, err
	}
	for _, ip := range ips {
		if ip.Unmap().Is6() {
			t.Logf("localhost is %v here: the IPv6 row expects to connect to [::1]", ips)
			return true, nil
		}
	}
	t.Logf("localhost is %v here (no ::1 in /etc/hosts): the IPv6 row expects CannotBind", ips)
	return false, nil
}

// ---------------------------------------------------------------- IO calls

// faultIORow is a row of the Send, Receive and frame tables: a peer that runs
// script, an IO connected to it with cfg, optionally brought to the state
// the call starts in by ready, then call, then the checks; after, when set,
// checks what the peer saw.
type faultIORow struct {
	name   string
	script []testpeer.Step
	cfg    kafkaio.Config // Host and Port come from the peer
	ready  func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer)
	call   faultCall
	want   faultWant
	after  func(t *testing.T, p *testpeer.Peer)
}

// faultCall is what a row does with the IO; the error it returns is the
// call's, or one of its own when a call that succeeded returned the wrong
// bytes.
type faultCall func(c *kafkaio.IO) error

// faultRunIORows runs each row as a subtest with its own leak check.
func faultRunIORows(t *testing.T, rows []faultIORow) {
	t.Helper()
	faultRunRows(t, rows, nil)
}

// faultRunRows runs each row against a peer started by start (nil: a
// plaintext testpeer) and an IO that connects with tlsConf (nil:
// plaintext).
func faultRunRows(t *testing.T, rows []faultIORow, tlsConf *tls.Config) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			cfg := row.cfg
			if cfg.Timeout == 0 {
				cfg.Timeout = faultPatience
			}
			var p *testpeer.Peer
			if tlsConf != nil {
				p = testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), row.script...)
				cfg.TLS = tlsConf
			} else {
				p = testpeer.Start(t, "tcp4", row.script...)
			}
			c := connect(t, p, cfg)
			if _, ok := c.ConnectionState(); ok != (tlsConf != nil) {
				t.Fatalf("ConnectionState says TLS is %v, want %v", ok, tlsConf != nil)
			}
			if row.ready != nil {
				row.ready(t, c, p)
			}
			began := time.Now()
			err := row.call(c)
			took := time.Since(began)
			faultLogErr(t, err)
			faultCheckErr(t, err, took, row.want)
			faultCheckState(t, c, row.want.state, err)
			if row.after != nil {
				row.after(t, p)
			}
			if perr := p.Err(); perr != nil {
				t.Errorf("the peer failed: %v", perr)
			}
		})
	}
}

// The calls rows make.

// faultSend sends msg, which the row builds beforehand: making 64 MiB
// under the race detector takes longer than some rows' deadlines.
func faultSend(msg []byte) faultCall {
	return func(c *kafkaio.IO) error {
		got, err := c.Send(msg)
		if err == nil && got != len(msg) {
			return fmt.Errorf("Send returned %d, want %d", got, len(msg))
		}
		return err
	}
}

func faultReceive(n int) faultCall {
	return func(c *kafkaio.IO) error {
		_, err := c.Receive(n)
		return err
	}
}

// faultReceiveFrame reads one frame; when it succeeds, the body must be want.
func faultReceiveFrame(want []byte) faultCall {
	return func(c *kafkaio.IO) error {
		body, err := c.ReceiveFrame(context.Background(), nil)
		if err == nil && !bytes.Equal(body, want) {
			return fmt.Errorf("ReceiveFrame returned %d bytes %.16x..., want %d bytes %.16x...", len(body), body, len(want), want)
		}
		return err
	}
}

// faultCancelAfter runs call with a context cancelled d after it starts.
func faultCancelAfter(d time.Duration, call func(ctx context.Context, c *kafkaio.IO) error) faultCall {
	return func(c *kafkaio.IO) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer time.AfterFunc(d, cancel).Stop()
		return call(ctx, c)
	}
}

// faultCloseAfter runs call while another goroutine closes the IO d after
// the call starts.
func faultCloseAfter(d time.Duration, call faultCall) faultCall {
	return func(c *kafkaio.IO) error {
		closed := make(chan struct{})
		timer := time.AfterFunc(d, func() {
			defer close(closed)
			c.Close()
		})
		err := call(c)
		if timer.Stop() {
			close(closed) // the call ended first: no Close ran
		}
		<-closed
		return err
	}
}

// faultSendFirst has the client send a 4-byte request before the call, as
// a client does before waiting for an answer, so that the peer's script can
// start by reading it.
func faultSendFirst(t *testing.T, c *kafkaio.IO, _ *testpeer.Peer) {
	t.Helper()
	if _, err := c.Send([]byte("req!")); err != nil {
		t.Fatalf("sending the request: %v", err)
	}
}

// faultCloseFirst closes the IO before the call.
func faultCloseFirst(_ *testing.T, c *kafkaio.IO, _ *testpeer.Peer) { c.Close() }

// faultAwaitPeerGone waits until the peer's script ended and the client's
// socket has seen its FIN or reset, so that the call starts with the peer
// already gone, not racing it. IsAlive reads the TCP state: it consumes
// neither bytes nor a pending error.
func faultAwaitPeerGone(t *testing.T, c *kafkaio.IO, p *testpeer.Peer) {
	t.Helper()
	faultWaitDone(t, p)
	faultWaitFor(t, "the client to see the peer hang up", func() bool { return !c.IsAlive() })
}

// faultReceivedAll checks that the peer got exactly msg.
func faultReceivedAll(msg []byte, digest *faultHashed) func(t *testing.T, p *testpeer.Peer) {
	return func(t *testing.T, _ *testpeer.Peer) {
		sum, got := digest.wait(t)
		if want := sha256.Sum256(msg); got != len(msg) || sum != want {
			t.Errorf("the peer read %d bytes with digest %x, want %d bytes with digest %x", got, sum[:8], len(msg), want[:8])
		}
	}
}

func TestFaultsSend(t *testing.T) {
	const bigSend = 16 * faultMiB
	small, big, huge := faultPayload(faultKiB), faultPayload(bigSend), faultPayload(64*faultMiB)
	slowDigest := newFaultHashed()
	rows := []faultIORow{{
		name:   "peer closed before the first byte",
		script: []testpeer.Step{testpeer.Close()},
		ready:  faultAwaitPeerGone,
		call:   faultSend(small),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{io.EOF}, phase: "peer check", progress: faultNone(faultKiB),
			took: faultQuick(), state: faultClosed},
	}, {
		name:   "peer reset mid-send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(64 * faultKiB), testpeer.Read(64 * faultKiB), testpeer.Reset()},
		cfg:    kafkaio.Config{SendBufferBytes: 64 * faultKiB},
		call:   faultSend(big),
		want: faultWant{code: kafkaerr.CannotSend, anyCause: []error{syscall.ECONNRESET, syscall.EPIPE},
			progress: faultBytes(64*faultKiB, bigSend-1, bigSend), took: faultQuick(), state: faultClosed},
	}, {
		name:   "peer that never reads: times out with the bytes it managed",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: faultTimeout, SendBufferBytes: 16 * faultKiB},
		call:   faultSend(big),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{context.DeadlineExceeded, os.ErrDeadlineExceeded},
			phase: "wait writable", progress: faultSome(bigSend), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		// Tens of thousands of partial writes, each followed by a wait: a
		// retry cap that counted them (Kafka::IO's did) would fail this.
		name:   "64 MiB to a slow but steady reader succeeds",
		script: []testpeer.Step{faultHashingReader(64*faultMiB, 128*faultKiB, 2*time.Millisecond, slowDigest)},
		cfg:    kafkaio.Config{Timeout: 4 * faultPatience},
		call:   faultSend(huge),
		want:   faultWant{took: faultSpan{0, 4 * faultPatience}, state: faultOpen},
		after:  faultReceivedAll(huge, slowDigest),
	}, {
		name:  "send after Close",
		ready: faultCloseFirst,
		call:  faultSend(small),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{net.ErrClosed}, progress: faultNone(faultKiB),
			took: faultQuick(), state: faultClosed},
	}, {
		// Part of the request is out: sending it again is not known to be
		// safe, so this is not NoConnection (see IO.Close).
		name:   "Close from another goroutine during a stalled send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{SendBufferBytes: 16 * faultKiB},
		call:   faultCloseAfter(100*time.Millisecond, faultSend(big)),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{net.ErrClosed},
			notCause: []error{context.DeadlineExceeded}, progress: faultSome(bigSend),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		// The reset is seen by the check before the first byte: the one
		// Send failure after which sending again is safe.
		name:   "peer reset before the first byte",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Reset()},
		ready: func(t *testing.T, c *kafkaio.IO, p *testpeer.Peer) {
			faultSendFirst(t, c, p)
			faultAwaitPeerGone(t, c, p)
		},
		call: faultSend(small),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultUnsent, causes: []error{syscall.ECONNRESET}, phase: "peer check",
			progress: faultNone(faultKiB), took: faultQuick(), state: faultClosed},
	}, {
		name:   "context cancelled during a stalled send",
		script: []testpeer.Step{testpeer.SetRecvBuffer(16 * faultKiB), testpeer.Stall()},
		cfg:    kafkaio.Config{SendBufferBytes: 16 * faultKiB},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.SendContext(ctx, big)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotSend, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultSome(bigSend),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}}
	faultRunIORows(t, rows)
}

func TestFaultsReceive(t *testing.T) {
	deadline := []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}
	rows := []faultIORow{{
		name:   "silence: times out at its deadline",
		script: []testpeer.Step{testpeer.Stall()},
		cfg:    kafkaio.Config{Timeout: faultTimeout},
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, phase: "wait readable",
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		// 64 bytes at 50 ms take 3.2 s; a deadline per syscall would be
		// met by every byte and never fire.
		name:   "dribble one byte every 50 ms past the deadline: ends at the deadline",
		script: []testpeer.Step{testpeer.Dribble(testpeer.Pattern(64), 50*time.Millisecond)},
		cfg:    kafkaio.Config{Timeout: faultTimeout},
		call:   faultReceive(64),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, progress: faultSome(64),
			took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name: "dribbled frame: size and body share one deadline",
		script: []testpeer.Step{testpeer.WriteSize(64),
			testpeer.Dribble(testpeer.Pattern(64), 50*time.Millisecond)},
		cfg:  kafkaio.Config{Timeout: faultTimeout},
		call: faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, progress: faultBytes(5, 67, 68),
			took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "half a frame then FIN",
		script: []testpeer.Step{testpeer.WriteSize(100), testpeer.Write(testpeer.Pattern(50)), testpeer.FIN()},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{io.ErrUnexpectedEOF},
			progress: faultBytes(54, 54, 104), took: faultQuick(), state: faultClosed},
	}, {
		name:   "half a size prefix then FIN",
		script: []testpeer.Step{testpeer.Write([]byte{0, 0}), testpeer.FIN()},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{io.ErrUnexpectedEOF},
			progress: faultBytes(2, 2, 4), took: faultQuick(), state: faultClosed},
	}, {
		name:   "FIN first",
		script: []testpeer.Step{testpeer.FIN()},
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{io.EOF},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name:   "FIN first, reading a frame",
		script: []testpeer.Step{testpeer.FIN()},
		call:   faultReceiveFrame(nil),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{io.EOF},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name:   "reset before any byte",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Reset()},
		ready:  faultSendFirst,
		call:   faultReceive(4),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{syscall.ECONNRESET},
			progress: faultNone(4), took: faultQuick(), state: faultClosed},
	}, {
		name: "reset mid-receive",
		script: []testpeer.Step{testpeer.Read(4), testpeer.Write(testpeer.Pattern(10)),
			testpeer.Sleep(100 * time.Millisecond), testpeer.Reset()},
		ready: faultSendFirst,
		call:  faultReceive(100),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{syscall.ECONNRESET},
			progress: faultBytes(10, 10, 100), took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context cancelled mid-wait",
		script: []testpeer.Step{testpeer.Stall()},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.ReceiveContext(ctx, 4)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultNone(4),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context cancelled mid-frame",
		script: []testpeer.Step{testpeer.WriteSize(64), testpeer.Write(testpeer.Pattern(10)), testpeer.Stall()},
		call: faultCancelAfter(100*time.Millisecond, func(ctx context.Context, c *kafkaio.IO) error {
			_, err := c.ReceiveFrame(ctx, nil)
			return err
		}),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{context.Canceled},
			notCause: []error{context.DeadlineExceeded}, progress: faultBytes(14, 14, 68),
			took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "context deadline shorter than the timeout",
		script: []testpeer.Step{testpeer.Stall()},
		call: func(c *kafkaio.IO) error {
			ctx, cancel := context.WithTimeout(context.Background(), faultTimeout)
			defer cancel()
			_, err := c.ReceiveContext(ctx, 4)
			return err
		},
		want: faultWant{code: kafkaerr.CannotRecv, causes: deadline, notCause: []error{context.Canceled},
			progress: faultNone(4), took: faultAt(faultTimeout), state: faultClosed},
	}, {
		name:   "Close from another goroutine",
		script: []testpeer.Step{testpeer.Stall()},
		call:   faultCloseAfter(100*time.Millisecond, faultReceive(4)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{net.ErrClosed},
			notCause: []error{context.DeadlineExceeded}, took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		name:   "Close from another goroutine, reading a frame",
		script: []testpeer.Step{testpeer.Stall()},
		call:   faultCloseAfter(100*time.Millisecond, faultReceiveFrame(nil)),
		want: faultWant{code: kafkaerr.NoConnection, detail: faultMaybeDone, causes: []error{net.ErrClosed},
			progress: faultNone(4), took: faultAt(100 * time.Millisecond), state: faultClosed},
	}, {
		// Part of the response was read and is lost with the connection:
		// not NoConnection, which would promise a retry is safe.
		name:   "Close from another goroutine mid-frame",
		script: []testpeer.Step{testpeer.WriteSize(64), testpeer.Write(testpeer.Pattern(10)), testpeer.Stall()},
		call:   faultCloseAfter(100*time.Millisecond, faultReceiveFrame(nil)),
		want: faultWant{code: kafkaerr.CannotRecv, causes: []error{net.ErrClosed},
			progress: faultBytes(14, 14, 68), took: faultAt(100 * time.Millisecond), state: faultClosed},
	}}
	faultRunIORows(t, rows)
}

// ---------------------------------------------------------------- frames

func TestFaultsFrames(t *testing.T) {
	// badSize is the row of a size prefix that cannot start a Kafka
	// response: refused as soon as its four bytes are in, before any
	// allocation, with a message that quotes them.
	badSize := func(detail ...string) faultWant {
		return faultWant{code: kafkaerr.CannotRecv, as: faultNoCause, phase: "frame size", detail: detail,
			progress: faultBytes(4, 4, 4), took: faultQuick(), state: faultClosed}
	}
	accepted := faultWant{took: faultQuick(), state: faultOpen}
	const smallCap = 64 * faultKiB
	tlsAlert := []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28} // fatal handshake_failure
	tlsHello := []byte{0x16, 0x03, 0x01, 0x00, 0x2a, 0x01, 0x00}
	httpReply := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

	rows := []faultIORow{
		{name: "negative size", script: []testpeer.Step{testpeer.WriteSize(-1)},
			call: faultReceiveFrame(nil), want: badSize("frame size -1", "ff ff ff ff", "negative")},
		{name: "most negative size", script: []testpeer.Step{testpeer.WriteSize(math.MinInt32)},
			call: faultReceiveFrame(nil), want: badSize("frame size -2147483648", "negative")},
	}
	for size := range int32(4) {
		rows = append(rows, faultIORow{name: fmt.Sprintf("size %d", size),
			script: []testpeer.Step{testpeer.WriteSize(size), testpeer.Write(testpeer.Pattern(int(size)))},
			call:   faultReceiveFrame(nil), want: badSize(fmt.Sprintf("frame size %d", size), "too small")})
	}
	rows = append(rows, []faultIORow{
		{name: "size 4, a bare correlation id, is accepted",
			script: []testpeer.Step{testpeer.WriteFrame([]byte{0, 0, 0, 7})},
			call:   faultReceiveFrame([]byte{0, 0, 0, 7}), want: accepted},
		{name: "size over the cap", script: []testpeer.Step{testpeer.WriteSize(smallCap + 1)},
			cfg:  kafkaio.Config{MaxResponseBytes: smallCap},
			call: faultReceiveFrame(nil), want: badSize(fmt.Sprintf("frame size %d", smallCap+1), fmt.Sprintf("over the %d-byte response limit", smallCap))},
		{name: "size at the cap is accepted", script: []testpeer.Step{testpeer.WriteFrame(testpeer.Pattern(smallCap))},
			cfg:  kafkaio.Config{MaxResponseBytes: smallCap},
			call: faultReceiveFrame(testpeer.Pattern(smallCap)), want: accepted},
		{name: "size over the default 100 MiB cap", script: []testpeer.Step{testpeer.WriteSize(kafkaio.MaxRequestBytes + 1)},
			call: faultReceiveFrame(nil), want: badSize("over the 104857600-byte response limit")},
		{name: "TLS alert bytes", script: []testpeer.Step{testpeer.Write(tlsAlert)},
			call: faultReceiveFrame(nil), want: badSize("frame size 352518912", "15 03 03 00", "TLS alert", "TLS listener")},
		{name: "TLS handshake bytes", script: []testpeer.Step{testpeer.Write(tlsHello)},
			call: faultReceiveFrame(nil), want: badSize("TLS handshake", "TLS listener")},
		{name: "HTTP/1.1 400", script: []testpeer.Step{testpeer.Write(httpReply)},
			call: faultReceiveFrame(nil), want: badSize("48 54 54 50", "HTTP response")},
		{name: "some other text protocol", script: []testpeer.Step{testpeer.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))},
			call: faultReceiveFrame(nil), want: badSize(`"SSH-"`, "is this a Kafka port?")},
	}...)
	faultRunIORows(t, rows)
}

// ---------------------------------------------------------------- arguments

// TestFaultsArguments covers every invalid input the core issue names:
// each is MismatchArgument, returned at once, naming the argument, and none
// touches an open IO, which then still makes a round trip.
func TestFaultsArguments(t *testing.T) {
	t.Run("New", func(t *testing.T) {
		for _, row := range []struct {
			name   string
			cfg    kafkaio.Config
			detail string
		}{
			{"empty Host", kafkaio.Config{}, "Host is empty"},
			{"Host of empty brackets", kafkaio.Config{Host: "[]"}, "Host is empty"},
			{"negative Port", kafkaio.Config{Host: "127.0.0.1", Port: -1}, "Port -1"},
			{"Port over 65535", kafkaio.Config{Host: "127.0.0.1", Port: 65536}, "Port 65536"},
			{"negative Timeout", kafkaio.Config{Host: "127.0.0.1", Timeout: -time.Nanosecond}, "Timeout -1ns"},
			{"IPVersion 5", kafkaio.Config{Host: "127.0.0.1", IPVersion: 5}, "IPVersion 5"},
			{"IPVersion -4", kafkaio.Config{Host: "127.0.0.1", IPVersion: -4}, "IPVersion -4"},
			{"negative SendBufferBytes", kafkaio.Config{Host: "127.0.0.1", SendBufferBytes: -1}, "SendBufferBytes -1"},
			{"negative RecvBufferBytes", kafkaio.Config{Host: "127.0.0.1", RecvBufferBytes: -1}, "RecvBufferBytes -1"},
			{"negative MaxResponseBytes", kafkaio.Config{Host: "127.0.0.1", MaxResponseBytes: -1}, "MaxResponseBytes -1"},
			{"MaxResponseBytes over int32", kafkaio.Config{Host: "127.0.0.1", MaxResponseBytes: math.MaxInt32 + 1}, "MaxResponseBytes 2147483648"},
			{"nil context", kafkaio.Config{Host: "127.0.0.1"}, "context is nil"},
		} {
			t.Run(row.name, func(t *testing.T) {
				t.Cleanup(leakcheck.Verify(t))
				ctx := context.Background()
				if row.detail == "context is nil" {
					ctx = nilContext
				}
				began := time.Now()
				c, err := kafkaio.NewContext(ctx, row.cfg)
				want := faultWant{code: kafkaerr.MismatchArgument, as: faultNoCause, detail: []string{row.detail},
					took: faultQuick(), state: faultNoIO}
				faultCheckErr(t, err, time.Since(began), want)
				faultCheckState(t, c, faultNoIO, nil)
			})
		}
	})

	t.Run("calls", func(t *testing.T) {
		const maxResp = 64 * faultKiB
		tooBig := make([]byte, kafkaio.MaxRequestBytes+1) // never written to: untouched pages cost nothing
		for _, row := range []struct {
			name   string
			call   faultCall
			detail string
		}{
			{"Send of nil", func(c *kafkaio.IO) error { _, err := c.Send(nil); return err }, "message is empty"},
			{"Send of an empty message", func(c *kafkaio.IO) error { _, err := c.Send([]byte{}); return err }, "message is empty"},
			{"Send over 100 MiB", func(c *kafkaio.IO) error { _, err := c.Send(tooBig); return err }, "over MaxRequestBytes"},
			{"SendContext over 100 MiB", func(c *kafkaio.IO) error {
				_, err := c.SendContext(context.Background(), tooBig)
				return err
			}, "over MaxRequestBytes"},
			{"Receive 0", faultReceive(0), "length 0"},
			{"Receive -1", faultReceive(-1), "length -1"},
			{"Receive over MaxResponseBytes", faultReceive(maxResp + 1), fmt.Sprintf("length %d", maxResp+1)},
			{"ReceiveContext 0", func(c *kafkaio.IO) error {
				_, err := c.ReceiveContext(context.Background(), 0)
				return err
			}, "length 0"},
			{"ReceiveInto nil", func(c *kafkaio.IO) error { return c.ReceiveInto(context.Background(), nil) }, "buffer is nil or empty"},
			{"ReceiveInto an empty buffer", func(c *kafkaio.IO) error {
				return c.ReceiveInto(context.Background(), make([]byte, 0, 16))
			}, "buffer is nil or empty"},
			// A nil context used to panic in the deadline code.
			{"SendContext with a nil context", func(c *kafkaio.IO) error {
				_, err := c.SendContext(nilContext, []byte("x"))
				return err
			}, "context is nil"},
			{"ReceiveContext with a nil context", func(c *kafkaio.IO) error {
				_, err := c.ReceiveContext(nilContext, 4)
				return err
			}, "context is nil"},
			{"ReceiveInto with a nil context", func(c *kafkaio.IO) error {
				return c.ReceiveInto(nilContext, make([]byte, 4))
			}, "context is nil"},
			{"ReceiveFrame with a nil context", func(c *kafkaio.IO) error {
				_, err := c.ReceiveFrame(nilContext, nil)
				return err
			}, "context is nil"},
		} {
			t.Run(row.name, func(t *testing.T) {
				t.Cleanup(leakcheck.Verify(t))
				p := testpeer.Start(t, "tcp4", testpeer.Echo())
				c := connect(t, p, kafkaio.Config{MaxResponseBytes: maxResp, Timeout: faultPatience})
				began := time.Now()
				err := row.call(c)
				want := faultWant{code: kafkaerr.MismatchArgument, as: faultNoCause, detail: []string{row.detail},
					took: faultQuick(), state: faultOpen}
				faultCheckErr(t, err, time.Since(began), want)
				faultCheckState(t, c, faultOpen, nil)
				faultRoundTrip(t, c)
			})
		}
	})
}

// What NoConnection's message must say: a Send that moved nothing wrote
// nothing, while a Receive's request was already sent.
var (
	faultUnsent    = []string{"nothing of the request was written: sending it again on a new connection is safe"}
	faultMaybeDone = []string{"its request was already sent and may have been carried out"}
)

// nilContext is a nil context.Context, which the ...Context calls must
// refuse as an argument rather than dereference.
var nilContext context.Context

// faultRoundTrip proves an IO still works: the echo peer returns what was sent.
func faultRoundTrip(t *testing.T, c *kafkaio.IO) {
	t.Helper()
	msg := []byte("still usable?")
	if _, err := c.Send(msg); err != nil {
		t.Fatalf("Send after the argument error: %v", err)
	}
	got, err := c.Receive(len(msg))
	if err != nil {
		t.Fatalf("Receive after the argument error: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("the echo came back as %q, want %q", got, msg)
	}
}
