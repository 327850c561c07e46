package kafkatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kafkaio/kafkaio/internal/testcerts"
)

// KcatSecurity says how kcat (librdkafka) reaches a cluster that wants TLS,
// SASL or both. The zero value is plaintext.
type KcatSecurity struct {
	// TLS makes kcat connect with TLS (security.protocol SSL or SASL_SSL).
	TLS bool
	// CAFile is the PEM file of the CA kcat trusts (ssl.ca.location). With
	// TLS and CAFile empty, testcerts' CA is written into the test's temp
	// dir and used.
	CAFile string
	// ClientCertFile and ClientKeyFile are the certificate and key kcat
	// presents for mutual TLS (ssl.certificate.location and
	// ssl.key.location), e.g. testcerts.Files' ClientCert and ClientKey.
	ClientCertFile, ClientKeyFile string
	// SkipHostnameCheck turns off librdkafka's check of the broker's name
	// against its certificate (ssl.endpoint.identification.algorithm=none);
	// the chain is still verified. By default the check is on ("https").
	// This one setting goes on the command line: kcat ignores it in a -F
	// file (it takes it for a Java client property librdkafka lacks).
	SkipHostnameCheck bool

	// Mechanism turns on SASL (sasl.mechanisms): "PLAIN", "SCRAM-SHA-256"
	// or "SCRAM-SHA-512". Against the embedded cluster, start it with
	// embedded.AdvertiseSaslHandshakeV0, or Debian's kcat refuses to begin.
	Mechanism string
	// User and Password are the SASL credentials (sasl.username,
	// sasl.password).
	User, Password string
}

// Protocol is librdkafka's security.protocol for s: "PLAINTEXT", "SSL",
// "SASL_PLAINTEXT" or "SASL_SSL".
func (s KcatSecurity) Protocol() string {
	switch {
	case s.TLS && s.Mechanism != "":
		return "SASL_SSL"
	case s.TLS:
		return "SSL"
	case s.Mechanism != "":
		return "SASL_PLAINTEXT"
	}
	return "PLAINTEXT"
}

// KcatConfig writes the librdkafka properties for s into a new file of mode
// 0600 in tb's temp dir and returns the arguments that give it to kcat:
// "-F" and the file's path, and with TLS "-X" and the hostname check
// (ssl.endpoint.identification.algorithm, which kcat would ignore in the
// file). The password goes into the file only, never on kcat's command line
// (where the process list and the test log would show it), and RunKcat and
// TryKcat blank it out of the output they report.
func KcatConfig(tb testing.TB, s KcatSecurity) []string {
	tb.Helper()
	if s.Mechanism == "" && (s.User != "" || s.Password != "") {
		tb.Fatalf("kafkatest: KcatSecurity has SASL credentials but no Mechanism")
	}
	dir := tb.TempDir()
	props := []string{"security.protocol=" + s.Protocol()}
	var cmdline []string
	if s.TLS {
		ca := s.CAFile
		if ca == "" {
			files, err := testcerts.WriteFiles(dir)
			if err != nil {
				tb.Fatalf("kafkatest: writing the test CA: %v", err)
			}
			ca = files.CA
		}
		props = append(props, "ssl.ca.location="+ca)
		if s.ClientCertFile != "" || s.ClientKeyFile != "" {
			props = append(props, "ssl.certificate.location="+s.ClientCertFile, "ssl.key.location="+s.ClientKeyFile)
		}
		check := "https"
		if s.SkipHostnameCheck {
			check = "none"
		}
		cmdline = append(cmdline, "-X", "ssl.endpoint.identification.algorithm="+check)
	}
	if s.Mechanism != "" {
		props = append(props, "sasl.mechanisms="+s.Mechanism, "sasl.username="+s.User, "sasl.password="+s.Password)
	}
	for _, p := range props {
		if strings.ContainsAny(p, "\r\n") {
			tb.Fatalf("kafkatest: a kcat property contains a line break")
		}
	}
	path := filepath.Join(dir, "kcat.conf")
	if err := os.WriteFile(path, []byte(strings.Join(props, "\n")+"\n"), 0o600); err != nil {
		tb.Fatalf("kafkatest: writing the kcat config: %v", err)
	}
	if s.Password != "" {
		secrets.Store(path, s.Password)
		tb.Cleanup(func() { secrets.Delete(path) })
	}
	return append([]string{"-F", path}, cmdline...)
}

// secrets maps the path of each kcat config file KcatConfig wrote to the
// password in it, so that kcat's output can be reported without it.
var secrets sync.Map

// redact blanks out of out the password of every config file args name.
func redact(out string, args []string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] != "-F" {
			continue
		}
		if pw, ok := secrets.Load(args[i+1]); ok {
			out = strings.ReplaceAll(out, pw.(string), "<redacted>")
		}
	}
	return out
}

// describeRun is how a kcat run shows up in a failure message; stderr is
// already redacted.
func describeRun(args []string, stderr []byte) string {
	return fmt.Sprintf("kcat %s\nstderr:\n%s", strings.Join(args, " "), stderr)
}
