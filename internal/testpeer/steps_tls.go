package testpeer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"
)

// StartTLS is Start with TLSHandshake(cfg) as the first step of the script:
// a peer that speaks TLS on every connection, then runs steps inside it.
func StartTLS(tb testing.TB, network string, cfg *tls.Config, steps ...Step) *Peer {
	tb.Helper()
	return Start(tb, network, append([]Step{TLSHandshake(cfg)}, steps...)...)
}

// TLSHandshake performs the server side of a TLS handshake with cfg (a
// server configuration such as testcerts.Server().ServerConfig()). The
// handshake waits as long as the client does, or until the peer closes.
//
// From then on the reading and writing steps (Read, Write, WriteFrame, Echo,
// EchoFrames, Discard, Flood, ...) go through the TLS stream, and
// Peer.Received records the plaintext. The steps that act on the TCP socket
// still do: FIN, Close and Reset send no close_notify (use CloseNotify for
// that), SetRecvBuffer sizes the socket, and Func gets the TCP connection.
//
// A client that rejects the handshake with an alert (a certificate it does
// not accept, say) ends the script early, as a client that went away: it is
// listed in Events, not Err. Any other handshake failure is Peer.Err, e.g.
// "tls: first record does not look like a TLS handshake" when a plaintext
// client sends a Kafka request. cfg must not be changed while the peer runs;
// its GetConfigForClient and VerifyConnection callbacks are the way to see
// what a client offered (server name, certificates).
func TLSHandshake(cfg *tls.Config) Step {
	if cfg == nil {
		panic("testpeer: TLSHandshake(nil)")
	}
	return newStep("TLSHandshake()", func(s *session) error {
		if s.tls != nil {
			return errors.New("a second TLSHandshake in one script")
		}
		tc := tls.Server(s.conn, cfg)
		if err := tc.HandshakeContext(s.ctx); err != nil {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "remote error" {
				return fmt.Errorf("%w: %w", errClientAlert, err)
			}
			return err
		}
		s.tls = tc
		return nil
	})
}

// errClientAlert marks a handshake the client ended with a TLS alert; the
// session counts it as the client going away.
var errClientAlert = errors.New("client aborted the TLS handshake")

// CloseNotify sends a TLS close_notify alert and stops writing through TLS
// (tls.Conn.CloseWrite): the client reads a clean EOF from its TLS stream
// while the TCP connection stays open and the peer can still read. It is an
// error (Peer.Err) before TLSHandshake.
func CloseNotify() Step {
	return newStep("CloseNotify()", func(s *session) error {
		if s.tls == nil {
			return errors.New("CloseNotify before TLSHandshake")
		}
		return s.tls.CloseWrite()
	})
}
