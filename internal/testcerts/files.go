package testcerts

import (
	"os"
	"path/filepath"
)

// Files are the paths WriteFiles wrote, each holding one PEM block.
type Files struct {
	CA         string // CA's certificate: librdkafka's ssl.ca.location
	ServerCert string // Server's certificate
	ServerKey  string // Server's key
	ClientCert string // Client's certificate: librdkafka's ssl.certificate.location
	ClientKey  string // Client's key: librdkafka's ssl.key.location
}

// WriteFiles writes CA's certificate and the certificates and keys of Server
// and Client as PEM files into dir, which should be a test's t.TempDir().
// Keys are written with mode 0600, certificates with 0644.
func WriteFiles(dir string) (Files, error) {
	f := Files{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	writes := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.CA, CA().pem, 0o644},
		{f.ServerCert, Server().pem, 0o644},
		{f.ServerKey, Server().kpem, 0o600},
		{f.ClientCert, Client().pem, 0o644},
		{f.ClientKey, Client().kpem, 0o600},
	}
	for _, w := range writes {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}
