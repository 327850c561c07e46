package kafkaio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TLS is the second transport under the same calls. A Send or a Receive
// over TLS keeps every rule of the call layer (one deadline for the whole
// call, the context's cancellation, exact lengths, the error classes,
// closing after a failure, plaintext dumps); only the loop that moves the
// bytes differs: it runs crypto/tls's Conn, whose records travel through
// rawConn, the same poller-backed socket loops a plaintext call uses. The
// call arms its deadline on the socket's file, so that crypto/tls's reads
// and writes beneath it wait for the same deadline and are woken by the
// same cancellation.

// tlsState is an IO's TLS session.
type tlsState struct {
	conn *tls.Conn
	raw  rawConn
}

// EnvKeyLogFile names the environment variable that, when Config.TLS has
// no KeyLogWriter, makes New append each session's TLS secrets to the file
// it names, in the NSS key log format that Wireshark reads: the convention
// of curl and the browsers. Anyone who can read that file can decrypt the
// traffic, so New warns at debug level 1 when it writes there.
const EnvKeyLogFile = "SSLKEYLOGFILE"

// tlsConfig returns the configuration New's handshake uses: a clone of
// cfg, with ServerName defaulting to host (an IPv6 literal without
// brackets or zone, which crypto/tls then checks against the
// certificate's IP addresses and leaves out of SNI) and, when cfg has no
// KeyLogWriter and SSLKEYLOGFILE is set, a writer that appends there.
func tlsConfig(cfg *tls.Config, host string) (conf *tls.Config, keyLog string) {
	conf = cfg.Clone()
	if conf.ServerName == "" {
		conf.ServerName, _, _ = strings.Cut(host, "%")
	}
	if conf.KeyLogWriter == nil {
		if path := os.Getenv(EnvKeyLogFile); path != "" {
			conf.KeyLogWriter = keyLogFile(path)
			keyLog = path
		}
	}
	return conf, keyLog
}

// keyLogFile appends key log lines to the file it names, opening it for
// each write so that no descriptor stays open between handshakes.
type keyLogFile string

