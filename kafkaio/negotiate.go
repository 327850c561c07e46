package kafkaio

import (
	"context"
	"errors"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kafkaio/kafkaio/internal/kafkawire"
	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
)

// The requests New itself sends, when Config asks for them, go through the
// same call path as every other: RoundTrip, with New's context, whose
// deadline is New's one budget. Their failures are reported as New's, with
// the step that failed as the phase.

// negotiation is what New learnt from the broker before returning: the API
// versions it supports, and the SASL session.
type negotiation struct {
	versions []kafkawire.APIKeyRange // the broker's ApiVersions answer
	mech     sasl.Mechanism          // Config.SASL; nil without SASL
	clientID string
	corr     int32        // the correlation id of New's last request
	expiry   atomic.Int64 // the SASL session's end (KIP-368), in Unix nanoseconds; 0: none
}

// Phases of the set-up after the TCP connect and the TLS handshake.
const (
	phaseAPIVersions   = "api versions"
	phaseSaslHandshake = "sasl handshake"
	phaseSaslAuth      = "sasl authenticate"
)

// Kafka error codes the set-up reports by name.
var kafkaErrorNames = map[int16]string{
	kafkawire.ErrUnsupportedSaslMechanism: "UNSUPPORTED_SASL_MECHANISM",
	kafkawire.ErrIllegalSaslState:         "ILLEGAL_SASL_STATE",
	kafkawire.ErrUnsupportedVersion:       "UNSUPPORTED_VERSION",
	kafkawire.ErrSaslAuthenticationFailed: "SASL_AUTHENTICATION_FAILED",
	42:                                    "INVALID_REQUEST",
}

// kafkaErrorName returns "NAME (code)" for a Kafka error code.
func kafkaErrorName(code int16) string {
	name, ok := kafkaErrorNames[code]
	if !ok {
		name = "error"
	}
	return name + " (" + strconv.Itoa(int(code)) + ")"
}

// apiVersionsMax is the newest ApiVersions version kafkaio sends.
const apiVersionsMax = 3

// softwareName and softwareVersion are what ApiVersions v3 reports
// (KIP-511): kafkaio, and its module version when the binary was built
// with one.
const softwareName = "kafkaio"

var softwareVersion = func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
			if m.Path == "github.com/kafkaio/kafkaio" && m.Version != "" {
				if v := kafkawire.SanitizeSoftwareString(m.Version); kafkawire.ValidSoftwareString(v) {
					return v
				}
			}
		}
	}
	return "devel"
}()

// nextCorrelationID numbers New's own requests.
func (n *negotiation) nextCorrelationID() int32 {
	n.corr++
	return n.corr
}

// negotiateVersions sends ApiVersions, the newest version first, and falls
// back as KIP-511 says: a broker that does not know the version answers
// UNSUPPORTED_VERSION in the v0 layout with the ApiVersions range it does
// support, and the request is sent again at that range's newest.
func (c *IO) negotiateVersions(ctx context.Context, s *setupCall) error {
	n := c.ext.neg
	version := int16(apiVersionsMax)
	for attempt := 0; ; attempt++ {
		req, err := kafkawire.ApiVersionsWith(n.nextCorrelationID(), n.clientID, version,
			kafkawire.ClientSoftware{Name: softwareName, Version: softwareVersion})
		if err != nil { // only a client id or name of ours could do this
			return s.fail(kafkaerr.CannotBind, phaseAPIVersions, err, "")
		}
		body, err := c.RoundTrip(ctx, req, nil)
		if err != nil {
			return s.callFailed(kafkaerr.CannotBind, phaseAPIVersions, err, "")
		}
		resp, err := kafkawire.ParseApiVersions(body, version)
		if err != nil {
			return s.protocolFailed(kafkaerr.CannotBind, phaseAPIVersions, err)
		}
		switch {
		case resp.ErrorCode == 0:
			n.versions = resp.APIKeys
			c.dbg().negotiated(version, len(resp.APIKeys))
			return nil
		case resp.ErrorCode == kafkawire.ErrUnsupportedVersion && attempt == 0:
			version = 0
			if r, ok := resp.Find(kafkawire.KeyApiVersions); ok && r.MaxVersion < apiVersionsMax {
				version = max(r.MaxVersion, 0)
			}
		default:
			return s.protocolFailed(kafkaerr.CannotBind, phaseAPIVersions,
				brokerError{code: resp.ErrorCode, what: "ApiVersions v" + strconv.Itoa(int(version))})
		}
	}
}

