package kafkadebug

import "os"

// EnvVar is the environment variable read by LoadEnv.
const EnvVar = "KAFKA_DEBUG"

func init() { LoadEnv() }

// LoadEnv reads KAFKA_DEBUG again and applies it with Apply, replacing any
// level set from code; unset or empty turns every module off. Each entry it
// cannot read is skipped with one warning on the default logger.
func LoadEnv() {
	spec, errs := Parse(os.Getenv(EnvVar))
	for _, err := range errs {
		DefaultLogger().Warn(err.Error())
	}
	Apply(spec)
}
