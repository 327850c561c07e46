package kafkaio

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
	"github.com/kafkaio/kafkaio/kafkaio/sasl"
	"github.com/sirupsen/logrus"
)

// Defaults and limits, matching those of Kafka brokers and Perl's Kafka::IO.
const (
	// DefaultPort is the port used when Config.Port is 0.
	DefaultPort = 9092
	// DefaultTimeout bounds New as a whole and each Send or Receive call when
	// Config.Timeout is 0 and the call's context has no deadline.
	DefaultTimeout = 1500 * time.Millisecond
	// MaxRequestBytes is the largest message Send accepts: a broker's default
	// socket.request.max.bytes. It is also the default response cap.
	MaxRequestBytes = 104857600
	// MaxRetries bounds the consecutive attempts of one call that move no
	// byte (spurious wake-ups). Attempts that make progress reset the count,
	// so a large transfer to a slow peer is bounded by its deadline only.
	MaxRetries = 30
	// DefaultKeepAlive is the TCP keepalive idle time and probe interval used
	// when Config.KeepAlive is 0; it is the standard net.Dialer's default.
	DefaultKeepAlive = 15 * time.Second
)

// IPVersion selects the address family used to reach the broker.
type IPVersion int

// The IP versions Config.IPVersion accepts.
const (
	IPAny IPVersion = 0 // try every resolved address, IPv4 and IPv6
	IPv4  IPVersion = 4 // only IPv4 addresses
	IPv6  IPVersion = 6 // only IPv6 addresses
)

