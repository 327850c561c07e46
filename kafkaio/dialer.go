package kafkaio

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// Dialer dials brokers for Kafka clients that take a dial function, and
// gives them kafkaio's connection: New's one budget for resolution,
// connect, TLS and SASL, its typed errors, and the net.Conn view (see
// IO.NetConn) with its dumps. One line plugs it in:
//
//	franz-go:  kgo.Dialer((&kafkaio.Dialer{Config: cfg}).DialContext)
//	sarama:    conf.Net.Proxy.Enable, conf.Net.Proxy.Dialer = true, &kafkaio.Dialer{Config: cfg}
//	kafka-go:  &kafka.Transport{Dial: (&kafkaio.Dialer{Config: cfg}).DialContext}
//
// TLS and SASL then belong in Config, not in the client's own settings: a
// client that also runs TLS or SASL would do it a second time over
// kafkaio's. A broker that limits the SASL session
// (connections.max.reauth.ms) closes such a connection when the session
// ends, since the client does not know to reauthenticate it; the clients
// then dial again.
type Dialer struct {
	// Config is the configuration of every connection; Host and Port come
	// from each dial's address, and a "tcp4" or "tcp6" network sets
	// IPVersion.
	Config Config
}

// DialContext connects to address ("host:port", an IPv6 host in
// brackets) on network "tcp", "tcp4" or "tcp6", within ctx's deadline or
// Config.Timeout, and returns the IO's net.Conn view. It has the signature
// of franz-go's kgo.Dialer function and of kafka-go's Transport.Dial and
// Dialer.DialFunc. Errors are New's; another network, or an address that
// is not host:port, is kafkaerr.MismatchArgument.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	cfg := d.Config
	switch network {
	case "tcp":
	case "tcp4":
		cfg.IPVersion = IPv4
	case "tcp6":
		cfg.IPVersion = IPv6
	default:
		return nil, kafkaerr.Argument(string(opDial), "network "+strconv.Quote(network)+" is not tcp, tcp4 or tcp6")
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, kafkaerr.Argument(string(opDial), "address "+strconv.Quote(address)+" is not host:port: "+err.Error())
	}
	if cfg.Port, err = parsePort(port); err != nil {
		return nil, kafkaerr.Argument(string(opDial), "address "+strconv.Quote(address)+": "+err.Error())
	}
	cfg.Host = host
	c, err := NewContext(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return c.NetConn(), nil
}

// Dial is DialContext without a context: within Config.Timeout. It fits
// sarama's Net.Proxy.Dialer (golang.org/x/net/proxy's Dialer).
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// opDial and opBootstrap name the dialer's and Bootstrap's errors.
const (
	opDial      op = "dial"
	opBootstrap op = "bootstrap"
)

// parsePort reads a decimal port number.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, &net.AddrError{Err: "port " + strconv.Quote(s) + " is not a number from 1 to 65535"}
	}
	return p, nil
}

// Bootstrap connects to the first broker of brokers that answers, trying
// them in order, under one budget: ctx's deadline, or cfg.Timeout
// (DefaultTimeout when 0). Each broker is "host:port", "host" (port
// cfg.Port, or DefaultPort), "[v6]:port", "[v6]" or a bare IPv6 literal;
// cfg.Host and cfg.Port are replaced by each broker's. Each broker gets
// the remaining time divided by the brokers not yet tried, as New shares
// its budget among a name's addresses, so that one black-holed broker
// cannot use up the time of the ones after it.
//
// An empty list is kafkaerr.NoKnownBrokers; an entry that is not a broker
// address, an invalid cfg, or a nil ctx, is kafkaerr.MismatchArgument,
// before any broker is tried. When every broker fails, the error is
// kafkaerr.CannotBind whose cause is the first broker's error, with the
// others' in Others, in order; when the budget runs out or ctx is
// cancelled after a broker has failed, the cause is the broker it cut
// short instead (see NewContext).
func Bootstrap(ctx context.Context, brokers []string, cfg Config) (*IO, error) {
	if ctx == nil {
		return nil, errNilContext(opBootstrap)
	}
	if len(brokers) == 0 {
		e := kafkaerr.New(kafkaerr.NoKnownBrokers, string(opBootstrap), "", nil)
		e.Detail = "the broker list is empty"
		return nil, e
	}
	type broker struct {
		host string
		port int
	}
	list := make([]broker, len(brokers))
	labels := make([]string, len(brokers))
	for i, b := range brokers {
		host, port, err := splitBroker(b, cfg.Port)
		if err != nil {
			return nil, kafkaerr.Argument(string(opBootstrap), "broker "+strconv.Itoa(i+1)+" "+strconv.Quote(b)+": "+err.Error())
		}
		list[i] = broker{host, port}
		labels[i] = net.JoinHostPort(host, strconv.Itoa(port))
	}
	probe := cfg
	probe.Host, probe.Port = list[0].host, list[0].port
	if _, err := probe.check(); err != nil {
		return nil, err // the same for every broker: refused once, before any is tried
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	deadline, budget := callDeadline(ctx, start, timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	f := &attempts{what: "Bootstrap", labels: labels}
	for i, b := range list {
		if f.ended = endedBy(ctx, deadline); f.ended != nil {
			break
		}
		share := time.Until(deadline) / time.Duration(len(list)-i)
		bctx, bcancel := context.WithTimeout(ctx, share)
		bcfg := cfg
		bcfg.Host, bcfg.Port = b.host, b.port
		c, err := NewContext(bctx, bcfg)
		bcancel()
		if err == nil {
			return c, nil
		}
		f.errs = append(f.errs, err)
	}
	if f.ended == nil {
		f.ended = endedBy(ctx, deadline)
	}
	f.notStarted = func(i int, ended error) error {
		e := kafkaerr.New(kafkaerr.CannotBind, string(opNew), labels[i], ended)
		e.Detail = "not tried"
		return e
	}
	cause, others, detail := f.explain(budget)
	e := kafkaerr.New(kafkaerr.CannotBind, string(opBootstrap), "", cause)
	e.Detail = joinDetail("no broker of "+strconv.Itoa(len(list))+" answered", detail)
	e.Others = others
	e.Budget = budget
	e.Elapsed = time.Since(start)
	return nil, e
}

// splitBroker reads one entry of Bootstrap's list.
func splitBroker(s string, defaultPort int) (string, int, error) {
	if defaultPort == 0 {
		defaultPort = DefaultPort
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", 0, &net.AddrError{Err: "empty"}
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		return trimBrackets(s), defaultPort, nil // "[v6]", no port
	case !strings.HasPrefix(s, "[") && strings.Count(s, ":") > 1:
		if _, err := netip.ParseAddr(s); err != nil {
			return "", 0, &net.AddrError{Err: "neither host:port nor an IPv6 address", Addr: s}
		}
		return s, defaultPort, nil // a bare IPv6 literal, no port
	case !strings.Contains(s, ":"):
		return s, defaultPort, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	p, err := parsePort(port)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "", 0, &net.AddrError{Err: "no host"}
	}
	return host, p, nil
}
