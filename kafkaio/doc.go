// Package kafkaio is a blocking, low-level socket connection to one Kafka
// broker: the IO layer a Kafka client sends its requests and reads its
// responses through, in the manner of Perl's Kafka::IO.
//
// New resolves the broker's name and connects within one time budget,
// which also covers the TLS handshake (Config.TLS), ApiVersions and SASL
// (Config.SASL, with the mechanisms of package kafkaio/sasl) when they are
// asked for. Send writes a whole request; Receive, ReceiveInto and
// ReceiveFrame read exactly what they are asked for, reading ahead as far
// as the IO's buffer goes; RoundTrip does a Send and a ReceiveFrame and
// checks the correlation id. Every call has one deadline for the whole
// call, not per syscall: the IO's timeout, or the deadline of the context
// passed to the ...Context variants. Waiting calls park their goroutine in
// Go's network poller, never an OS thread, so thousands of idle
// connections cost a handful of threads.
//
// Over TLS the calls keep every rule above: TLS is a second transport
// under the same calls, moving the same bytes through crypto/tls over the
// same socket.
//
// For Go Kafka clients that take a dial function (franz-go, sarama,
// kafka-go), Dialer returns the IO's net.Conn view (IO.NetConn), so that
// they get kafkaio's deadlines, errors, TLS, SASL and dumps; Bootstrap
// connects to the first broker of a list that answers.
//
// Errors are *kafkaerr.Error values with Kafka::IO's codes; see the
// kafkaerr package. After any Send or Receive failure the IO closes itself,
// because a late response must never be taken for the answer to the next
// request; argument errors leave it as it was.
//
// Setting KAFKA_DEBUG=IO:1 logs connection events, and IO:2 also hex-dumps
// every byte sent and received (see the kafkadebug package).
//
// kafkaio runs on Linux: it uses MSG_NOSIGNAL and Linux socket options.
package kafkaio
