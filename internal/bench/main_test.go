package bench

import (
	"flag"
	"os"
	"testing"

	"github.com/kafkaio/kafkaio/internal/framesrv"
	"github.com/kafkaio/kafkaio/kafkadebug"
)

// reverse makes each benchmark run its baseline first. On this kind of
// machine (a two-vCPU VM) a client's whole run can be twice as fast or
// slow depending on which slot it runs in, so one fixed order biases every
// ratio; make bench flips this flag from round to round so that each
// client runs first in half of the rounds.
var reverse = flag.Bool("reverse", false, "run each benchmark's baseline client before the others")

// TestMain lets this test binary double as the frame server: framesrv.Start
// re-executes it, and RunIfChild turns that copy into the server.
func TestMain(m *testing.M) {
	framesrv.RunIfChild()
	// KAFKA_DEBUG in the environment would time the debug output, not the
	// IO; every measurement here is of debugging switched off.
	kafkadebug.IO.SetLevel(0)
	os.Exit(m.Run())
}
