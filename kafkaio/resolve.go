package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kafkaio/kafkaio/kafkaerr"
)

// resolve turns s.host into the addresses to try, in order. A literal is
// used as it is, after checking it fits the requested IP version; a name is
// looked up with ctx, which carries New's deadline, so a slow DNS server
// spends New's budget instead of blocking past it.
func resolve(ctx context.Context, s *settings) ([]netip.AddrPort, error) {
	port := uint16(s.port)
	if ip, err := netip.ParseAddr(s.host); err == nil {
		ip = ip.Unmap()
		if !fitsVersion(ip, s.ipVersion) {
			e := kafkaerr.New(kafkaerr.IncompatibleHostIPVersion, "new", net.JoinHostPort(s.host, strconv.Itoa(s.port)), nil)
			e.Phase = "resolve"
			e.Detail = "address " + ip.String() + " is not " + s.ipVersion.String()
			return nil, e
		}
		return []netip.AddrPort{netip.AddrPortFrom(ip, port)}, nil
	}
	ips, err := s.resolver.LookupNetIP(ctx, s.ipVersion.network(), s.host)
	if err != nil {
		if s.ipVersion != IPAny && ctx.Err() == nil && notFound(err) {
			// Say which addresses the name does have: "no such host"
			// for a name that exists in the other family misleads.
			if all, err2 := s.resolver.LookupNetIP(ctx, "ip", s.host); err2 == nil && len(all) > 0 {
				return nil, errNoAddress{host: s.host, version: s.ipVersion, found: all, err: err}
			}
		}
		return nil, withContextCause(ctx, err)
	}
	addrs := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap()
		if fitsVersion(ip, s.ipVersion) { // a resolver hook may return either family
			addrs = append(addrs, netip.AddrPortFrom(ip, port))
		}
	}
	if len(addrs) == 0 {
		return nil, errNoAddress{host: s.host, version: s.ipVersion, found: ips}
	}
	return addrs, nil
}

// notFound reports whether a lookup failed because the name has no address
// of the family asked for (or none at all), as opposed to a DNS failure.
func notFound(err error) bool {
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound || errors.As(err, &addrErr)
}

// fitsVersion reports whether ip belongs to the family v asks for.
func fitsVersion(ip netip.Addr, v IPVersion) bool {
	switch v {
	case IPv4:
		return ip.Is4()
	case IPv6:
		return ip.Is6()
	}
	return true
}

// errNoAddress is the cause when a name resolves, but to no address of the
// requested family. It names what the name did resolve to, and keeps the
// resolver's own error (if it gave one) in the chain.
type errNoAddress struct {
	host    string
	version IPVersion
	found   []netip.Addr // every address the name has, of any family
	err     error        // the failed lookup of the requested family, if any
}

func (e errNoAddress) Error() string {
	list := make([]string, len(e.found))
	for i, ip := range e.found {
		list[i] = ip.Unmap().String()
	}
	return e.host + " resolves to " + strings.Join(list, ", ") + " only: no " + e.version.String() +
		" address, which Config.IPVersion " + e.version.String() + " asks for"
}

func (e errNoAddress) Unwrap() error { return e.err }

// withContextCause keeps the resolver's error (it names the host and the
// server) and makes sure the context's error is in the chain too, so that
// errors.Is(err, context.Canceled) holds whatever the resolver reported.
func withContextCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", err, cerr)
	}
	return err
}
