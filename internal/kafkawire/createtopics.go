package kafkawire

import (
	"maps"
	"slices"
)

// KeyCreateTopics is the API key of CreateTopics, which the integration tests
// use to make a fresh topic on whichever cluster they run against.
const KeyCreateTopics int16 = 19

// More error codes for CreateTopics answers.
const (
	ErrTopicAlreadyExists int16 = 36
	ErrNotController      int16 = 41
)

// NewTopic describes the topic a CreateTopics request asks for.
type NewTopic struct {
	Name        string
	Partitions  int32
	Replication int16
	// Configs are topic-level settings such as "max.message.bytes".
	Configs map[string]string
}

// CreateTopics builds a CreateTopics v2 request frame for one topic, with no
// explicit replica assignment. v2 is the oldest version Kafka 4 still
// accepts. Configs are written sorted by name, so the frame is
// deterministic. Brokers before KRaft, and kfake, only accept the request on
// the controller, which Metadata names.
func CreateTopics(corrID int32, clientID string, topic NewTopic, timeoutMs int32) []byte {
	e := newRequest(KeyCreateTopics, 2, corrID, clientID, false)
	e.arrayLen(1)
	e.string(topic.Name)
	e.int32(topic.Partitions)
	e.int16(topic.Replication)
	e.arrayLen(0) // assignments
	names := slices.Sorted(maps.Keys(topic.Configs))
	e.arrayLen(len(names))
	for _, name := range names {
		e.string(name)
		e.string(topic.Configs[name])
	}
	e.int32(timeoutMs)
	e.int8(0) // validate_only: false
	return e.frame()
}

// CreateTopicsResponse is a parsed CreateTopics v2 response.
type CreateTopicsResponse struct {
	CorrelationID  int32
	ThrottleTimeMs int32
	Topics         []TopicResult
}

// TopicResult is one topic's outcome in a CreateTopics response.
type TopicResult struct {
	Name         string
	ErrorCode    int16
	ErrorMessage *string
}

// ParseCreateTopics parses a CreateTopics v2 response body.
func ParseCreateTopics(body []byte) (CreateTopicsResponse, error) {
	d := decoder{b: body}
	r := CreateTopicsResponse{CorrelationID: d.int32(), ThrottleTimeMs: d.int32()}
	n := d.arrayLen(6)
	r.Topics = make([]TopicResult, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r.Topics = append(r.Topics, TopicResult{Name: d.string(), ErrorCode: d.int16(), ErrorMessage: d.nullableString()})
	}
	return r, d.finish("CreateTopics response")
}
