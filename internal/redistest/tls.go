package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TLSFiles are PEM files for a TLS test: a CA, and a server certificate
// (for 127.0.0.1) and a client certificate it signed, valid for an hour.
type TLSFiles struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	caCert                                           *x509.Certificate
}

// WriteTLSFiles makes the certificates and writes them into dir.
func WriteTLSFiles(tb testing.TB, dir string) TLSFiles {
	tb.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			tb.Fatal(err)
		}
		return write(name, "EC PRIVATE KEY", der)
	}
	from, until := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rdbtool test CA"},
		NotBefore: from, NotAfter: until, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: from, NotAfter: until, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			tb.Fatal(err)
		}
		return der, k
	}
	sDER, sKey := leaf(2, x509.ExtKeyUsageServerAuth)
	cDER, cKey := leaf(3, x509.ExtKeyUsageClientAuth)
	return TLSFiles{
		CA: write("ca.pem", "CERTIFICATE", caDER), caCert: caCert,
		ServerCert: write("server.pem", "CERTIFICATE", sDER), ServerKey: writeKey("server.key", sKey),
		ClientCert: write("client.pem", "CERTIFICATE", cDER), ClientKey: writeKey("client.key", cKey),
	}
}

// Pool is a certificate pool that trusts the CA.
func (f TLSFiles) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(f.caCert)
	return p
}

// TLSPort returns a free port for a server's TLS port, and the
// redis-server arguments that serve TLS there with f; authClients is
// tls-auth-clients (Redis's default: yes, a client certificate needed).
func (f TLSFiles) TLSPort(tb testing.TB, authClients bool) (port string, args []string) {
	tb.Helper()
	p, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	port = strconv.Itoa(p)
	auth := "no"
	if authClients {
		auth = "yes"
	}
	return port, []string{"--tls-port", port, "--tls-cert-file", f.ServerCert, "--tls-key-file", f.ServerKey,
		"--tls-ca-cert-file", f.CA, "--tls-auth-clients", auth}
}
