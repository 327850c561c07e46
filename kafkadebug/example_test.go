package kafkadebug_test

import (
	"fmt"
	"os"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/sirupsen/logrus"
)

// Levels from the environment: KAFKA_DEBUG is read when the package starts,
// and LoadEnv reads it again (here after changing it from the program).
func ExampleLoadEnv() {
	os.Setenv(kafkadebug.EnvVar, "IO:2, Connection:1")
	defer func() {
		os.Unsetenv(kafkadebug.EnvVar)
		kafkadebug.LoadEnv() // every module off again
	}()
	kafkadebug.LoadEnv()
	fmt.Println(kafkadebug.IO.Level(), kafkadebug.Level("Connection"), kafkadebug.Level("Producer"))
	// Output: 2 1 0
}

// Levels from code: SetLevel changes one module until the next LoadEnv.
func ExampleSetLevel() {
	kafkadebug.SetLevel("IO", 1)
	defer kafkadebug.SetLevel("IO", 0)
	fmt.Println(kafkadebug.IO.Level(), kafkadebug.Level("io"))
	// Output: 1 1
}

// Parse reads a KAFKA_DEBUG value without applying it, reporting each entry
// it cannot read; the rest still apply.
func ExampleParse() {
	spec, errs := kafkadebug.Parse("1, IO:2, Bad:x")
	fmt.Println(spec.LevelFor("IO"), spec.LevelFor("Connection"))
	for _, err := range errs {
		fmt.Println(err)
	}
	// Output:
	// 2 1
	// KAFKA_DEBUG entry 3 (" Bad:x") ignored: level "x" is not a whole number from 0 to 9
}

// messageOnly is a logrus formatter that prints only the message, so that the
// example's output has no timestamps.
type messageOnly struct{}

func (messageOnly) Format(e *logrus.Entry) ([]byte, error) { return []byte(e.Message + "\n"), nil }

// Dump writes the level-2 dump of a chunk, here the ApiVersions v0 request
// with correlation id 1 and client id "test", through the caller's logger.
func ExampleDump() {
	log := logrus.New()
	log.SetOutput(os.Stdout)
	log.SetFormatter(messageOnly{})
	request := []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}
	kafkadebug.Dump(log, kafkadebug.Request, "127.0.0.1:9092", request)
	// Output:
	// # Request to 127.0.0.1:9092
	// # Hex Stream: 0000000e0012000000000001000474657374
	// 00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|
	// 00000010  73 74                                             |st|
}
