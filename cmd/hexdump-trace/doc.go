// Command hexdump-trace turns kafkaio's level-2 debug output (KAFKA_DEBUG=IO:2)
// into a trace of Kafka frames, every field decoded.
//
// Usage:
//
//	hexdump-trace [flags] [FILE...]             read logs (standard input when no FILE)
//	hexdump-trace -broker HOST:PORT [-api apiversions|metadata] [-n N] [flags]
//	hexdump-trace -embedded [-api ...] [-n N] [flags]   the same against an in-process broker
//
// It reads the lines of kafkadebug's default logger and the same entries
// written by logrus's TextFormatter or JSONFormatter, joins each direction's
// dumped chunks into frames, and decodes each frame: its header, then its
// body, for every API key and version franz-go's kmsg knows, request header
// v2 and response header v1 (tagged fields) included. The wire layout of
// each message is learnt from kmsg's encoders (see schema.go), not written
// per API.
//
// # Text (the default)
//
// One line per frame, then its fields as an indented tree, then its first
// bytes as a hex table (-hex N, 64 by default, 0 for none):
//
//	#16 19:27:00.128303 response from broker 127.0.0.1:42711 to 127.0.0.1:35124, 65 bytes: JoinGroup v6, correlation id 8, answers #15 after 296µs, error MEMBER_ID_REQUIRED (79)
//	    ThrottleMillis: 0
//	    ErrorCode: MEMBER_ID_REQUIRED (79)
//
// The frame line gives the frame's number, the time of its dump, the local
// address (kafkaio's "conn" field) and the broker's, the frame's length
// (its 4-byte size included), and what it is. Error codes carry Kafka's
// names, API keys and kmsg's enums theirs; record batches are summarised
// (base offset, count, compression, producer, size, CRC, the first records'
// keys and value sizes); a body that does not decode is shown as far as it
// does, with the frame offset and the reason where it stopped. -fields top
// shows only the top-level fields, -fields none no fields. Problems in the
// log are lines starting "!" that name the log and its line; -events adds
// the log's other entries. A summary ends each log: frames and bytes per
// API, latency percentiles (p50, p99, max), requests never answered,
// responses that answer no request in the log.
//
// # JSON (-json)
//
// One JSON object per line, in the order the text form prints them, each
// with "kind": "frame", "problem", "event" (with -events) or "summary"
// (last, once per log). Keys are always present, null when they do not
// apply; new keys may be added, none will be renamed or change meaning.
//
// A frame:
//
//	kind            "frame"
//	log             the log's name as given (a file, or "standard input")
//	log_line        the log line of the dump holding the frame's first byte
//	frame           the frame's number in its log, from 1
//	time            the dump's time, RFC 3339 with nanoseconds, or null
//	direction       "request" or "response"
//	local           the local address (kafkaio's "conn" field), or null
//	broker          the broker's address
//	log_fields      the log entry's other fields, "k=v k=v", or null
//	bytes           the frame's length, its 4-byte size included
//	api             the API's name ("Metadata"; "SASL token" for the bare
//	                tokens after SaslHandshake v0), or null
//	api_key         the API key, or null
//	version         the API version, or null
//	correlation_id  the correlation id, or null
//	client_id       requests only: the client id, or null
//	request_frame   responses only: the number of the request it answers
//	latency_us      responses only: microseconds since that request's dump
//	error           responses only: the name of a top-level error code that
//	                is not 0 ("NOT_COORDINATOR"), or null
//	header_error    why the header could not be read, or null
//	redacted        what was left out for secrecy, or null
//	notes           remarks, such as a reused correlation id (a list)
//	header_tags     the header's tagged fields, when it has any (an object)
//	fields          the body's fields (an object), or null if not decoded
//	undecoded       why the body was not decoded, or null
//	decode_problems where and why decoding stopped ("fatal": true) or
//	                what it read past: objects of offset (in the frame),
//	                path ("Topics[0].Partitions[1]"), reason, fatal
//	hex             the frame's first bytes (-hex N of them) as hex,
//	                secrets never among them
//
// In "fields", a struct is an object keyed by kmsg's field names in wire
// order, an array is an array, numbers, strings and booleans are
// themselves (error codes stay numbers), a UUID is Kafka's base64 form,
// bytes are hex, a secret is the string "redacted (N bytes)", a tag the
// decoder does not know is "unknown tag N": hex, and record batches are an
// object: bytes, batches (each base_offset, magic, records, compression,
// bytes, crc_ok, and for magic 2 producer_id, producer_epoch,
// base_sequence, leader_epoch, transactional, control, first_timestamp,
// max_timestamp; then first_records, each offset, key (a string, an
// object {"hex": ...} when not text, or null), value_bytes (null for a null
// value) and headers; and records_note), problem and partial.
//
// A problem: kind, log, log_line, text. An event: kind, log, log_line,
// time, message, log_fields. A summary: kind, log, frames, requests,
// responses, connections, problems, apis (each api, requests,
// request_bytes, responses, response_bytes, latency_us: p50, p99 and max,
// or null), unanswered and unmatched (lists of frame numbers).
//
// For example, the APIs whose responses carried an error:
//
//	hexdump-trace -json wire.log | jq -r 'select(.kind == "frame" and .error != null) | "\(.api) \(.error)"'
//
// # HTML (-html FILE)
//
// One self-contained page (its script and style inline; it fetches
// nothing): per log a timeline per connection, each request a bar from its
// dump to its response's, coloured by API, with its latency; the frames,
// each expandable to its decoded fields and hex; the summary per API; the
// problems. A link ending #log0-frame4 opens that frame. The text or JSON
// output is written as well.
//
// # Secrets
//
// SaslAuthenticate bodies are never shown in any form, whether kafkaio
// redacted them in the log (a dump whose last line is
// "<N bytes of SASL data redacted>": the N bytes are counted so frames stay
// apart) or the log holds them whole. (kafkaio's other such line, "<N bytes
// not shown: frame boundaries unknown>", written when debugging was switched
// to level 2 on a connection in use, makes the tool look for the start of
// a frame again.) Neither are the bare SASL tokens
// after a SaslHandshake v0, a delegation token's HMAC, SCRAM salts and
// salted passwords, or the values of configs that look like passwords,
// secrets, keys or JAAS configs. Hex tables stop before the first of them.
//
// Exit status: 0 on success, 1 when a file cannot be read, the page cannot
// be written or a live exchange fails, 2 on bad usage.
package main
