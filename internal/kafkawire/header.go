package kafkawire

import "fmt"

// API keys of the requests this package builds.
const (
	KeyProduce     int16 = 0
	KeyFetch       int16 = 1
	KeyListOffsets int16 = 2
	KeyMetadata    int16 = 3
	KeyApiVersions int16 = 18

	KeySaslHandshake    int16 = 17
	KeySaslAuthenticate int16 = 36
)

// Kafka error codes the tests and kafkaio's set-up look for. Zero is success.
const (
	ErrNone                    int16 = 0
	ErrOffsetOutOfRange        int16 = 1
	ErrUnknownTopicOrPartition int16 = 3
	ErrUnsupportedVersion      int16 = 35

	ErrUnsupportedSaslMechanism int16 = 33 // SaslHandshake: the mechanism is not enabled
	ErrIllegalSaslState         int16 = 34 // a SASL request out of order
	ErrSaslAuthenticationFailed int16 = 58 // wrong credentials, or a failed SASL check
)

// CorrelationID reads the correlation id that starts every response body
// (response header v0 and v1 both begin with it). Pipelined tests use it to
// match responses to requests before parsing the rest.
func CorrelationID(body []byte) (int32, error) {
	d := decoder{b: body}
	id := d.int32()
	if d.err != nil {
		return 0, fmt.Errorf("response header: %w", d.err)
	}
	return id, nil
}
