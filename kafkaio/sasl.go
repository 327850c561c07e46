package kafkaio

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// SASL runs the flow every broker since Kafka 1.0 serves, after
// ApiVersions: SaslHandshake v1 names the mechanism, then SaslAuthenticate
// requests (at the newest version both sides have, up to 2) carry the
// mechanism's messages until it is done. The last response may set the
// session's lifetime (KIP-368), after which the broker closes the
// connection unless it is authenticated again.

// saslAuthenticateMax is the newest SaslAuthenticate version kafkaio sends.
const saslAuthenticateMax = 2

// What it means when a broker closes the connection during SASL: on a
// SaslAuthenticate, brokers answer a wrong password or an unknown user that
// way; on the SaslHandshake, the listener may take no SASL at all.
const (
	closedOnAuth      = "the broker closed the connection during authentication, which is how a broker answers a wrong password or an unknown user"
	closedOnHandshake = "the broker closed the connection on the SaslHandshake: does this listener take SASL?"
)

// authenticate runs SaslHandshake and the SaslAuthenticate rounds under
// ctx, whose deadline bounds them all.
func (c *IO) authenticate(ctx context.Context, s *setupCall) error {
	n := c.ext.neg
	name := n.mech.Name()
	hv, ok := n.version(kafkawire.KeySaslHandshake, 1)
	if !ok || hv < 1 {
		return s.fail(kafkaerr.AuthenticationFailed, phaseSaslHandshake, nil,
			name+": the broker does not support SaslHandshake v1 (brokers since Kafka 1.0 do)")
	}
	av, ok := n.version(kafkawire.KeySaslAuthenticate, saslAuthenticateMax)
	if !ok {
		return s.fail(kafkaerr.AuthenticationFailed, phaseSaslHandshake, nil,
			name+": the broker does not support SaslAuthenticate (brokers since Kafka 1.0 do)")
	}

	body, err := c.RoundTrip(ctx, kafkawire.SaslHandshake(n.nextCorrelationID(), n.clientID, hv, name), nil)
	if err != nil {
		return s.saslCallFailed(phaseSaslHandshake, err, name)
	}
	hs, err := kafkawire.ParseSaslHandshake(body)
	switch {
	case err != nil:
		return s.fail(kafkaerr.AuthenticationFailed, phaseSaslHandshake, err, name)
	case hs.ErrorCode == kafkawire.ErrUnsupportedSaslMechanism:
		return s.fail(kafkaerr.AuthenticationFailed, phaseSaslHandshake,
			brokerError{code: hs.ErrorCode, what: "SaslHandshake v" + strconv.Itoa(int(hv))},
			"the broker does not offer "+name+"; it offers "+offered(hs.Mechanisms))
	case hs.ErrorCode != 0:
		return s.fail(kafkaerr.AuthenticationFailed, phaseSaslHandshake,
			brokerError{code: hs.ErrorCode, what: "SaslHandshake v" + strconv.Itoa(int(hv))}, name)
	}

	sess, msg, err := n.mech.Start(ctx)
	if err != nil {
		return s.mechanismFailed(err, name)
	}
	what := "SaslAuthenticate v" + strconv.Itoa(int(av))
	for {
		sent := time.Now()
		body, err := c.RoundTrip(ctx, kafkawire.SaslAuthenticate(n.nextCorrelationID(), n.clientID, av, msg), nil)
		if err != nil {
			return s.saslCallFailed(phaseSaslAuth, err, name)
		}
		resp, err := kafkawire.ParseSaslAuthenticate(body, av)
		if err != nil {
			return s.fail(kafkaerr.AuthenticationFailed, phaseSaslAuth, err, name)
		}
		if resp.ErrorCode != 0 {
			return s.fail(kafkaerr.AuthenticationFailed, phaseSaslAuth,
				brokerError{code: resp.ErrorCode, what: what, message: resp.ErrorMessage}, name)
		}
		done, next, err := sess.Next(ctx, resp.AuthBytes)
		if err != nil {
			return s.mechanismFailed(err, name)
		}
		if done {
			var expiry int64
			if resp.SessionLifetimeMs > 0 {
				// From when the last request left, so that the
				// expiry is never later than the broker's.
				expiry = sent.Add(time.Duration(resp.SessionLifetimeMs) * time.Millisecond).UnixNano()
			}
			n.expiry.Store(expiry)
			c.dbg().authenticated(name, time.Duration(resp.SessionLifetimeMs)*time.Millisecond)
			return nil
		}
		msg = next
	}
}

