package kafkatest

import (
	"os"
	"strings"
	"testing"
)

func TestKcatSecurityProtocol(t *testing.T) {
	for _, tc := range []struct {
		s    KcatSecurity
		want string
	}{
		{KcatSecurity{}, "PLAINTEXT"},
		{KcatSecurity{TLS: true}, "SSL"},
		{KcatSecurity{Mechanism: "PLAIN"}, "SASL_PLAINTEXT"},
		{KcatSecurity{TLS: true, Mechanism: "SCRAM-SHA-512"}, "SASL_SSL"},
	} {
		if got := tc.s.Protocol(); got != tc.want {
			t.Errorf("%+v.Protocol() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// readConfig returns the properties of the file KcatConfig wrote, checking
// the arguments and the file's mode on the way: -F, the path, then the
// command-line properties in extra.
func readConfig(t *testing.T, args []string, extra ...string) map[string]string {
	t.Helper()
	if len(args) != 2+len(extra) || args[0] != "-F" || strings.Join(args[2:], " ") != strings.Join(extra, " ") {
		t.Fatalf("KcatConfig returned %q, want -F, a path and %q", args, extra)
	}
	st, err := os.Stat(args[1])
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("config line %q is not key=value", line)
		}
		props[k] = v
	}
	return props
}

func TestKcatConfigFile(t *testing.T) {
	props := readConfig(t, KcatConfig(t, KcatSecurity{TLS: true, Mechanism: "SCRAM-SHA-256", User: "u", Password: "p=w d"}),
		"-X", "ssl.endpoint.identification.algorithm=https")
	want := map[string]string{
		"security.protocol": "SASL_SSL",
		"sasl.mechanisms":   "SCRAM-SHA-256",
		"sasl.username":     "u",
		"sasl.password":     "p=w d",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	ca, err := os.ReadFile(props["ssl.ca.location"])
	if err != nil || !strings.Contains(string(ca), "BEGIN CERTIFICATE") {
		t.Errorf("ssl.ca.location %q: %v", props["ssl.ca.location"], err)
	}
	if len(props) != len(want)+1 {
		t.Errorf("unexpected properties: %q", props)
	}

	props = readConfig(t, KcatConfig(t, KcatSecurity{TLS: true, CAFile: "/x/ca.pem", SkipHostnameCheck: true,
		ClientCertFile: "/x/c.pem", ClientKeyFile: "/x/k.pem"}), "-X", "ssl.endpoint.identification.algorithm=none")
	for k, v := range map[string]string{
		"security.protocol": "SSL", "ssl.ca.location": "/x/ca.pem",
		"ssl.certificate.location": "/x/c.pem", "ssl.key.location": "/x/k.pem",
	} {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	if _, ok := props["sasl.password"]; ok {
		t.Error("SSL-only config has a password")
	}
	if args := KcatConfig(t, KcatSecurity{Mechanism: "PLAIN", User: "u", Password: "p"}); len(args) != 2 {
		t.Errorf("SASL_PLAINTEXT arguments %q, want only -F and the path", args)
	}
}

func TestKcatConfigRejectsBadInput(t *testing.T) {
	for name, s := range map[string]KcatSecurity{
		"credentials without mechanism": {User: "u", Password: "p"},
		"line break in password":        {Mechanism: "PLAIN", User: "u", Password: "p\nsecurity.protocol=PLAINTEXT"},
	} {
		if r := run(t, func(tb testing.TB) { KcatConfig(tb, s) }); r.failed == "" {
			t.Errorf("%s: KcatConfig did not fail", name)
		} else if strings.Contains(r.failed, "p\nsecurity") {
			t.Errorf("%s: the failure shows the password: %q", name, r.failed)
		}
	}
}

func TestRedactBlanksPasswordsOfConfigFiles(t *testing.T) {
	args := KcatConfig(t, KcatSecurity{Mechanism: "PLAIN", User: "u", Password: "hunter2"})
	got := redact("auth failed for u with hunter2, hunter2", append([]string{"-b", "x"}, args...))
	if got != "auth failed for u with <redacted>, <redacted>" {
		t.Fatalf("redact = %q", got)
	}
	if got := redact("hunter2", []string{"-F", "/elsewhere"}); got != "hunter2" {
		t.Fatalf("redact of an unknown file = %q", got)
	}
}
