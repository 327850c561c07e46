package kafkatest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
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

// KcatTimeout bounds one RunKcat or TryKcat; a kcat run normally takes well
// under a second.
const KcatTimeout = 60 * time.Second

// TryKcat runs kcat (see Kcat: skipped or failed when it is missing) with
// args, verbatim, and stdin, and returns what it wrote to standard output and
// standard error and how it ended. Passwords from KcatConfig files named in
// args are blanked out of stderr. A run still going after KcatTimeout is
// killed, and its error says so.
func TryKcat(tb testing.TB, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), KcatTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Kcat(tb), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", KcatTimeout, err)
	}
	return out.Bytes(), []byte(redact(errOut.String(), args)), err
}

// RunKcat is TryKcat for runs that must succeed: it returns kcat's standard
// output, or fails tb with the arguments and kcat's standard error.
func RunKcat(tb testing.TB, stdin []byte, args ...string) []byte {
	tb.Helper()
	stdout, stderr, err := TryKcat(tb, stdin, args...)
	if err != nil {
		tb.Fatalf("%s: %v", describeRun(args, stderr), err)
	}
	return stdout
}
