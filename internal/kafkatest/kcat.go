package kafkatest

import (
	"os"
	"os/exec"
	"testing"
)

// kcatNames are the names kcat is installed under: Debian ships "kcat",
// older distributions "kafkacat".
var kcatNames = []string{"kcat", "kafkacat"}

// Kcat returns the path of the kcat binary. When it is missing the test is
// skipped with a hint, except under CI=true: CI installs kcat, so there its
// absence is a real failure.
func Kcat(tb testing.TB) string {
	tb.Helper()
	for _, name := range kcatNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "kcat (or kafkacat) not found in PATH; install it with: apt-get install -y kcat"
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true, so CI should have installed it)", msg)
	}
	tb.Skip(msg)
	return ""
}
