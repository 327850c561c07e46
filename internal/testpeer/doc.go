// Package testpeer is a scripted TCP peer on loopback for testing socket code
// against a server that misbehaves on purpose.
//
// A test starts a Peer with a script of steps. The peer runs the whole script
// on every connection it accepts, each connection in its own goroutine:
//
//	peer := testpeer.Start(t, "tcp4",
//		testpeer.Read(18),                 // the request
//		testpeer.WriteSize(16),            // a size prefix promising 16 bytes ...
//		testpeer.Dribble([]byte("abc"), 50*time.Millisecond), // ... a few of them, slowly
//		testpeer.Reset(),                  // then a connection reset
//	)
//	conn, err := net.Dial("tcp4", peer.Addr())
//
// When a script ends, its connection stays open, neither read nor written,
// until the peer is closed; end a script with Close or Reset to hang up. When
// the client goes away during a step (EOF, reset, broken pipe) the script ends
// early, the peer closes its end, and that is listed in Events but is not an
// Err: tests of a client that gives up expect it. Steps that read until EOF
// (Echo, Discard, SlowRead, EchoFrames) end normally at EOF instead, and the
// script goes on.
//
// A script can speak TLS: TLSHandshake (or StartTLS, which puts it first)
// runs the server side of a handshake, after which the reading and writing
// steps go through the TLS stream, while FIN, Close, Reset and SetRecvBuffer
// still act on the TCP socket; CloseNotify sends TLS's own close_notify.
//
// The peer stops in t.Cleanup: it closes its listener and every connection,
// interrupts every Sleep and Stall, and waits for all of its goroutines.
//
// The Kafka steps (a Broker's ApiVersions, SaslHandshake, SaslAuthenticate,
// SaslExchange and Serve, and ReadFrame) speak enough of the Kafka protocol
// for connection set-up: they answer ApiVersions with configurable ranges,
// run SASL exchanges against the broker-side mechanisms of
// internal/saslserver, fail the way brokers fail, and set a session
// lifetime. They read and write through the session, so they work the same
// over any transport the session carries.
//
// The package also provides two addresses that cannot be served:
// FullBacklog (a connect hangs until the client's own timeout) and
// RefusedPort (a connect is refused).
package testpeer
