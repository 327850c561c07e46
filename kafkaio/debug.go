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
// without it, and an IO carries nothing for debugging until it first
// writes a line: its debugState is made then.
type debugger struct {
	c  *IO         // the connection; nil while New resolves and connects
	st *debugState // New's state, before the IO exists
}

// debugState is what a connection's debug output needs: a logger carrying
// its fields, the broker's address for dump headers, and the frame
// trackers that keep SASL secrets out of dumps (dump.go).
type debugState struct {
	log  logrus.FieldLogger
	addr string
	dumps
}

// debugModule is the KAFKA_DEBUG module kafkaio reports under.
var debugModule = kafkadebug.IO

// newDebugger returns the debugger used while New resolves and connects.
func newDebugger(logger logrus.FieldLogger, host string, port int) debugger {
	if logger == nil {
		logger = kafkadebug.DefaultLogger()
	}
	kafkadebug.WarnIfHidden(logger, debugModule)
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	st := &debugState{addr: addr}
	if debugModule.Level() > 0 {
		st.log = logger.WithField("broker", addr)
	}
	return debugger{st: st}
}

// dbg returns c's debugger.
func (c *IO) dbg() debugger { return debugger{c: c} }

// on reports whether level's output is wanted.
func (d debugger) on(level int) bool { return debugModule.Level() >= level }

// state returns the debug state, making the connection's the first time:
// its lines carry the broker's and the local address, so that interleaved
// connections can be told apart. A state made after the connection has
// carried bytes does not know where its frames begin (see dumps).
func (d debugger) state() *debugState {
	if d.c == nil {
		if d.st.log == nil {
			d.st.log = kafkadebug.DefaultLogger().WithField("broker", d.st.addr)
		}
		return d.st
	}
	return d.c.debugState(false)
}

// debugState returns c's debug state, making it if needed; fresh says the
// connection has carried no byte yet, so its frame trackers start in step.
func (c *IO) debugState(fresh bool) *debugState {
	if st := c.dbgs.Load(); st != nil {
		return st
	}
	logger := c.logger()
	if logger == nil {
		logger = kafkadebug.DefaultLogger()
	}
	addr := c.Addr()
	st := &debugState{addr: addr, log: logger.WithField("broker", addr).WithField("conn", c.LocalAddr())}
	st.dumps.init(fresh)
	if c.dbgs.CompareAndSwap(nil, st) {
		return st
	}
	return c.dbgs.Load()
}

// connected reports an established connection. With debugging on, the
// connection's debug state is made now, while its frames are in step.
func (d debugger) connected() {
	if !d.on(1) {
		return
	}
	st := d.c.debugState(true)
	kafkadebug.Event(st.log, "connected", logrus.Fields{"address": st.addr, "local": d.c.LocalAddr()})
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
	kafkadebug.Event(d.state().log, "resolved", f)
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
	kafkadebug.Event(d.state().log, "connect attempt", logrus.Fields{"address": ap.String(), "outcome": outcome, "elapsed": elapsed})
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
	kafkadebug.Event(d.state().log, what, logrus.Fields{"done": done, "total": total, "retries": retries})
}

// interrupted reports an EINTR, which is retried.
func (d debugger) interrupted(done, total int) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "interrupted (EINTR), retrying", logrus.Fields{"done": done, "total": total})
	}
}

// eof reports that the peer closed its side.
func (d debugger) eof(done int) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "EOF from peer", logrus.Fields{"done": done})
	}
}

// closed reports that the IO was closed, and why.
func (d debugger) closed(why string) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "closed", logrus.Fields{"why": why})
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
		kafkadebug.Event(d.state().log, "returning IO error "+strconv.Itoa(int(code))+": "+err.Error(), nil)
	}
	return err
}

// dump writes a level-2 dump of a sent message or a received chunk, with
// any SASL secret in it redacted (see dumps). frameStart says the chunk is
// known to begin a frame: a Send's message, a ReceiveFrame's size.
func (d debugger) dump(request bool, b []byte, frameStart bool) {
	if !d.on(2) || len(b) == 0 {
		return
	}
	st := d.state()
	st.dump(st.log, st.addr, request, b, frameStart)
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
	kafkadebug.Event(d.state().log, "tls handshake", f)
}

// keyLog warns that the session keys are being written to a file.
func (d debugger) keyLog(path string) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "warning: appending TLS session keys to "+EnvKeyLogFile+" "+path+
			": anyone who can read it can decrypt this connection", nil)
	}
}

// negotiated reports the broker's ApiVersions answer.
func (d debugger) negotiated(version int16, keys int) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "api versions", logrus.Fields{"version": version, "keys": keys})
	}
}

// authenticated reports a completed SASL exchange: the mechanism and the
// session's lifetime, never anything that was sent.
func (d debugger) authenticated(mechanism string, lifetime time.Duration) {
	if d.on(1) {
		kafkadebug.Event(d.state().log, "sasl authenticated", logrus.Fields{"mechanism": mechanism, "session_lifetime": lifetime})
	}
}
