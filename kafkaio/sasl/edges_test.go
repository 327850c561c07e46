package sasl

// The edges of the server-first checks and of quoting, where a check one
// character off would still pass the other tests: a NUL as the very first
// byte, the first and last printable nonce characters ('!' and '~'), the
// first and last letters as attribute names, an extension with an empty
// value, and a quote of exactly maxQuoted bytes.

import (
	"context"
	"strings"
	"testing"
)

func TestScramServerFirstEdges(t *testing.T) {
	const n = "rOprNGfwEbeRWgbNEkqO"
	const rest = ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	for _, tc := range []struct {
		name, msg string
		ok        bool
		want      string // in the error, when not ok
	}{
		{"a NUL as the first byte", "\x00r=" + n + "xyz" + rest, false, "holds a NUL byte"},
		{"'!' and '~' in the server nonce", "r=" + n + "!x~" + rest, true, ""},
		{"extensions named a, z, A and Z", "r=" + n + "xyz" + rest + ",a=1,z=2,A=3,Z=4", true, ""},
		{"an extension with an empty value", "r=" + n + "xyz" + rest + ",x=", true, ""},
		{"an extension named by a digit", "r=" + n + "xyz" + rest + ",1=x", false, `malformed attribute "1=x"`},
		{"an extension named '@' (just before 'A')", "r=" + n + "xyz" + rest + ",@=x", false, `malformed attribute "@=x"`},
		{"an extension named '[' (just after 'Z')", "r=" + n + "xyz" + rest + ",[=x", false, `malformed attribute "[=x"`},
		{"an extension named '`' (just before 'a')", "r=" + n + "xyz" + rest + ",`=x", false, "malformed attribute"},
		{"an extension named '{' (just after 'z')", "r=" + n + "xyz" + rest + ",{=x", false, "malformed attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess := scramAfterFirst(t)
			_, resp, err := sess.Next(context.Background(), []byte(tc.msg))
			if tc.ok {
				if err != nil || resp == nil {
					t.Fatalf("Next(%q) = %q, %v; want a client-final-message", tc.msg, resp, err)
				}
				return
			}
			requireKind(t, err, "SCRAM-SHA-256", ErrServerMessage, tc.want)
		})
	}
}

func TestQuoteCutsOnlyPastMaxQuoted(t *testing.T) {
	exact := strings.Repeat("a", maxQuoted)
	if got := quote([]byte(exact)); got != `"`+exact+`"` {
		t.Errorf("quote of exactly %d bytes = %s, want it whole", maxQuoted, got)
	}
	over := exact + "b"
	if got := quote([]byte(over)); got != `"`+exact+`"... (65 bytes)` {
		t.Errorf("quote of %d bytes = %s, want the first %d and the length", len(over), got, maxQuoted)
	}
}
