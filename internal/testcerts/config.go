package testcerts

import (
	"crypto/tls"
	"crypto/x509"
)

// Pool returns a new pool that holds CA alone.
func Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(CA().x509)
	return p
}

// ServerConfig returns a new server configuration that presents c. Give it
// to kfake (embedded.TLS) or to testpeer's TLS step.
func (c *Cert) ServerConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{c.TLSCertificate()},
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientConfig returns a new client configuration that trusts CA and
// nothing else. ServerName is left empty: tls.Dial and kafkaio fill it in
// from the address they connect to.
func ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: Pool(), MinVersion: tls.VersionTLS12}
}

// MutualServerConfig returns a new server configuration that presents
// Server and requires a client certificate signed by CA.
func MutualServerConfig() *tls.Config {
	cfg := Server().ServerConfig()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = Pool()
	return cfg
}

// MutualClientConfig returns ClientConfig with Client as the certificate
// the client presents.
func MutualClientConfig() *tls.Config {
	cfg := ClientConfig()
	cfg.Certificates = []tls.Certificate{Client().TLSCertificate()}
	return cfg
}
