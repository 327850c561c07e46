package kafkaio

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/kafkaio/kafkaio/kafkadebug"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/sirupsen/logrus"
)

// debugger reports an IO's events under KAFKA_DEBUG's "IO" module. Every
// method checks the level first and does nothing else at level 0, so that
// with debugging off Send and Receive allocate exactly what they would
// without it.
type debugger struct {
	log  logrus.FieldLogger // carries the connection's fields
	addr string             // "host:port" for dump headers
}

// debugModule is the KAFKA_DEBUG module kafkaio reports under.
var debugModule = kafkadebug.IO

// newDebugger returns the debugger used while New resolves and connects.
func newDebugger(logger logrus.FieldLogger, host string, port int) debugger {
	if logger == nil {
		logger = kafkadebug.DefaultLogger()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	kafkadebug.WarnIfHidden(logger, debugModule)
	// The fields are attached even with debugging off, once per IO, so that
	// a level raised later still tells connections apart.
	return debugger{log: logger.WithField("broker", addr), addr: addr}
}

// on reports whether level's output is wanted.
func (d debugger) on(level int) bool { return debugModule.Level() >= level }

// connected returns the debugger of an established connection, whose lines
// carry the local address so that interleaved connections can be told apart.
func (d debugger) connected(addr, local string) debugger {
	d.addr = addr
	d.log = d.log.WithField("conn", local)
	if d.on(1) {
		kafkadebug.Event(d.log, "connected", logrus.Fields{"address": addr, "local": local})
	}
	return d
}

// resolved reports the outcome of resolving the host.
func (d debugger) resolved(host string, addrs []netip.AddrPort, err error, elapsed time.Duration) {
	if !d.on(1) {
		return
	}
	f := logrus.Fields{"name": host, "elapsed": elapsed}
	if err != nil {
		f["error"] = err.Error()
	} else {
		list := make([]string, len(addrs))
		for i, a := range addrs {
			list[i] = a.Addr().String()
		}
		f["addresses"] = list
	}
	kafkadebug.Event(d.log, "resolved", f)
}

// attempt reports one connect attempt.
func (d debugger) attempt(ap netip.AddrPort, err error, elapsed time.Duration) {
	if !d.on(1) {
		return
	}
	outcome := "connected"
	if err != nil {
		outcome = err.Error()
	}
	kafkadebug.Event(d.log, "connect attempt", logrus.Fields{"address": ap.String(), "outcome": outcome, "elapsed": elapsed})
}

// wait reports that a call found nothing to move and waits for readiness.
func (d debugger) wait(reading bool, done, total, retries int) {
	if !d.on(1) {
		return
	}
	what := "wait writable"
	if reading {
		what = "wait readable"
	}
	kafkadebug.Event(d.log, what, logrus.Fields{"done": done, "total": total, "retries": retries})
}

// interrupted reports an EINTR, which is retried.
func (d debugger) interrupted(done, total int) {
	if d.on(1) {
		kafkadebug.Event(d.log, "interrupted (EINTR), retrying", logrus.Fields{"done": done, "total": total})
	}
}

// eof reports that the peer closed its side.
func (d debugger) eof(done int) {
	if d.on(1) {
		kafkadebug.Event(d.log, "EOF from peer", logrus.Fields{"done": done})
	}
}

// closed reports that the IO was closed, and why.
func (d debugger) closed(why string) {
	if d.on(1) {
		kafkadebug.Event(d.log, "closed", logrus.Fields{"why": why})
	}
}

// fail reports an error being returned, in Kafka::IO's words, and returns it.
func (d debugger) fail(err error) error {
	if d.on(1) {
		code := kafkaerr.Code(0)
		var ke *kafkaerr.Error
		if errors.As(err, &ke) {
			code = ke.Code
		}
		kafkadebug.Event(d.log, "returning IO error "+strconv.Itoa(int(code))+": "+err.Error(), nil)
	}
	return err
}

// dump writes a level-2 dump of a sent message or a received chunk.
func (d debugger) dump(request bool, b []byte) {
	if !d.on(2) || len(b) == 0 {
		return
	}
	dir := kafkadebug.Response
	if request {
		dir = kafkadebug.Request
	}
	kafkadebug.Dump(d.log, dir, d.addr, b)
}

// handshake reports a completed TLS handshake: what was agreed, whom the
// broker's certificate names and until when, and how long it took.
func (d debugger) handshake(cs *tls.ConnectionState, elapsed time.Duration) {
	if !d.on(1) {
		return
	}
	f := logrus.Fields{
		"version": tls.VersionName(cs.Version),
		"cipher":  tls.CipherSuiteName(cs.CipherSuite),
		"resumed": cs.DidResume,
		"elapsed": elapsed,
	}
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		f["subject"] = leaf.Subject.String()
		f["expires"] = leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	if cs.NegotiatedProtocol != "" {
		f["alpn"] = cs.NegotiatedProtocol
	}
	kafkadebug.Event(d.log, "tls handshake", f)
}

// keyLog warns that the session keys are being written to a file.
func (d debugger) keyLog(path string) {
	if d.on(1) {
		kafkadebug.Event(d.log, "warning: appending TLS session keys to "+EnvKeyLogFile+" "+path+
			": anyone who can read it can decrypt this connection", nil)
	}
}
