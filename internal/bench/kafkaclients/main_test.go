package kafkaclients

import (
	"flag"
	"os"
	"testing"

	"github.com/kafkaio/kafkaio/kafkadebug"
)

// reverse makes each benchmark run its baseline first; make bench-clients
// flips it from round to round, as make bench does (see internal/bench).
var reverse = flag.Bool("reverse", false, "run each benchmark's baseline client before the other")

// TestMain lets this test binary double as the broker: startBroker
// re-executes it, and runBrokerIfChild turns that copy into kfake.
func TestMain(m *testing.M) {
	runBrokerIfChild()
	// KAFKA_DEBUG in the environment would time the debug output.
	kafkadebug.IO.SetLevel(0)
	os.Exit(m.Run())
}
