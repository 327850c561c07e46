package kafkaio_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkaio/kafkaio/internal/testpeer"
	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaio"
	"github.com/sirupsen/logrus"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// debugAt runs an ApiVersions-shaped exchange and a timed-out receive with
// the IO module at level, returning what the logger got.
func debugAt(t *testing.T, level int) string {
	t.Helper()
	old := kafkadebug.IO.Level()
	kafkadebug.IO.SetLevel(level)
	t.Cleanup(func() { kafkadebug.IO.SetLevel(old) })

	out := &syncBuffer{}
	logger := logrus.New()
	logger.Out = out
	logger.Formatter = kafkadebug.Formatter{}

	p := testpeer.Start(t, "tcp4", testpeer.EchoFrames())
	c := connect(t, p, kafkaio.Config{Logger: logger, Timeout: 100 * time.Millisecond})
	req := []byte{0, 0, 0, 0x0e, 0, 0x12, 0, 0, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}
	if _, err := c.Send(req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReceiveFrame(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Receive(4); err == nil {
		t.Fatal("a receive with nothing to read succeeded")
	}
	return out.String()
}

func TestDebugLevels(t *testing.T) {
	t.Run("0 prints nothing", func(t *testing.T) {
		if out := debugAt(t, 0); out != "" {
			t.Errorf("level 0 wrote:\n%s", out)
		}
	})
	t.Run("1 prints events but no bytes", func(t *testing.T) {
		out := debugAt(t, 1)
		for _, want := range []string{"connect attempt", "wait readable", "returning IO error -1003: Cannot receive", "closed", "conn="} {
			if !strings.Contains(out, want) {
				t.Errorf("level 1 output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "# Hex Stream") {
			t.Errorf("level 1 dumped bytes:\n%s", out)
		}
	})
	t.Run("2 dumps every byte", func(t *testing.T) {
		out := debugAt(t, 2)
		for _, want := range []string{
			"# Request to 127.0.0.1:",
			"# Hex Stream: 0000000e0012000000000001000474657374",
			"# Response from 127.0.0.1:",
			"# Hex Stream: 0000000e",                     // the response's size prefix
			"# Hex Stream: 0012000000000001000474657374", // and its body
			"|..............te|",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("level 2 output lacks %q:\n%s", want, out)
			}
		}
	})
}