// String returns "any", "IPv4", "IPv6", or "IPVersion(N)" for invalid values.
func (v IPVersion) String() string {
	switch v {
	case IPAny:
		return "any"
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "IPVersion(" + strconv.Itoa(int(v)) + ")"
}

// network returns the resolver network name for v.
func (v IPVersion) network() string {
	switch v {
	case IPv4:
		return "ip4"
	case IPv6:
		return "ip6"
	}
	return "ip"
}

// Config describes the connection New makes. The zero value of every field
// but Host is a usable default.
type Config struct {
	// Host is a name, an IPv4 literal or an IPv6 literal. "[::1]" and zone
	// ids ("fe80::1%eth0") are accepted.
	Host string
	// Port is the broker's port; 0 means DefaultPort.
	Port int
	// Timeout bounds New as a whole (resolution and every connect attempt),
	// and each Send and Receive call whose context has no deadline. 0 means
	// DefaultTimeout; negative is an error.
	Timeout time.Duration
	// IPVersion restricts the address family. IPAny tries every address.
	IPVersion IPVersion
	// Resolver looks up Host when it is a name; nil means net.DefaultResolver.
	Resolver *net.Resolver

	// DisableNoDelay leaves Nagle's algorithm on. By default TCP_NODELAY is
	// set, as Go's net package does, because Kafka requests are written whole
	// and waiting to coalesce them only adds latency.
	DisableNoDelay bool
	// KeepAlive is the TCP keepalive idle time and probe interval. 0 means
	// DefaultKeepAlive; negative disables keepalive.
	KeepAlive time.Duration
	// SendBufferBytes sets SO_SNDBUF before connecting; 0 keeps the
	// kernel's default (with its autotuning).
	SendBufferBytes int
	// RecvBufferBytes sets SO_RCVBUF before connecting, so that the window
	// scale in the SYN fits it; 0 keeps the kernel's default.
	RecvBufferBytes int
	// MaxResponseBytes caps the size ReceiveFrame accepts and the n Receive
	// accepts; 0 means MaxRequestBytes. A frame over the cap is refused
	// before its body is read, so a wrong port never costs a huge allocation.
	MaxResponseBytes int
	// Logger receives KAFKA_DEBUG output; nil means kafkadebug's default
	// logger, which writes to standard error.
	Logger logrus.FieldLogger

	// TLS, when set, makes New run a TLS handshake after connecting, inside
	// its one budget, and every call then moves its bytes through TLS.
	// New clones it; an empty ServerName defaults to Host (an IPv6 literal
	// without brackets or zone: crypto/tls then checks the certificate's IP
	// addresses and sends no SNI). Certificates are verified unless the
	// configuration says otherwise. When KeyLogWriter is nil and the
	// SSLKEYLOGFILE environment variable is set, the session keys are
	// appended to that file (see EnvKeyLogFile). nil means plaintext.
	TLS *tls.Config
	// ClientID is the client id of the requests New itself sends
	// (ApiVersions, SASL); "" means "kafkaio".
	ClientID string
	// NegotiateVersions makes New send ApiVersions even without SASL, so
	// that APIVersion can answer.
	NegotiateVersions bool
	// SASL, when set, makes New authenticate with this mechanism after the
	// TLS handshake (if any) and inside its one budget: ApiVersions, then
	// SaslHandshake v1 and SaslAuthenticate rounds. See package
	// kafkaio/sasl for the mechanisms. nil means no authentication.
	SASL sasl.Mechanism
}

// DefaultClientID is the client id of New's own requests when
// Config.ClientID is empty.
const DefaultClientID = "kafkaio"

// settings are a Config checked and with its defaults filled in.
type settings struct {
	host      string // without brackets
	port      int
	timeout   time.Duration
	ipVersion IPVersion
	resolver  *net.Resolver
	noDelay   bool
	keepAlive time.Duration // <0: off
	sndBuf    int
	rcvBuf    int
	maxResp   int
	logger    logrus.FieldLogger
	tls       *tls.Config // cloned, with ServerName filled in; nil for plaintext
	keyLog    string      // the SSLKEYLOGFILE the handshake appends to, if any
	clientID  string
	negotiate bool // New sends ApiVersions
	sasl      sasl.Mechanism
}

// check validates cfg and fills in defaults. Every rejection is a
// MismatchArgument that names the field.
func (cfg Config) check() (settings, error) {
	s := settings{
		host:      trimBrackets(cfg.Host),
		port:      cfg.Port,
		timeout:   cfg.Timeout,
		ipVersion: cfg.IPVersion,
		resolver:  cfg.Resolver,
		noDelay:   !cfg.DisableNoDelay,
		keepAlive: cfg.KeepAlive,
		sndBuf:    cfg.SendBufferBytes,
		rcvBuf:    cfg.RecvBufferBytes,
		maxResp:   cfg.MaxResponseBytes,
		logger:    cfg.Logger,
		clientID:  cfg.ClientID,
		negotiate: cfg.NegotiateVersions || cfg.SASL != nil,
		sasl:      cfg.SASL,
	}
	switch {
	case s.host == "":
		return s, kafkaerr.Argument("new", "Host is empty")
	case hasPort(s.host):
		return s, kafkaerr.Argument("new", "Host "+strconv.Quote(cfg.Host)+" is neither a name nor an IP address; a port goes in Port")
	case cfg.Port < 0 || cfg.Port > 65535:
		return s, kafkaerr.Argument("new", "Port "+strconv.Itoa(cfg.Port)+" is outside 1..65535")
	case cfg.Timeout < 0:
		return s, kafkaerr.Argument("new", "Timeout "+cfg.Timeout.String()+" is negative")
	case cfg.IPVersion != IPAny && cfg.IPVersion != IPv4 && cfg.IPVersion != IPv6:
		return s, kafkaerr.Argument("new", "IPVersion "+strconv.Itoa(int(cfg.IPVersion))+" is not 0, 4 or 6")
	case cfg.SendBufferBytes < 0:
		return s, kafkaerr.Argument("new", "SendBufferBytes "+strconv.Itoa(cfg.SendBufferBytes)+" is negative")
	case cfg.RecvBufferBytes < 0:
		return s, kafkaerr.Argument("new", "RecvBufferBytes "+strconv.Itoa(cfg.RecvBufferBytes)+" is negative")
	case cfg.MaxResponseBytes < 0 || cfg.MaxResponseBytes > maxFrameBytes:
		return s, kafkaerr.Argument("new", "MaxResponseBytes "+strconv.Itoa(cfg.MaxResponseBytes)+" is outside 0.."+strconv.Itoa(maxFrameBytes))
	}
	if s.port == 0 {
		s.port = DefaultPort
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.keepAlive == 0 {
		s.keepAlive = DefaultKeepAlive
	}
	if s.maxResp == 0 {
		s.maxResp = MaxRequestBytes
	}
	if s.clientID == "" {
		s.clientID = DefaultClientID
	}
	if cfg.TLS != nil {
		s.tls, s.keyLog = tlsConfig(cfg.TLS, s.host)
	}
	return s, nil
}

// maxFrameBytes is the largest size an int32 frame prefix can state.
const maxFrameBytes = 1<<31 - 1

// hasPort reports whether host looks like "host:port": a colon is legal
// only inside an IPv6 literal, so anything else with one is a mistake a
// resolver would turn into a confusing "no such host".
func hasPort(host string) bool {
	if !strings.Contains(host, ":") {
		return false
	}
	_, err := netip.ParseAddr(host)
	return err != nil
}

// trimBrackets turns "[::1]" into "::1", the form an IPv6 literal takes
// inside a host:port string, so users can pass either.
func trimBrackets(host string) string {
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}
