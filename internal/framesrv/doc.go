// Package framesrv is the peer kafkaio's benchmarks talk to: a loopback
// server that answers each size-prefixed request with a response of the size
// the request asks for, carrying the request's correlation id.
//
// It exists so that kafkaio and a plain net.Conn client can be timed against
// exactly the same server, running in a separate process so that the
// server's CPU time and allocations never show up in the client's numbers.
//
// # Wire format
//
// A request is a Kafka-style frame: a big-endian int32 size, then a body that
// starts like a Kafka request header, then one field of this package's own,
// then padding up to the request's size:
//
//	offset  type   field
//	0       int16  api key (APIKey; the server ignores it)
//	2       int16  api version (0)
//	4       int32  correlation id
//	8       int16  client id length (-1: null, as in Kafka)
//	10      int32  response size: the whole response frame in bytes, its
//	               4-byte size prefix included; 0 means "send no response"
//	14...          padding
//
// The response is a frame of exactly that many bytes whose body begins with
// the request's correlation id. All sizes in this package count the 4-byte
// prefix: NewRequest(64, 64) is 64 bytes on the wire each way.
//
// # Separate process
//
// Start runs the server in a child process by re-executing the running test
// binary, so there is no binary to build: the test binary's TestMain must
// call RunIfChild before anything else. The child dies with its parent
// (Pdeathsig, and an EOF on its stdin), and Start's cleanup stops it.
package framesrv