// APIVersion returns the oldest and newest version of the API key that the
// broker supports, as its ApiVersions answer to New said, and true; false
// when the broker lists no such key or New sent no ApiVersions (set
// Config.NegotiateVersions, or Config.SASL, to have it sent).
func (c *IO) APIVersion(key int16) (minVersion, maxVersion int16, ok bool) {
	if c.ext == nil || c.ext.neg == nil {
		return 0, 0, false
	}
	if r, ok := c.ext.neg.find(key); ok {
		return r.MinVersion, r.MaxVersion, true
	}
	return 0, 0, false
}

// find returns the broker's range for key.
func (n *negotiation) find(key int16) (kafkawire.APIKeyRange, bool) {
	for _, r := range n.versions {
		if r.Key == key {
			return r, true
		}
	}
	return kafkawire.APIKeyRange{}, false
}

// version returns the newest version of key that both kafkaio (up to
// ours) and the broker support, and whether there is one.
func (n *negotiation) version(key, ours int16) (int16, bool) {
	r, ok := n.find(key)
	if !ok || r.MinVersion > ours || r.MaxVersion < 0 {
		return 0, false
	}
	return min(r.MaxVersion, ours), true
}

// brokerError is a Kafka error code a broker answered a set-up request
// with, as a cause.
type brokerError struct {
	code    int16
	what    string  // the request, e.g. "SaslHandshake v1"
	message *string // the broker's own words, when it sent some
}

func (e brokerError) Error() string {
	s := "the broker answered " + e.what + " with " + kafkaErrorName(e.code)
	if e.message != nil && *e.message != "" {
		s += ": " + strconv.Quote(*e.message)
	}
	return s
}

// setupCall is one run of the set-up requests (New's, or Reauthenticate's)
// for its errors: which operation, since when, with what budget.
type setupCall struct {
	c      *IO
	op     op
	addr   string
	start  time.Time
	budget time.Duration
}

// fail builds the set-up's error of code in phase with cause and detail.
// The IO is closed: a connection whose set-up failed is of no use.
func (s *setupCall) fail(code kafkaerr.Code, phase string, cause error, detail string) error {
	e := kafkaerr.New(code, string(s.op), s.addr, cause)
	e.Phase = phase
	e.Detail = detail
	e.Budget = s.budget
	e.Elapsed = time.Since(s.start)
	if errors.Is(cause, os.ErrDeadlineExceeded) || errors.Is(cause, context.DeadlineExceeded) {
		e.MarkTimeout()
	}
	s.c.close(failureReason(e))
	return s.c.dbg().fail(e)
}

// protocolFailed reports a response that could not be used.
func (s *setupCall) protocolFailed(code kafkaerr.Code, phase string, cause error) error {
	return s.fail(code, phase, cause, "")
}

// callFailed reports a failed RoundTrip of the set-up. The call's own
// error (a CannotRecv, a NoConnection) says what happened on the wire; the
// set-up's error keeps its cause, its byte counts and its words, under
// the set-up's code: whether a retry of the call would be safe is not the
// question for a connection that never finished its set-up.
func (s *setupCall) callFailed(code kafkaerr.Code, phase string, err error, detail string) error {
	var ke *kafkaerr.Error
	if !errors.As(err, &ke) {
		return s.fail(code, phase, err, detail)
	}
	if ke.Code == kafkaerr.MismatchCorrelationID || ke.Code == kafkaerr.MismatchArgument {
		return s.fail(code, phase, ke, detail)
	}
	if ke.Code == kafkaerr.NoConnection && !s.c.answered {
		// The broker hung up without a byte: say what that most
		// likely means, as the call's own error does.
		detail = joinDetail(detail, s.c.unansweredHint())
	}
	e := kafkaerr.New(code, string(s.op), s.addr, ke.Err)
	e.Phase = phase
	e.Detail = joinDetail(detail, ke.Op+" ("+ke.Phase+")")
	e.Done, e.Total = ke.Done, ke.Total
	e.Retries, e.Interrupts = ke.Retries, ke.Interrupts
	e.Budget = s.budget
	e.Elapsed = time.Since(s.start)
	if ke.Timeout() {
		e.MarkTimeout()
	}
	return s.c.dbg().fail(e)
}

// joinDetail joins two details with "; ", leaving out an empty one.
func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
