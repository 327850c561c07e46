package main

import "strings"

// Secrets stay out of every output form. SaslAuthenticate bodies (key 36:
// passwords, SCRAM proofs, tokens) are never decoded or shown, whether or
// not the log redacted them, nor are the bare SASL tokens after a
// SaslHandshake v0. In other APIs these fields are secrets and are shown
// only as their length, and a frame's hex stops before the first of them:
//
//   - HMAC: a delegation token's secret (CreateDelegationToken and
//     DescribeDelegationToken responses, RenewDelegationToken and
//     ExpireDelegationToken requests);
//   - Salt and SaltedPassword: SCRAM credentials (AlterUserScramCredentials);
//   - the Value of a config whose name says it is a password, a secret, a
//     key or a JAAS config, or that the broker marks IsSensitive.

// secretAPIs are the API keys whose bodies may hold secrets besides
// SaslAuthenticate; when one does not decode to its end, nothing after
// the point where decoding stopped is shown.
var secretAPIs = map[int16]bool{19: true, 32: true, 33: true, 38: true, 39: true, 40: true, 41: true, 44: true, 51: true}

// secretFieldNames are fields that are secrets wherever they appear.
var secretFieldNames = map[string]bool{"HMAC": true, "Salt": true, "SaltedPassword": true, "SASLAuthBytes": true}

// sensitiveConfig reports whether a config's name marks its value secret.
func sensitiveConfig(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"password", "secret", "jaas", ".key", "token", "credential"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// markSecrets flags the secret values of a decoded body and returns the
// frame offset where the first one starts (or where decoding stopped, for
// an API that may hold secrets), or -1 when everything may be shown.
func markSecrets(key int16, request bool, dec *decoded) int {
	first := -1
	mark := func(n *node) {
		n.secret = true
		if first < 0 || n.off < first {
			first = n.off
		}
	}
	var walk func(n *node)
	walk = func(n *node) {
		if n.field != nil && secretFieldNames[n.name] && (n.kind == wBytes || n.kind == wString) {
			mark(n)
		}
		if n.kind == wStruct || n.kind == wNullableStruct {
			var name, value *node
			sensitive := false
			for _, c := range n.children {
				switch c.name {
				case "Name":
					name = c
				case "Value":
					value = c
				case "IsSensitive":
					sensitive = c.num == 1
				}
			}
			if name != nil && value != nil && value.kind == wString && !value.null && (sensitive || sensitiveConfig(name.str)) {
				mark(value)
			}
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(dec.body)
	if p := dec.stopped(); p != nil && secretAPIs[key] && (first < 0 || p.off < first) {
		first = p.off
	}
	return first
}
