package kafkadebug

import (
	"os"

	"github.com/sirupsen/logrus"
)

// OutputLevel is the logrus level of everything KAFKA_DEBUG turns on, at every
// debug level. See the package documentation for why it is Info.
const OutputLevel = logrus.InfoLevel

// defaultLogger writes to standard error; logrus serialises its writes, one
// Write per entry, which keeps lines whole when goroutines log together.
var defaultLogger = &logrus.Logger{
	Out:       os.Stderr,
	Formatter: Formatter{},
	Hooks:     make(logrus.LevelHooks),
	Level:     logrus.InfoLevel,
	ExitFunc:  os.Exit,
}

// DefaultLogger returns the logger used when kafkaio.Config.Logger is nil: it
// writes Info and above to standard error in the Formatter's layout.
func DefaultLogger() logrus.FieldLogger { return defaultLogger }

// Event logs one level-1 debug event with its fields at OutputLevel through
// log, or through DefaultLogger when log is nil. Callers check the module's
// level first; Event itself always logs.
func Event(log logrus.FieldLogger, msg string, fields logrus.Fields) {
	if log == nil {
		log = defaultLogger
	}
	log.WithFields(fields).Info(msg)
}

// Visible reports whether log writes entries at OutputLevel. A logger whose
// level cannot be asked (not a *logrus.Logger or *logrus.Entry, and without an
// IsLevelEnabled method) is assumed to.
func Visible(log logrus.FieldLogger) bool {
	switch l := log.(type) {
	case nil:
		return defaultLogger.IsLevelEnabled(OutputLevel)
	case *logrus.Entry:
		return l.Logger == nil || l.Logger.IsLevelEnabled(OutputLevel)
	case interface{ IsLevelEnabled(logrus.Level) bool }:
		return l.IsLevelEnabled(OutputLevel)
	}
	return true
}

// WarnIfHidden logs one warning through log when m is switched on but log
// drops entries at OutputLevel, so that KAFKA_DEBUG never fails silently.
// kafkaio calls it once per connection it creates.
func WarnIfHidden(log logrus.FieldLogger, m *Module) {
	if log == nil {
		log = defaultLogger
	}
	if level := m.Level(); level > 0 && !Visible(log) {
		log.Warnf("%s turns %s debug output on at level %d, but this logger drops %s entries, so it stays hidden; lower the logger's level to %s to see it",
			EnvVar, m.Name(), level, OutputLevel, OutputLevel)
	}
}
