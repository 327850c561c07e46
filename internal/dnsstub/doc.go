// Package dnsstub is a DNS server on 127.0.0.1 for testing what a client does
// when name resolution is slow, silent or negative, without ever sending a
// query to the machine's real name servers.
//
// The server listens on one port for both UDP and TCP (TCP queries carry the
// usual two-byte length prefix). It answers A and AAAA questions for the names
// it was given, answers NXDOMAIN for every other name, and can be told to
// answer late or never:
//
//	dns := dnsstub.Start(t, dnsstub.Config{
//		Hosts: map[string][]netip.Addr{"broker.test": {netip.MustParseAddr("127.0.0.1")}},
//		Delay: 200 * time.Millisecond, // or Silent: true, to never answer
//	})
//	ips, err := dns.Resolver().LookupNetIP(ctx, "ip4", "broker.test")
//
// Resolver returns a pure-Go net.Resolver whose every query goes to the stub,
// whatever /etc/resolv.conf says; /etc/hosts is still consulted first, as Go's
// resolver always does, so use names that are not in it (names under .test,
// RFC 6761, are safe). The resolver's errors still name the server it meant
// to ask, the one in /etc/resolv.conf ("lookup x.test on 10.0.0.53:53: no
// such host"), although the query went to the stub on loopback.
//
// The server stops in tb.Cleanup: it closes its sockets, drops the answers it
// has not sent yet, and waits for all of its goroutines.
package dnsstub
