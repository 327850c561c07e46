package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Groups of consumers (protocol type "consumer") carry each member's
// subscription and assignment as bytes in JoinGroup and SyncGroup, in the
// consumer protocol's own versioned layout. Bytes that read back exactly as
// that layout are shown as what they say.

// consumerProtocol describes bytes of field name in an API key's message,
// or returns nil when they are not the consumer protocol.
func consumerProtocol(key int16, name string, b []byte) []string {
	switch {
	case len(b) < 2:
		return nil
	case key == 11 && (name == "Metadata" || name == "ProtocolMetadata"):
		var m kmsg.ConsumerMemberMetadata
		if m.ReadFrom(b) != nil || !bytes.Equal(m.AppendTo(nil), b) {
			return nil
		}
		lines := []string{fmt.Sprintf("consumer subscription v%d: topics %s", m.Version, quotedList(m.Topics))}
		if m.Version >= 1 && len(m.OwnedPartitions) > 0 {
			var owned []string
			for _, p := range m.OwnedPartitions {
				owned = append(owned, fmt.Sprintf("%q %v", p.Topic, p.Partitions))
			}
			lines = append(lines, "owned partitions: "+strings.Join(owned, ", "))
		}
		if m.Version >= 2 {
			lines = append(lines, fmt.Sprintf("generation: %d", m.Generation))
		}
		if m.Version >= 3 && m.Rack != nil {
			lines = append(lines, fmt.Sprintf("rack: %q", *m.Rack))
		}
		if len(m.UserData) > 0 {
			lines = append(lines, "user data: "+bytesText(m.UserData))
		}
		return lines
	case key == 14 && name == "MemberAssignment":
		var a kmsg.ConsumerMemberAssignment
		if a.ReadFrom(b) != nil || !bytes.Equal(a.AppendTo(nil), b) {
			return nil
		}
		var topics []string
		for _, t := range a.Topics {
			topics = append(topics, fmt.Sprintf("%q %v", t.Topic, t.Partitions))
		}
		lines := []string{fmt.Sprintf("consumer assignment v%d: %s", a.Version, strings.Join(topics, ", "))}
		if len(topics) == 0 {
			lines[0] += "no partitions"
		}
		if len(a.UserData) > 0 {
			lines = append(lines, "user data: "+bytesText(a.UserData))
		}
		return lines
	}
	return nil
}

func quotedList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
