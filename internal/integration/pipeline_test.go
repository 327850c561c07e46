package integration

import (
	"fmt"
	"testing"

	"github.com/kafkaio/kafkaio/internal/kafkatest"
	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/internal/leakcheck"
)

// pipelined is one request of the pipelining test and how to check its answer.
type pipelined struct {
	corrID int32
	frame  []byte
	parse  func(body []byte) error
}

// pipelineRequest picks one of three request kinds for position i, so the
// responses differ in size and layout and a misaligned read cannot parse.
func pipelineRequest(i int, corrID int32) pipelined {
	switch i % 3 {
	case 0:
		return pipelined{corrID, kafkawire.ApiVersions(corrID, clientID, 0), func(b []byte) error {
			_, err := kafkawire.ParseApiVersions(b, 0)
			return err
		}}
	case 1:
		return pipelined{corrID, kafkawire.ApiVersions(corrID, clientID, 3), func(b []byte) error {
			_, err := kafkawire.ParseApiVersions(b, 3)
			return err
		}}
	default:
		return pipelined{corrID, kafkawire.Metadata(corrID, clientID, 1, []string{}), func(b []byte) error {
			md, err := kafkawire.ParseMetadata(b)
			if err == nil && len(md.Brokers) == 0 {
				err = fmt.Errorf("metadata lists no brokers")
			}
			return err
		}}
	}
}

// 200 requests sent back to back on one connection before reading anything,
// then 200 responses read in order: each answers the next correlation id and
// parses as the kind of request it answers.
func TestPipelined200Requests(t *testing.T) {
	t.Cleanup(leakcheck.Verify(t)) // first, so it runs after every other cleanup
	const n = 200
	b := dial(t, kafkatest.Brokers(t, 1)[0])
	reqs := make([]pipelined, n)
	for i := range reqs {
		reqs[i] = pipelineRequest(i, b.nextCorr())
		b.send(reqs[i].frame)
	}
	for i, r := range reqs {
		body := b.receive(r.corrID, callTimeout)
		if err := r.parse(body); err != nil {
			t.Fatalf("response %d (correlation id %d): %v", i, r.corrID, err)
		}
	}
}
