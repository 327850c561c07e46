package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
)

// errorName is a Kafka error code as the protocol guide names it:
// "NONE (0)", "NOT_LEADER_OR_FOLLOWER (6)", "UNKNOWN (12345)".
func errorName(code int64) string {
	return errorCodeName(code) + " (" + strconv.FormatInt(code, 10) + ")"
}

// renamedErrors are codes whose name Kafka changed after franz-go's kerr
// took it: Kafka 2.6 (KIP-392, fetching from followers) renamed 6.
var renamedErrors = map[int64]string{6: "NOT_LEADER_OR_FOLLOWER"}

func errorCodeName(code int64) string {
	if code == 0 {
		return "NONE"
	}
	if name, ok := renamedErrors[code]; ok {
		return name
	}
	if code >= -32768 && code <= 32767 {
		if e := kerr.TypedErrorForCode(int16(code)); e != nil && (e.Code == int16(code)) {
			return e.Message
		}
	}
	return "UNKNOWN"
}

// uuidString is Kafka's own rendering of a UUID (topic ids, among others):
// URL-safe base64 without padding, as kafka-topics.sh prints them.
func uuidString(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// isErrorField reports whether a field holds a Kafka error code.
func isErrorField(n *node) bool {
	return n.kind == wInt16 && strings.HasSuffix(n.name, "ErrorCode")
}

// stringer is implemented by kmsg's enum types (ACLOperation and others).
type stringer interface{ String() string }

// annotation is what a value means, when the number alone does not say:
// an error code's name, an API key's name, an enum's name, a special
// timestamp. It is "" when there is nothing to add.
func annotation(key int16, request bool, n *node) string {
	if n.field == nil {
		return ""
	}
	switch {
	case isErrorField(n):
		return errorCodeName(n.num)
	case n.kind == wInt16 && (n.name == "ApiKey" || key == 18 && n.name == "Key"):
		if name, ok := knownAPI(int16(n.num)); ok {
			return name
		}
		return ""
	}
	if name := enumName(n); name != "" {
		return name
	}
	switch {
	case key == 2 && request && n.name == "Timestamp":
		// ListOffsets' special timestamps (KIP-734, KIP-405, KIP-1005).
		switch n.num {
		case -1:
			return "latest"
		case -2:
			return "earliest"
		case -3:
			return "max timestamp"
		case -4:
			return "earliest local"
		case -5:
			return "latest tiered"
		}
	case key == 0 && request && n.name == "Acks":
		switch n.num {
		case -1:
			return "all in-sync replicas"
		case 0:
			return "no acknowledgement"
		case 1:
			return "leader only"
		}
	case n.name == "IsolationLevel":
		switch n.num {
		case 0:
			return "read uncommitted"
		case 1:
			return "read committed"
		}
	case key == 10 && request && n.name == "CoordinatorType":
		switch n.num {
		case 0:
			return "group"
		case 1:
			return "transaction"
		case 2:
			return "share"
		}
	case n.kind == wInt32 && strings.HasSuffix(n.name, "AuthorizedOperations") && n.num == math.MinInt32:
		return "not asked for"
	case n.kind == wInt64 && strings.HasSuffix(n.name, "Timestamp") && plausibleMillis(n.num):
		return time.UnixMilli(n.num).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return ""
}

// enumName is the name kmsg gives the value of an enum type.
func enumName(n *node) string {
	t := n.field.goType
	if t.PkgPath() != "github.com/twmb/franz-go/pkg/kmsg" || t.Name() == "" {
		return ""
	}
	e := reflect.New(t).Elem()
	switch e.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.SetInt(n.num)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.SetUint(n.unum)
	default:
		return ""
	}
	s, ok := e.Interface().(stringer)
	if !ok {
		return ""
	}
	if name := s.String(); name != "UNKNOWN" {
		return name
	}
	return ""
}

// plausibleMillis reports whether v reads as a time in milliseconds since
// 1970 between the years 2001 and 2286, rather than an offset or a flag.
func plausibleMillis(v int64) bool { return v >= 1e12 && v < 1e13 }

// scalarText renders a scalar node's value for the text tree.
func scalarText(n *node) string {
	if n.null {
		return "null"
	}
	switch n.kind {
	case wBool:
		return strconv.FormatBool(n.num == 1)
	case wInt8, wInt16, wInt32, wInt64:
		return strconv.FormatInt(n.num, 10)
	case wUint16, wUint32:
		return strconv.FormatUint(n.unum, 10)
	case wFloat64:
		return strconv.FormatFloat(n.flt, 'g', -1, 64)
	case wUUID:
		return uuidString(n.raw)
	case wString:
		if n.secret {
			return fmt.Sprintf("<%s redacted>", count(len(n.str), "byte"))
		}
		return strconv.Quote(n.str)
	case wBytes:
		if n.secret {
			return fmt.Sprintf("<%s redacted>", count(len(n.raw), "byte"))
		}
		return bytesText(n.raw)
	}
	return "?"
}

// shownBytes is how many bytes of a bytes value the text tree shows.
const shownBytes = 24

// bytesText is "0 bytes", or "5 bytes 00 01 02 03 04", the first
// shownBytes of longer ones followed by "...".
func bytesText(b []byte) string {
	s := count(len(b), "byte")
	if len(b) == 0 {
		return s
	}
	shown := b[:min(len(b), shownBytes)]
	s += " " + spacedHex(shown)
	if len(shown) < len(b) {
		s += " ..."
	}
	return s
}

// keyText renders a record key: quoted when it is text, hex when not.
func keyText(key []byte, null bool) string {
	switch {
	case null:
		return "null"
	case len(key) == 0:
		return `""`
	}
	shown := key[:min(len(key), 40)]
	var s string
	if utf8.Valid(shown) && !hasControl(shown) {
		s = strconv.Quote(string(shown))
	} else {
		s = "0x" + hex.EncodeToString(shown)
	}
	if len(shown) < len(key) {
		s += fmt.Sprintf("... (%s)", count(len(key), "byte"))
	}
	return s
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
