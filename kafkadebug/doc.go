// Package kafkadebug decides how much wire-level debugging kafkaio prints and
// prints it.
//
// # Switching it on
//
// The KAFKA_DEBUG environment variable is a comma-separated list of entries,
// each either "Module:level" or a bare "level" that applies to every module:
//
//	KAFKA_DEBUG=1                  every module at level 1
//	KAFKA_DEBUG=IO:2               module IO at level 2
//	KAFKA_DEBUG=IO:2,Connection:1  two modules
//	KAFKA_DEBUG=' IO : 2 '         the same as IO:2: whitespace is trimmed
//
// Entries apply left to right, so a later entry overrides an earlier one that
// names the same module (a bare level names them all). Module names match
// without regard to ASCII case. An entry that cannot be read is skipped with
// one logrus warning; nothing about the variable ever panics. The variable is
// read once when the package is initialised; [LoadEnv] reads it again, and
// [SetLevel] or [Module.SetLevel] change a level from code.
//
// # Levels
//
// Level 0 prints nothing and costs one atomic load per check ([Module.Level]).
// Level 1 prints one line per event: name resolution, connect attempts,
// waits, interrupts, end of stream, close, and every error returned. Level 2
// adds a dump of every message sent and every chunk received (see [Dump]).
//
// # Where the output goes, and at which logrus level
//
// Everything this package and kafkaio print for KAFKA_DEBUG is logged at
// logrus Info level ([OutputLevel]). KAFKA_DEBUG is the switch; the logrus
// level is not a second one. Logging at Debug level would make KAFKA_DEBUG=IO:2
// look broken to anyone whose logger runs at the usual Info level. A logger
// set to Warn or higher still hides the output: [WarnIfHidden] says so once
// for each connection kafkaio opens.
//
// Without a caller's logger, output goes to standard error through
// [DefaultLogger], whose [Formatter] writes one line per entry:
//
//	2025-11-21T19:27:00.123456Z INFO [conn=127.0.0.1:50712] # Request to 127.0.0.1:9092
//
// that is: an RFC 3339 timestamp with microseconds, the upper-case level, the
// fields in square brackets (sorted by key; a value is quoted with Go syntax
// when it is empty or holds a space, a quote, a backslash, '=', ']' or a
// non-printable byte; the brackets are left out when there are no fields,
// unless the message itself starts with '[', which then follows an empty
// "[]" so that it cannot be read as fields), and the message.
//
// # The level-2 dump format (stable: cmd/hexdump-trace parses it)
//
// A dump is a run of log entries, one per line of text, each carrying the
// fields of the logger it was written through:
//
//	# Request to HOST:PORT         (or "# Response from HOST:PORT")
//	# Hex Stream: 0000000e0012000000000001000474657374
//	00000000  00 00 00 0e 00 12 00 00  00 00 00 01 00 04 74 65  |..............te|
//	00000010  73 74                                             |st|
//
// HOST:PORT is the broker's address, an IPv6 host in
// square brackets. The hex stream holds the whole chunk, two lowercase digits
// per byte. The table is [AppendHexTable]'s: per 16 bytes, the offset as at
// least eight lowercase hex digits, two spaces, the bytes as "xx " with one
// more space after the eighth, padding to full width on the last row, then the
// bytes again between '|' characters, printable ASCII (0x20-0x7e) as itself
// and every other byte as '.'. An empty chunk has an empty hex stream and no
// rows. The lines of one dump are never interleaved with another dump's lines
// written by the same process.
//
// Secrets are left out. kafkaio dumps a frame that carries secrets only up
// to the end of its header: the size and, for a request, api_key,
// api_version, correlation_id and client_id; for a response,
// correlation_id. Those frames are SaslAuthenticate requests and responses
// (passwords, SCRAM proofs, tokens, the server's SASL data),
// AlterUserScramCredentials requests (salted passwords), the HMACs of the
// delegation-token APIs (CreateDelegationToken and DescribeDelegationToken
// responses, RenewDelegationToken and ExpireDelegationToken requests), and
// AlterConfigs and IncrementalAlterConfigs requests (which may set password
// configs); after a SaslHandshake v0, the bare SASL tokens that follow it
// show only their size. The rest of the frame is replaced by one more line
// at the end of that dump:
//
//	<N bytes of SASL data redacted>
//
// The N bytes follow the dump's hex stream in the stream, so a reader that
// counts bytes keeps its place; bytes of the same chunk after the frame's
// end are dumped as a new dump. A dumper that does not know where the
// stream's frames begin (debugging switched to level 2 on a connection
// already carrying a stream it cannot frame, or after a SaslHandshake v0
// for a mechanism whose tokens it cannot count) shows no content for such
// a chunk, only
//
//	<N bytes not shown: frame boundaries unknown>
//
// [ParseRedactedLine] reads both lines.
package kafkadebug
