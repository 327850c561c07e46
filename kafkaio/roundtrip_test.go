package kafkaio_test

// RoundTrip: the correlation id check, its argument errors, one deadline
// for the send and the receive, and concurrent callers each getting their
// own response; over plaintext and over TLS.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testcerts"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// rtTransports runs each test over plaintext and over TLS.
var rtTransports = []struct {
	name string
	tls  bool
}{{"plaintext", false}, {"TLS", true}}

// rtPeer starts a peer running steps, inside TLS when useTLS, and connects
// an IO to it.
func rtPeer(t *testing.T, useTLS bool, cfg kafkaio.Config, steps ...testpeer.Step) (*kafkaio.IO, *testpeer.Peer) {
	t.Helper()
	var p *testpeer.Peer
	if useTLS {
		p = testpeer.StartTLS(t, "tcp4", testcerts.Server().ServerConfig(), steps...)
		cfg.TLS = testcerts.ClientConfig()
	} else {
		p = testpeer.Start(t, "tcp4", steps...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = faultPatience
	}
	return connect(t, p, cfg), p
}

// rtRequest is a request frame of key 3 (Metadata), version v and
// correlation id 3<<16|v: echoed back, it answers itself.
func rtRequest(v int16) []byte {
	return kafkawire.Metadata(int32(kafkawire.KeyMetadata)<<16|int32(v), "rt", v, []string{})
}

func TestRoundTripWrongCorrelationID(t *testing.T) {
	for _, tr := range rtTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			answer := binary.BigEndian.AppendUint32(nil, 99)
			answer = append(answer, "a response to someone else"...)
			c, p := rtPeer(t, tr.tls, kafkaio.Config{}, testpeer.ReadFrame(), testpeer.WriteFrame(answer), testpeer.Stall())
			req := kafkawire.ApiVersions(7, "rt", 0)
			began := time.Now()
			body, err := c.RoundTrip(context.Background(), req, nil)
			faultLogErr(t, err)
			if body != nil {
				t.Errorf("RoundTrip returned %d bytes with its error", len(body))
			}
			faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.MismatchCorrelationID, as: faultNoCause,
				detail:   []string{"the response's correlation id is 99, the request's 7"},
				progress: faultBytes(4+len(answer), 4+len(answer), 4+len(answer)), took: faultQuick()})
			faultCheckState(t, c, faultClosed, err)
			if perr := p.Err(); perr != nil {
				t.Errorf("the peer failed: %v", perr)
			}
		})
	}
}

func TestRoundTripArgumentErrors(t *testing.T) {
	good := rtRequest(0)
	bad := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	for _, tr := range rtTransports {
		t.Run(tr.name, func(t *testing.T) {
			for _, row := range []struct {
				name   string
				ctx    context.Context
				req    []byte
				detail string
			}{
				{"nil request", context.Background(), nil, "message is empty"},
				{"shorter than a request header", context.Background(), []byte{0, 0, 0, 4, 0, 3, 0, 0}, "request of 8 bytes is shorter than a request header (12)"},
				{"11 bytes", context.Background(), []byte{0, 0, 0, 7, 0, 3, 0, 0, 0, 0, 0}, "request of 11 bytes is shorter"},
				{"size prefix too large", context.Background(), bad(func(b []byte) { binary.BigEndian.PutUint32(b, uint32(len(b))) }),
					fmt.Sprintf("request's size prefix says %d bytes, but %d follow it", len(good), len(good)-4)},
				{"size prefix too small", context.Background(), bad(func(b []byte) { binary.BigEndian.PutUint32(b, 8) }),
					fmt.Sprintf("request's size prefix says 8 bytes, but %d follow it", len(good)-4)},
				{"negative size prefix", context.Background(), bad(func(b []byte) { binary.BigEndian.PutUint32(b, 0xffffffff) }),
					"request's size prefix says -1 bytes"},
				{"nil context", nilContext, good, "context is nil"},
			} {
				t.Run(row.name, func(t *testing.T) {
					t.Cleanup(leakcheck.Verify(t))
					c, _ := rtPeer(t, tr.tls, kafkaio.Config{}, testpeer.EchoFrames())
					began := time.Now()
					_, err := c.RoundTrip(row.ctx, row.req, nil)
					faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.MismatchArgument, as: faultNoCause,
						detail: []string{"round trip", row.detail}, took: faultQuick()})
					faultCheckState(t, c, faultOpen, nil)
					body, err := c.RoundTrip(context.Background(), good, nil)
					if err != nil || !bytes.Equal(body, good[4:]) {
						t.Fatalf("a RoundTrip after the argument error: % x, %v", body, err)
					}
				})
			}
		})
	}
}

// TestRoundTripOneDeadline: the send and the receive share the call's
// deadline, and a peer that reads the request and never answers ends the
// call at it, as CannotRecv of the receive, closing the IO.
func TestRoundTripOneDeadline(t *testing.T) {
	for _, tr := range rtTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			c, _ := rtPeer(t, tr.tls, kafkaio.Config{}, testpeer.ReadFrame(),
				testpeer.WriteSize(64), testpeer.Dribble(testpeer.Pattern(64), 50*time.Millisecond))
			ctx, cancel := context.WithTimeout(context.Background(), faultTimeout)
			defer cancel()
			began := time.Now()
			_, err := c.RoundTrip(ctx, rtRequest(0), nil)
			faultLogErr(t, err)
			faultCheckErr(t, err, time.Since(began), faultWant{code: kafkaerr.CannotRecv,
				causes: []error{context.DeadlineExceeded, os.ErrDeadlineExceeded}, detail: []string{"receive frame"},
				progress: faultBytes(5, 67, 68), took: faultAt(faultTimeout)})
			faultCheckState(t, c, faultClosed, err)
		})
	}
}

// TestRoundTripConcurrentCallers: RoundTrips from many goroutines on one IO
// run one after the other, each reading the response to its own request.
func TestRoundTripConcurrentCallers(t *testing.T) {
	const callers, each = 8, 50
	for _, tr := range rtTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Cleanup(leakcheck.Verify(t))
			c, _ := rtPeer(t, tr.tls, kafkaio.Config{}, testpeer.EchoFrames())
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for g := range callers {
				wg.Go(func() {
					req := rtRequest(int16(g))
					dst := make([]byte, 0, len(req))
					for range each {
						body, err := c.RoundTrip(context.Background(), req, dst)
						if err == nil && !bytes.Equal(body, req[4:]) {
							err = fmt.Errorf("caller %d got % x, want % x", g, body, req[4:])
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