func (path keyLogFile) Write(p []byte) (int, error) {
	f, err := os.OpenFile(string(path), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := f.Write(p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// handshake runs the client side of the TLS handshake on c's socket before
// deadline (New's, shared with resolution and connect), cut short when ctx
// is cancelled. On success the IO's calls move their bytes through TLS.
func (c *IO) handshake(ctx context.Context, deadline time.Time, conf *tls.Config) error {
	st := &tlsState{}
	st.raw.init(c)
	st.conn = tls.Client(&st.raw, conf)
	f := c.f
	if err := f.SetDeadline(deadline); err != nil {
		return err
	}
	stop := onCancel(ctx, func() { _ = f.SetDeadline(aLongTimeAgo) })
	start := time.Now()
	err := st.conn.Handshake()
	if stop != nil {
		stop()
	}
	if err != nil {
		return handshakeError(ctx, withAlert(err), st.raw.received)
	}
	c.sec = st
	cs := st.conn.ConnectionState()
	c.dbg().handshake(&cs, time.Since(start))
	return nil
}

// handshakeError explains a failed handshake: the cause stays in the chain
// (a *tls.CertificateVerificationError, a tls.AlertError, the deadline),
// and the detail says in words what the failure most likely means, above
// all the two mismatches a wrong port or a wrong setting produce: a TLS
// client on a plaintext listener, which either closes the connection on
// the ClientHello or never answers it (it reads it as the size of a huge
// request), and a listener that answers with something that is not TLS.
func handshakeError(ctx context.Context, err error, received int) *handshakeFailure {
	f := &handshakeFailure{err: err}
	if ctxErr := ctx.Err(); ctxErr != nil {
		f.err = ctxErr // New's deadline or cancellation set the past deadline
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		f.err = os.ErrDeadlineExceeded
	}
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(f.err, context.Canceled):
	case errors.Is(f.err, os.ErrDeadlineExceeded), errors.Is(f.err, context.DeadlineExceeded):
		if received == 0 {
			f.detail = "no answer to the TLS ClientHello: is this a plaintext listener? (Config.TLS is set)"
		}
	case received == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		f.detail = "the broker closed the connection on the TLS ClientHello: is this a plaintext listener? (Config.TLS is set)"
	case errors.As(err, &recordErr):
		f.detail = fmt.Sprintf("the broker answered the TLS ClientHello with bytes that are not TLS (% x): is this a plaintext listener? (Config.TLS is set)", recordErr.RecordHeader[:])
	case errors.As(err, &certErr):
		f.detail = "the broker's certificate was not accepted"
	case errors.As(err, &alert):
		f.detail = "the broker refused the handshake with a TLS alert"
	}
	return f
}

// handshakeFailure carries a failed handshake's cause and explanation to
// New's error.
type handshakeFailure struct {
	err    error
	detail string
}

func (f *handshakeFailure) Error() string { return f.err.Error() }
func (f *handshakeFailure) Unwrap() error { return f.err }

// moveTLS runs this call's loop through the TLS stream: a Send writes all
// of buf (after the same peer check as a plaintext Send, on the socket
// beneath), a receive reads until it holds need bytes. What ended the loop
// is recorded as the plaintext loop records it: the poller's error is
// returned, EOF (a close_notify, or a FIN between records) and every other
// error are left in t for classify.
func (t *transfer) moveTLS() error {
	var err error
	if t.sending {
		if t.peerCheck {
			t.peerCheck = false
			if cerr := t.conn.rc.Control(t.checkPeerFn); cerr != nil {
				return cerr
			}
			if t.checkFailed {
				if t.unreadAtClose {
					if alert := t.conn.lastWords(t.holdsRecv); alert != nil {
						t.eof, t.err = false, alert
					}
				}
				return nil
			}
		}
		var n int
		t.conn.sec.raw.sending.Store(true)
		n, err = t.sec.Write(t.buf[t.done:])
		t.conn.sec.raw.sending.Store(false)
		t.done += n
	} else {
		for t.done < t.need && err == nil {
			var n int
			n, err = t.sec.Read(t.buf[t.done:])
			t.done += n
		}
	}
	t.retries, t.interrupts = t.raw.retries, t.raw.interrupts
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		t.eof = true
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, os.ErrClosed), errors.Is(err, net.ErrClosed):
		return err
	}
	t.err = withAlert(err)
	return nil
}

// remoteAlert is a TLS alert the broker sent, as crypto/tls reports it (a
// *net.OpError "remote error" around an alert type of its own, which no
// caller can name), with the alert also as a tls.AlertError, so that
// errors.As finds it.
type remoteAlert struct {
	err   error
	alert tls.AlertError
}

func (e *remoteAlert) Error() string   { return e.err.Error() }
func (e *remoteAlert) Unwrap() []error { return []error{e.err, e.alert} }

// withAlert returns err with the alert it reports in its chain as a
// tls.AlertError, or err itself when it reports no alert from the broker.
func withAlert(err error) error {
	var op *net.OpError
	var known tls.AlertError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil || errors.As(err, &known) {
		return err
	}
	text := op.Err.Error()
	for a := range 256 {
		if tls.AlertError(a).Error() == text {
			return &remoteAlert{err: err, alert: tls.AlertError(a)}
		}
	}
	return err
}

// rawConn is the net.Conn crypto/tls runs on: the IO's socket, read and
// written by the same step functions as a plaintext call, waiting in the
// runtime poller under the deadline the call armed on the file. It never
// dumps: the call layer dumps the plaintext.
type rawConn struct {
	c        *IO
	r, w     transfer
	received int         // bytes read from the socket, for the handshake's error
	draining bool        // lastWords is reading: never wait (guarded by the receive lock)
	closing  atomic.Bool // Close is sending close_notify: write only what fits at once
	sending  atomic.Bool // a Send is writing through crypto/tls
}

func (rc *rawConn) init(c *IO) {
	rc.c = c
	rc.r.init(c, false)
	rc.w.init(c, true)
}

