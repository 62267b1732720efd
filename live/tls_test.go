package live

import (
	"bytes"
	"context"
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

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestTLS snapshots (both methods) and loads over rediss://.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	src := redistest.Start(t, fastSync, redistest.WithRDB(corpusAll), redistest.WithArgs(
		"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", certPath, "--tls-key-file", keyPath,
		"--tls-ca-cert-file", certPath, "--tls-auth-clients", "no", "--tls-replication", "yes"))
	want := src.Digest(t)

	o, err := ParseURL("rediss://127.0.0.1:" + strconv.Itoa(tlsPort))
	if err != nil {
		t.Fatal(err)
	}
	o.TLSConfig.RootCAs = x509.NewCertPool()
	o.TLSConfig.RootCAs.AddCert(cert)
	for _, m := range []Method{MethodScan, MethodSync} {
		var buf bytes.Buffer
		if _, err := Snapshot(context.Background(), o, &buf, SnapshotOptions{Method: m}); err != nil {
			t.Fatalf("%s over TLS: %v", m, err)
		}
		path := filepath.Join(t.TempDir(), "snap.rdb")
		os.WriteFile(path, buf.Bytes(), 0o644)
		if got := redistest.Start(t, redistest.WithRDB(path)).Digest(t); got != want {
			t.Fatalf("%s over TLS: digest %s, want %s", m, got, want)
		}
	}
	// load back over TLS, after a flush of the (loopback) server
	f, err := os.Open(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Load(context.Background(), o, rdb.NewReader(f), LoadOptions{Flush: true}); err != nil {
		t.Fatal(err)
	}
	if got := src.Digest(t); got != want {
		t.Fatalf("load over TLS: digest %s, want %s", got, want)
	}
}
