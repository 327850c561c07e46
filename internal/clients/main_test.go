package clients

import (
	"os"
	"testing"

	"github.com/rcrowley/go-metrics"
)

func TestMain(m *testing.M) {
	// sarama's meters share one ticking goroutine, started by the first
	// meter made in the process and never stopped. Starting it here puts
	// it in every leak check's baseline instead of in the first sarama
	// test's leaks.
	metrics.NewMeter().Stop()
	code := m.Run()
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
	os.Exit(code)
}
