package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

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
		return nil, errNoAddress{host: s.host, version: s.ipVersion}
	}
	return addrs, nil
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
// requested family.
type errNoAddress struct {
	host    string
	version IPVersion
}

func (e errNoAddress) Error() string {
	return "no " + e.version.String() + " address for " + e.host
}

// withContextCause keeps the resolver's error (it names the host and the
// server) and makes sure the context's error is in the chain too, so that
// errors.Is(err, context.Canceled) holds whatever the resolver reported.
func withContextCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", err, cerr)
	}
	return err
}
