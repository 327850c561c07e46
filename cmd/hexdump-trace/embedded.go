package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/kafkaio/kafkaio/internal/embedded"
)

// startEmbedded starts a one-broker in-process cluster on loopback and
// returns where it listens and how to stop it.
func startEmbedded() (host string, port int, stop func(), err error) {
	c, err := embedded.Start(1)
	if err != nil {
		return "", 0, nil, err
	}
	host, p, err := net.SplitHostPort(c.Addrs()[0])
	if err == nil {
		port, err = strconv.Atoi(p)
	}
	if err != nil {
		c.Close()
		return "", 0, nil, fmt.Errorf("embedded broker address %q: %v", c.Addrs()[0], err)
	}
	return host, port, c.Close, nil
}
