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
	from, until := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	ca := NewCA(tb, filepath.Join(dir, "ca.pem"), "rdbtool test CA", from, until)
	f := TLSFiles{CA: ca.Path, caCert: ca.cert,
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client.key")}
	leaf := Leaf{Name: "127.0.0.1", IPs: []string{"127.0.0.1"}, From: from, Until: until}
	leaf.Usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	ca.Issue(tb, leaf, f.ServerCert, f.ServerKey)
	leaf.Usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	ca.Issue(tb, leaf, f.ClientCert, f.ClientKey)
	return f
}

// CA is a throwaway certificate authority for TLS tests.
type CA struct {
	Path   string // its certificate (PEM)
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	serial int64
}

// NewCA makes a CA named name, valid from until until, and writes its
// certificate to path.
func NewCA(tb testing.TB, path, name string, from, until time.Time) *CA {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: from, NotAfter: until, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	writePEM(tb, path, "CERTIFICATE", der)
	return &CA{Path: path, cert: cert, key: key, serial: 1}
}

// Leaf is a certificate for CA.Issue to sign.
type Leaf struct {
	Name        string   // the subject's common name
	IPs         []string // the IP addresses it is valid for
	Usage       []x509.ExtKeyUsage
	From, Until time.Time
}

// Issue signs l and writes the certificate and its EC private key (PEM)
// to certPath and keyPath.
func (ca *CA) Issue(tb testing.TB, l Leaf, certPath, keyPath string) {
	tb.Helper()
	key := newKey(tb)
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: l.Name},
		NotBefore: l.From, NotAfter: l.Until, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: l.Usage,
	}
	for _, ip := range l.IPs {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	writePEM(tb, certPath, "CERTIFICATE", der)
	writePEM(tb, keyPath, "EC PRIVATE KEY", kder)
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func writePEM(tb testing.TB, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
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
