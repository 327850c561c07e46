package kafkaio

// Config.check's defaults, and that a value given is kept: what each zero
// field of a Config becomes, as the field docs promise. A default that is
// not applied, or applied over a given value, shows here before it shows
// as a connection that behaves oddly.

import (
	"net"
	"testing"
	"time"
)

func TestCheckFillsInDefaultsAndKeepsGivenValues(t *testing.T) {
	s, err := Config{Host: "broker.test"}.check()
	if err != nil {
		t.Fatal(err)
	}
	defaults := settings{host: "broker.test", port: DefaultPort, timeout: DefaultTimeout,
		resolver: net.DefaultResolver, noDelay: true, keepAlive: DefaultKeepAlive,
		maxResp: MaxRequestBytes, clientID: DefaultClientID}
	if s != defaults {
		t.Errorf("check(Config{Host}) =\n %+v\nwant\n %+v", s, defaults)
	}

	r := &net.Resolver{PreferGo: true}
	given := Config{Host: "[::1]", Port: 19092, Timeout: 2 * time.Second, IPVersion: IPv6, Resolver: r,
		DisableNoDelay: true, KeepAlive: 3 * time.Second, SendBufferBytes: 1 << 16, RecvBufferBytes: 1 << 17,
		MaxResponseBytes: 4096, ClientID: "me", NegotiateVersions: true}
	s, err = given.check()
	if err != nil {
		t.Fatal(err)
	}
	want := settings{host: "::1", port: 19092, timeout: 2 * time.Second, ipVersion: IPv6, resolver: r,
		noDelay: false, keepAlive: 3 * time.Second, sndBuf: 1 << 16, rcvBuf: 1 << 17,
		maxResp: 4096, clientID: "me", negotiate: true}
	if s != want {
		t.Errorf("check(%+v) =\n %+v\nwant\n %+v", given, s, want)
	}

	// A negative KeepAlive turns keepalive off and stays negative.
	if s, err := (Config{Host: "h", KeepAlive: -1}).check(); err != nil || s.keepAlive != -1 {
		t.Errorf("check(KeepAlive -1): keepAlive %v, %v; want -1 (off)", s.keepAlive, err)
	}
}
