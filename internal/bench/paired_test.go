package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/framesrv"
)

// BenchmarkPaired runs the serial cases with two clients alternately, op by
// op, timing every op, and reports each client's mean time per op
// ("<client>-ns/op") and their ratio (the first client's over the
// baseline's). Adjacent ops see the same machine, so the ratio holds up
// when the machine makes whole runs vary by a factor of two, as a shared
// two-core VM does. Its own ns/op is that of one op of each client.
//
// The parallel case alternates bursts rather than single ops: 64 connections
// of one client each make parallelBurst round trips at once, then 64 of the
// other. Mixing the clients' ops at the same moment would make them share
// the CPUs, and each one's CPU cost would then slow the other as much as
// itself.
func BenchmarkPaired(b *testing.B) {
	addr := framesrv.Start(b)
	debugPair := [2]namedDialer{{"logrus", dialKafkaio(discardLogger())}, {"nologger", dialKafkaio(nil)}}
	cases := []struct {
		name    string
		clients [2]namedDialer // the client, then its baseline
		op      pairOp
	}{
		{"RoundTrip64", impls, roundTripOp(smallBytes, smallBytes)},
		{"RoundTrip1MiB", impls, roundTripOp(smallBytes, largeResponseBytes)},
		{"Send16MiB", impls, sendOp(largeSendBytes)},
		{"DebugOff", debugPair, roundTripOp(smallBytes, smallBytes)},
		{"Pipelined16", [2]namedDialer(pipelineImpls), pipelineOp(16, smallBytes, smallBytes)},
		{"Pipelined64", [2]namedDialer(pipelineImpls), pipelineOp(64, smallBytes, smallBytes)},
		{"Pipelined64OneDeadline", [2]namedDialer(pipelineLeanImpls), pipelineOp(64, smallBytes, smallBytes)},
	}
	for _, pc := range cases {
		b.Run("case="+pc.name, func(b *testing.B) { pairedSerial(b, addr, pc.clients, pc.op) })
	}
	b.Run("case=Connect", func(b *testing.B) { pairedConnects(b, addr, impls) })
	b.Run("case=Parallel64", func(b *testing.B) {
		pairedBursts(b, addr, impls, parallelConns, roundTripOp(smallBytes, smallBytes))
	})
}

// pairOp is one timed operation: what to dial for it and how to run it.
type pairOp struct {
	requestBytes  int
	asks          int // the response size the request asks for; 0: none
	responseBytes int // the largest response the clients must be ready for
	run           func(c client, req []byte, id int32) error
	// settle, when set, makes each op start from idle connections: after
	// every timed op, an untimed small round trip on the same connection
	// waits until the server has read everything sent before it.
	settle bool
}

// roundTripOp is a round trip with the given sizes.
func roundTripOp(requestBytes, responseBytes int) pairOp {
	return pairOp{
		requestBytes:  requestBytes,
		asks:          responseBytes,
		responseBytes: responseBytes,
		run:           func(c client, req []byte, id int32) error { return c.roundTrip(req, id) },
	}
}

// pipelineOp is pipelineOps requests with inFlight of them in flight;
// the op's time is theirs together.
func pipelineOp(inFlight, requestBytes, responseBytes int) pairOp {
	return pairOp{
		requestBytes:  requestBytes,
		asks:          responseBytes,
		responseBytes: responseBytes,
		run: func(c client, req []byte, id int32) error {
			return c.pipeline(req, id*pipelineOps, pipelineOps, inFlight)
		},
	}
}

// sendOp is a send-only request of the given size. Its sends are settled:
// otherwise each send would be slowed by the server still draining the one
// before it, on the other connection, and the ratio would be mostly noise.
func sendOp(requestBytes int) pairOp {
	return pairOp{
		requestBytes:  requestBytes,
		responseBytes: framesrv.MinResponseBytes, // for the settling round trips
		run:           func(c client, req []byte, _ int32) error { return c.send(req) },
		settle:        true,
	}
}

// pair is one connection of each client, used alternately.
type pair struct {
	clients  [2]client
	reqs     [2][]byte // the op's request, one each: the correlation id is written into it
	settlers [2][]byte // the settling round trip's request
	spent    [2]time.Duration
	ops      int
}

// newPair dials one connection of each client for op.
func newPair(b *testing.B, addr string, dialers [2]namedDialer, op pairOp) *pair {
	p := &pair{}
	for i, d := range dialers {
		p.clients[i] = d.dial(b, addr, op.responseBytes)
		p.reqs[i] = framesrv.NewRequest(op.requestBytes, op.asks)
		p.settlers[i] = framesrv.NewRequest(framesrv.MinRequestBytes, framesrv.MinResponseBytes)
	}
	return p
}

// Close closes both connections.
func (p *pair) Close() {
	for _, c := range p.clients {
		c.Close()
	}
}

// step runs op once on each client, first one, then the other, swapping
// the order every step so that neither always goes first.
func (p *pair) step(op pairOp) error {
	first := p.ops & 1
	p.ops++
	id := int32(p.ops)
	for j := range 2 {
		i := first ^ j
		start := time.Now()
		err := op.run(p.clients[i], p.reqs[i], id)
		p.spent[i] += time.Since(start)
		if err == nil && op.settle {
			err = p.clients[i].roundTrip(p.settlers[i], -id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pairedSerial times op on one pair of connections and reports each
// client's mean time per op and their ratio.
func pairedSerial(b *testing.B, addr string, dialers [2]namedDialer, op pairOp) {
	p := newPair(b, addr, dialers, op)
	defer p.Close()
	for b.Loop() {
		if err := p.step(op); err != nil {
			b.Fatal(err)
		}
	}
	reportPaired(b, dialers, p.spent, p.ops)
}

// reportPaired adds each client's mean time per op and their ratio.
func reportPaired(b *testing.B, dialers [2]namedDialer, spent [2]time.Duration, ops int) {
	ReportPaired(b, [2]string{dialers[0].name, dialers[1].name}, spent, ops)
}

// parallelBurst is how many round trips each connection makes per burst:
// about ten milliseconds of work for 64 connections, long enough that
// starting the goroutines costs little.
const parallelBurst = 16

// pairedBursts times op on conns pairs of connections: each step runs a
// burst of parallelBurst ops on every connection of one client at once,
// then the same for the other client, swapping which goes first every step.
// A client's time per op is its bursts' wall time over their ops, as in
// BenchmarkParallel64.
func pairedBursts(b *testing.B, addr string, dialers [2]namedDialer, conns int, op pairOp) {
	pairs := make([]*pair, conns)
	for i := range pairs {
		pairs[i] = newPair(b, addr, dialers, op)
		defer pairs[i].Close()
	}
	spent, steps := Alternate(b, func(i, step int) error { return burst(pairs, i, op, int32(step)) })
	reportPaired(b, dialers, spent, steps*conns*parallelBurst)
}

// burst makes parallelBurst ops on client i of every pair at once and
// returns the first error.
func burst(pairs []*pair, i int, op pairOp, step int32) error {
	errs := make(chan error, len(pairs))
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Go(func() {
			for k := range int32(parallelBurst) {
				if err := op.run(p.clients[i], p.reqs[i], step*parallelBurst+k); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// pairedConnects times connection set-up and tear-down, dial then Close,
// for the two clients alternately, op by op, swapping which goes first.
func pairedConnects(b *testing.B, addr string, dialers [2]namedDialer) {
	spent, steps := Alternate(b, func(i, _ int) error {
		return dialers[i].dial(b, addr, framesrv.MinResponseBytes).Close()
	})
	reportPaired(b, dialers, spent, steps)
}
