package kafkaio_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/kafkaio/kafkaio/internal/leakcheck"
	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio"
)

// roundTripRequest is a request frame with header v1: api key 18
// (ApiVersions) v0, correlation id corr, client id "rt".
func roundTripRequest(corr int32) []byte {
	body := []byte{0, 18, 0, 0, 0, 0, 0, 0, 0, 2, 'r', 't'}
	binary.BigEndian.PutUint32(body[4:], uint32(corr))
	return frame(body)
}

// answer is a response body: correlation id corr, then rest.
func answer(corr int32, rest string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(corr)), rest...)
}

func TestRoundTripChecksTheCorrelationID(t *testing.T) {
	t.Run("matching", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.ReadFrame(), testpeer.WriteFrame(answer(7, "the answer")), testpeer.Stall())
		c := connect(t, p, kafkaio.Config{Timeout: viewTimeout})
		dst := make([]byte, 0, 64)
		body, err := c.RoundTrip(context.Background(), roundTripRequest(7), dst)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != string(answer(7, "the answer")) {
			t.Fatalf("body = %q", body)
		}
		if &body[0] != &dst[:1][0] {
			t.Error("RoundTrip did not use dst, which was large enough")
		}
		if !c.IsAlive() {
			t.Error("a good round trip closed the IO")
		}
	})
	t.Run("mismatched", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.ReadFrame(), testpeer.WriteFrame(answer(99, "someone else's")), testpeer.Stall())
		c := connect(t, p, kafkaio.Config{Timeout: viewTimeout})
		_, err := c.RoundTrip(context.Background(), roundTripRequest(7), nil)
		e := wantErr(t, err, kafkaerr.MismatchCorrelationID)
		if e.Op != "round trip" || !strings.Contains(e.Error(), "correlation id is 99, the request's 7") {
			t.Errorf("%v: want Op \"round trip\" and both ids", err)
		}
		wantClosed(t, c)
	})
	t.Run("malformed requests leave the IO as it was", func(t *testing.T) {
		t.Cleanup(leakcheck.Verify(t))
		p := testpeer.Start(t, "tcp4", testpeer.Stall())
		c := connect(t, p, kafkaio.Config{Timeout: viewTimeout})
		short := frame([]byte{0, 18, 0})
		lying := roundTripRequest(1)
		binary.BigEndian.PutUint32(lying, 100)
		for _, req := range [][]byte{nil, short, lying} {
			_, err := c.RoundTrip(context.Background(), req, nil)
			wantErr(t, err, kafkaerr.MismatchArgument)
		}
		if !c.IsAlive() {
			t.Error("an argument error closed the IO")
		}
		if p.ReceivedCount() != 0 {
			t.Errorf("%d bytes sent for requests that were refused", p.ReceivedCount())
		}
	})
}
