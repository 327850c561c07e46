package kafkadebug

import (
	"errors"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestFormatter(t *testing.T) {
	var out syncBuffer
	log := newTestLogger(&out, Formatter{})
	log.WithFields(logrus.Fields{
		"addr":    "[::1]:9092",
		"elapsed": "1.2ms",
		"empty":   "",
		"error":   errors.New(`dial "x": refused`),
		"n":       3,
	}).Info("connect attempt")
	log.Info("[bracketed] message")
	log.Warn("two\nlines\r")
	want := "" +
		`2025-11-21T19:27:00.123456Z INFO [addr="[::1]:9092" elapsed=1.2ms empty="" error="dial \"x\": refused" n=3] connect attempt` + "\n" +
		`2025-11-21T19:27:00.123456Z INFO [] [bracketed] message` + "\n" +
		`2025-11-21T19:27:00.123456Z WARNING two\nlines\r` + "\n"
	if got := out.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEventLogsAtOutputLevel(t *testing.T) {
	var out syncBuffer
	log := newTestLogger(&out, Formatter{})
	Event(log, "returning IO error -1004: Cannot connect to broker", logrus.Fields{"addr": "127.0.0.1:1"})
	want := "2025-11-21T19:27:00.123456Z INFO [addr=127.0.0.1:1] returning IO error -1004: Cannot connect to broker\n"
	if got := out.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestEventWithoutLoggerUsesDefault(t *testing.T) {
	out := captureDefaultLogger(t)
	Event(nil, "eof", nil)
	if !strings.HasSuffix(out.String(), " INFO eof\n") {
		t.Fatalf("default logger wrote %q", out.String())
	}
}

func TestVisible(t *testing.T) {
	info, warn := logrus.New(), logrus.New()
	warn.SetLevel(logrus.WarnLevel)
	tests := []struct {
		name string
		log  logrus.FieldLogger
		want bool
	}{
		{"nil means the default logger", nil, true},
		{"info logger", info, true},
		{"warn logger", warn, false},
		{"entry of a warn logger", warn.WithField("k", "v"), false},
		{"entry of an info logger", info.WithField("k", "v"), true},
	}
	for _, tt := range tests {
		if got := Visible(tt.log); got != tt.want {
			t.Errorf("%s: Visible = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWarnIfHidden(t *testing.T) {
	keepGlobalState(t)
	var out syncBuffer
	log := newTestLogger(&out, Formatter{})
	log.SetLevel(logrus.WarnLevel)
	m := For("TestWarnIfHidden")

	m.SetLevel(0)
	WarnIfHidden(log, m)
	if out.String() != "" {
		t.Fatalf("warned with debugging off: %q", out.String())
	}

	m.SetLevel(2)
	WarnIfHidden(log, m)
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "WARNING") || !strings.Contains(got, "TestWarnIfHidden") {
		t.Fatalf("want one warning naming the module, got %q", got)
	}

	log.SetLevel(logrus.InfoLevel)
	WarnIfHidden(log, m)
	if out.String() != got {
		t.Fatalf("warned although the logger shows Info: %q", out.String())
	}
}