// offered lists a broker's mechanisms for an error message.
func offered(mechs []string) string {
	if len(mechs) == 0 {
		return "none"
	}
	return strings.Join(mechs, ", ")
}

// saslCallFailed reports a failed RoundTrip during SASL. A connection the
// broker closed (EOF or a reset before its answer) is AuthenticationFailed:
// brokers close it on a wrong password. A deadline or a cancellation is
// CannotBind: the broker did not refuse anything, it did not answer.
func (s *setupCall) saslCallFailed(phase string, err error, name string) error {
	var ke *kafkaerr.Error
	if errors.As(err, &ke) && (ke.Code == kafkaerr.NoConnection ||
		ke.Code == kafkaerr.CannotRecv && !ke.Timeout() && !errors.Is(ke, context.Canceled)) {
		why := closedOnAuth
		if phase == phaseSaslHandshake {
			why = closedOnHandshake
		}
		return s.callFailed(kafkaerr.AuthenticationFailed, phase, err, name+": "+why)
	}
	return s.callFailed(kafkaerr.CannotBind, phase, err, name)
}

// mechanismFailed reports an error of the mechanism itself: credentials it
// refused to send (an argument error), a server message that failed its
// checks or a rejection (AuthenticationFailed), or the end of ctx while it
// worked (CannotBind, with the deadline or the cancellation in the chain).
func (s *setupCall) mechanismFailed(err error, name string) error {
	code := kafkaerr.AuthenticationFailed
	switch {
	case errors.Is(err, sasl.ErrInvalidCredentials):
		code = kafkaerr.MismatchArgument
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code = kafkaerr.CannotBind
	}
	return s.fail(code, phaseSaslAuth, err, name)
}

// Reauthenticate runs the SASL exchange of New again on the open connection
// (KIP-368), with the same mechanism, within ctx's deadline or the IO's
// timeout, and updates SessionExpiry. The caller guarantees that nothing
// else is in flight on the connection: no request sent whose response has
// not been read, and no Send or Receive running, since the SASL frames
// would be interleaved with them. A failure is reported as New reports
// SASL failures, with Op "reauthenticate", and closes the IO. An IO made
// without Config.SASL, or a nil ctx, is kafkaerr.MismatchArgument.
func (c *IO) Reauthenticate(ctx context.Context) error {
	switch {
	case ctx == nil:
		return c.dbg().fail(errNilContext(opReauthenticate))
	case c.ext == nil || c.ext.neg == nil || c.ext.neg.mech == nil:
		return c.dbg().fail(kafkaerr.Argument(string(opReauthenticate), "the IO was made without Config.SASL"))
	}
	start := time.Now()
	deadline, budget := callDeadline(ctx, start, c.timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return c.authenticate(ctx, &setupCall{c: c, op: opReauthenticate, addr: c.Addr(), start: start, budget: budget})
}

// SessionExpiry returns when the SASL session ends, as the broker's last
// SaslAuthenticate response set it (KIP-368: connections.max.reauth.ms on
// the broker): the broker closes the connection then, unless Reauthenticate
// has run. It is the zero time without SASL or when the broker set no
// lifetime. It is reckoned from when the last SASL request was sent, so it
// is never later than the broker's own.
func (c *IO) SessionExpiry() time.Time {
	if c.ext == nil || c.ext.neg == nil {
		return time.Time{}
	}
	if ns := c.ext.neg.expiry.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}