// Read reads at least one byte into p, as much as the socket has; while
// lastWords drains the connection, it returns EAGAIN instead of waiting.
func (rc *rawConn) Read(p []byte) (int, error) {
	t := &rc.r
	t.reset(p)
	t.need = 1
	t.noWait = rc.draining
	err := t.wait()
	rc.received += t.done
	switch {
	case err != nil:
		return t.done, err
	case t.eof:
		return t.done, io.EOF
	case t.err != nil:
		return t.done, t.err
	case t.done == 0:
		return 0, unix.EAGAIN // only without waiting
	}
	return t.done, nil
}

// lastWords reads, without waiting, what a broker that has closed the
// connection sent before its FIN, through crypto/tls, and returns the TLS
// alert among it that says why it closed (a client certificate it refused,
// say), or nil. Send's peer check calls it when it finds the connection
// closed behind unread bytes; the IO is closing then, so whatever
// responses come through are discarded. It does nothing while a receive
// holds the receive side, unless the caller is that receive's own
// (holdsRecv: a RoundTrip's Send).
func (c *IO) lastWords(holdsRecv bool) error {
	if !holdsRecv {
		if !c.rlock.held.CompareAndSwap(false, true) {
			return nil
		}
		defer c.rlock.release()
	}
	c.sec.raw.draining = true
	defer func() { c.sec.raw.draining = false }()
	var scratch [512]byte
	for range 64 { // records, at most: a broker's last words are few
		_, err := c.sec.conn.Read(scratch[:])
		if err != nil {
			var alert tls.AlertError
			if werr := withAlert(err); errors.As(werr, &alert) {
				return werr
			}
			return nil
		}
	}
	return nil
}

// Write writes all of p, or when Close is sending close_notify, what the
// socket takes without waiting.
//
// crypto/tls also writes from a Read, to answer a TLS 1.3 KeyUpdate that
// asks for one. No Send armed the write deadline for that; it gets the
// deadline of the receive in progress instead of whatever the last Send
// left on the file.
func (rc *rawConn) Write(p []byte) (int, error) {
	t := &rc.w
	t.reset(p)
	closing := rc.closing.Load()
	t.noWait = closing
	if !rc.sending.Load() && !closing && rc.c.sec != nil {
		if err := t.setDeadline(rc.r.deadline); err != nil {
			return 0, err
		}
	}
	err := t.wait()
	switch {
	case err != nil:
		return t.done, err
	case t.err != nil:
		return t.done, t.err
	case t.done < len(p):
		return t.done, unix.EAGAIN // only when not waiting
	}
	return t.done, nil
}

// Close does nothing: the IO closes the socket's file itself, after
// crypto/tls has sent its close_notify.
func (rc *rawConn) Close() error { return nil }

// LocalAddr and RemoteAddr are the socket's addresses.
func (rc *rawConn) LocalAddr() net.Addr  { return rc.c.localTCPAddr() }
func (rc *rawConn) RemoteAddr() net.Addr { return rc.c.remoteTCPAddr() }

// The deadlines are the file's: crypto/tls sets one only to bound its
// close_notify.
func (rc *rawConn) SetDeadline(t time.Time) error      { return rc.c.f.SetDeadline(t) }
func (rc *rawConn) SetReadDeadline(t time.Time) error  { return rc.c.f.SetReadDeadline(t) }
func (rc *rawConn) SetWriteDeadline(t time.Time) error { return rc.c.f.SetWriteDeadline(t) }

// closeTLS sends a close_notify alert when the socket can take it at once,
// never waiting for it. A call still writing keeps crypto/tls from sending
// it (it then only closes the stream), which is right: the alert cannot go
// in the middle of a record.
func (c *IO) closeTLS() {
	c.sec.raw.closing.Store(true)
	_ = c.sec.conn.Close()
}

// ConnectionState returns the TLS connection's state (version, cipher
// suite, the broker's certificates) and true, or false on a plaintext
// connection.
func (c *IO) ConnectionState() (tls.ConnectionState, bool) {
	if c.sec == nil {
		return tls.ConnectionState{}, false
	}
	return c.sec.conn.ConnectionState(), true
}
