// Package kafkaerr defines the typed errors that kafkaio reports.
//
// Every failure carries a Code from the client-side table used by Perl's Kafka
// package (-1000 to -1019), so that code written against that table keeps its
// meaning, or kafkaio's own AuthenticationFailed (-1020), past that table. A Code is itself an error and serves as a sentinel:
//
//	if errors.Is(err, kafkaerr.CannotBind) { /* try another broker */ }
//
// NoConnection means the connection was gone before any byte of the call
// moved. What that means for the request depends on the call, and the
// error's Op says which it was: after a "send", nothing of the request was
// written, so sending it again on a new connection is safe; after a
// "receive" or "receive frame", no byte of the response arrived, but its
// request had been written by an earlier Send and may have been carried out
// by the broker (a Produce, say), so only an idempotent request may be sent
// again:
//
//	var e *kafkaerr.Error
//	if errors.As(err, &e) && e.Code == kafkaerr.NoConnection && e.Op == "send" {
//		// reconnect and send the same request again
//	}
//
// The detailed value is an *Error, which names the operation, the peer, the
// phase that failed and the bytes done, and keeps the underlying cause in the
// chain, so errors.Is(err, syscall.ECONNREFUSED) and errors.Is(err,
// context.DeadlineExceeded) work as well.
package kafkaerr

import "strconv"

// Code is a Kafka client error code. Its Error method returns the code's text,
// so a Code can be used directly as a sentinel with errors.Is.
type Code int

// The client-side error codes. Only some are raised by kafkaio itself
// (MismatchArgument, CannotSend, CannotRecv, CannotBind,
// IncompatibleHostIPVersion, NoConnection); the rest are defined so that the
// higher-level client built on kafkaio can report through the same table.
const (
	MismatchArgument           Code = -1000 // an argument is invalid
	CannotSend                 Code = -1001 // a request could not be sent
	SendNoAck                  Code = -1002 // a sent request was not acknowledged
	CannotRecv                 Code = -1003 // a response could not be received
	CannotBind                 Code = -1004 // the connection could not be established
	MetadataAttributes         Code = -1005 // metadata has unknown attributes
	UnknownAPIKey              Code = -1006 // the API key is not known
	CannotGetMetadata          Code = -1007 // metadata could not be fetched
	LeaderNotFound             Code = -1008 // no leader for a partition
	MismatchCorrelationID      Code = -1009 // a response answers another request
	NoKnownBrokers             Code = -1010 // no broker is known
	RequestOrResponse          Code = -1011 // a request or response element is malformed
	TopicDoesNotMatch          Code = -1012 // a response names another topic
	PartitionDoesNotMatch      Code = -1013 // a response names another partition
	NotBinaryString            Code = -1014 // text was given where bytes are required
	Compression                Code = -1015 // compressing or decompressing failed
	ResponseMessageNotReceived Code = -1016 // no response message arrived
	IncompatibleHostIPVersion  Code = -1017 // the host does not fit the requested IP version
	NoConnection               Code = -1018 // the connection was gone before any byte of the call moved; see the package doc for what Op says
	GroupCoordinatorNotFound   Code = -1019 // no group coordinator was found

	// AuthenticationFailed is kafkaio's own, past the end of Kafka.pm's
	// table: SASL authentication failed, because the broker refused it (an
	// error, or a closed connection, which is what a broker does on a wrong
	// password), the broker does not offer the mechanism, or the broker's
	// answers failed the mechanism's checks. A timeout during SASL is
	// CannotBind, with the deadline in the chain.
	AuthenticationFailed Code = -1020
)

// texts are the codes' messages, as Kafka.pm's %ERROR table words them.
var texts = map[Code]string{
	MismatchArgument:           "Invalid argument",
	CannotSend:                 "Cannot send",
	SendNoAck:                  "No acknowledgement for sent request",
	CannotRecv:                 "Cannot receive",
	CannotBind:                 "Cannot connect to broker",
	MetadataAttributes:         "Unknown metadata attributes",
	UnknownAPIKey:              "Unknown ApiKey",
	CannotGetMetadata:          "Cannot get metadata",
	LeaderNotFound:             "Leader not found",
	MismatchCorrelationID:      "Mismatch CorrelationId",
	NoKnownBrokers:             "There are no known brokers",
	RequestOrResponse:          "Bad request or response element",
	TopicDoesNotMatch:          "Topic does not match the requested",
	PartitionDoesNotMatch:      "Partition does not match the requested",
	NotBinaryString:            "Unicode data is not allowed",
	Compression:                "Compression error",
	ResponseMessageNotReceived: "'ResponseMessage' not received",
	IncompatibleHostIPVersion:  "'Incompatible host name and IP version'",
	NoConnection:               "'No connection'",
	GroupCoordinatorNotFound:   "'Group Coordinator Not Found'",
	AuthenticationFailed:       "Authentication failed",
}

// Codes returns every defined code, from -1000 down: Kafka.pm's table
// (-1000 to -1019), then kafkaio's own (-1020).
func Codes() []Code {
	all := make([]Code, 0, len(texts))
	for c := MismatchArgument; c >= AuthenticationFailed; c-- {
		all = append(all, c)
	}
	return all
}

// Error returns the code's text, for example "Cannot receive". A code outside
// the table reads "kafkaerr.Code(N)".
func (c Code) Error() string {
	if t, ok := texts[c]; ok {
		return t
	}
	return "kafkaerr.Code(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c is one of the defined codes.
func (c Code) Valid() bool {
	_, ok := texts[c]
	return ok
}
