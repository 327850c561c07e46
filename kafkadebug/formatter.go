package kafkadebug

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// TimeFormat is the timestamp layout of Formatter: RFC 3339 with microseconds,
// fine enough to time a loopback round trip.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Formatter is the logrus formatter of DefaultLogger, usable with any logger:
// one line per entry, "TIME LEVEL [key=value ...] message" (the package
// documentation gives the details). A message's own line breaks are written as
// \n and \r so that one entry always stays one line.
type Formatter struct{}

// Format implements logrus.Formatter.
func (Formatter) Format(e *logrus.Entry) ([]byte, error) {
	b := make([]byte, 0, 64+len(e.Message))
	b = e.Time.AppendFormat(b, TimeFormat)
	b = append(b, ' ')
	b = append(b, strings.ToUpper(e.Level.String())...)
	b = append(b, ' ')
	msg := strings.TrimSuffix(e.Message, "\n")
	if len(e.Data) > 0 || strings.HasPrefix(msg, "[") {
		// An empty "[]" keeps a message that starts with '[' from being
		// read as fields.
		b = appendFields(b, e.Data)
		b = append(b, ' ')
	}
	b = appendMessage(b, msg)
	return append(b, '\n'), nil
}

// appendFields writes "[k=v k=v]" with keys sorted, as the parser expects.
func appendFields(b []byte, data logrus.Fields) []byte {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, k...)
		b = append(b, '=')
		b = appendFieldValue(b, fieldString(data[k]))
	}
	return append(b, ']')
}

// fieldString renders a field value as logrus's own formatters would.
func fieldString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case error:
		return v.Error()
	default:
		return fmt.Sprint(v)
	}
}

// appendFieldValue appends s as Formatter writes a field value: bare when it
// is safe to read back unquoted, otherwise as a Go-syntax quoted string.
func appendFieldValue(b []byte, s string) []byte {
	if needsQuote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=' || c == ']' {
			return true
		}
	}
	return false
}

// appendMessage escapes only line breaks: the message is the rest of the
// line, so nothing else in it can be misread.
func appendMessage(b []byte, msg string) []byte {
	if !strings.ContainsAny(msg, "\r\n") {
		return append(b, msg...)
	}
	for i := 0; i < len(msg); i++ {
		switch msg[i] {
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, msg[i])
		}
	}
	return b
}
