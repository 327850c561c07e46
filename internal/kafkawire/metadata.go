package kafkawire

// Metadata builds a Metadata request frame. Only version 1 is supported
// (version is written as given, so callers state it explicitly); v1 is the
// first version where a null topic list means "all topics", which is what a
// nil topics slice sends. A non-nil empty slice asks for no topics: brokers
// only, a cheap way to learn the cluster.
func Metadata(corrID int32, clientID string, version int16, topics []string) []byte {
	e := newRequest(KeyMetadata, version, corrID, clientID, false)
	if topics == nil {
		e.arrayLen(-1)
	} else {
		e.arrayLen(len(topics))
		for _, t := range topics {
			e.string(t)
		}
	}
	return e.frame()
}

// MetadataResponse is a parsed Metadata v1 response.
type MetadataResponse struct {
	CorrelationID int32
	Brokers       []Broker
	ControllerID  int32
	Topics        []TopicMetadata
}

// Broker is one broker a Metadata response lists.
type Broker struct {
	NodeID int32
	Host   string
	Port   int32
	Rack   *string
}

// TopicMetadata describes one topic in a Metadata response.
type TopicMetadata struct {
	ErrorCode  int16
	Name       string
	Internal   bool
	Partitions []PartitionMetadata
}

// PartitionMetadata describes one partition in a Metadata response.
type PartitionMetadata struct {
	ErrorCode int16
	Partition int32
	Leader    int32
	Replicas  []int32
	ISR       []int32
}

// ParseMetadata parses a Metadata v1 response body.
func ParseMetadata(body []byte) (MetadataResponse, error) {
	d := decoder{b: body}
	r := MetadataResponse{CorrelationID: d.int32()}
	n := d.arrayLen(12)
	r.Brokers = make([]Broker, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r.Brokers = append(r.Brokers, Broker{
			NodeID: d.int32(), Host: d.string(), Port: d.int32(), Rack: d.nullableString(),
		})
	}
	r.ControllerID = d.int32()
	n = d.arrayLen(9)
	r.Topics = make([]TopicMetadata, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r.Topics = append(r.Topics, readTopicMetadata(&d))
	}
	return r, d.finish("Metadata response")
}

func readTopicMetadata(d *decoder) TopicMetadata {
	t := TopicMetadata{ErrorCode: d.int16(), Name: d.string(), Internal: d.bool()}
	n := d.arrayLen(18)
	t.Partitions = make([]PartitionMetadata, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		t.Partitions = append(t.Partitions, PartitionMetadata{
			ErrorCode: d.int16(), Partition: d.int32(), Leader: d.int32(),
			Replicas: readInt32s(d), ISR: readInt32s(d),
		})
	}
	return t
}

// readInt32s reads a classic int32 array; null reads as empty.
func readInt32s(d *decoder) []int32 {
	n := d.arrayLen(4)
	out := make([]int32, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.int32())
	}
	return out
}
