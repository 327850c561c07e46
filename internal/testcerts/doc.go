// Package testcerts makes the certificates that TLS tests need, at run time,
// so that no private key is ever committed.
//
// The first call generates, once per process, ECDSA P-256 keys and:
//
//   - CA, the certificate authority the tests trust (Pool, ClientConfig);
//   - Server, valid for 127.0.0.1, ::1 and localhost, signed by CA;
//   - Expired, the same names and CA, but its validity ended an hour ago;
//   - WrongHost, signed by CA, valid only for the name "wrong-host.invalid";
//   - UnknownCA, valid for the loopback names but signed by another CA,
//     one that no pool of this package contains;
//   - Client, a client certificate signed by CA, for mutual TLS.
//
// A crypto/tls client with ClientConfig fails against the last three with
// the error crypto/x509 gives for each: x509.CertificateInvalidError with
// Reason x509.Expired, x509.HostnameError and x509.UnknownAuthorityError,
// each inside a *tls.CertificateVerificationError.
//
// Every *tls.Config the package returns is new, so a test may change it.
// WriteFiles puts the same material into PEM files, for tools such as kcat
// that read them from disk.
//
// Generating the set takes a few milliseconds; it is done on first use, so
// packages that import testcerts but do not use it pay nothing. Generation
// failing (crypto/rand broken) panics, since no test could run anyway.
package testcerts
