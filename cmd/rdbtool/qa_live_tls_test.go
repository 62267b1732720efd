package main

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
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// tlsFiles writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, both signed by the CA, as PEM files in dir.
func tlsFiles(t *testing.T, dir string) (ca, srvCert, srvKey, cliCert, cliKey string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, "EC PRIVATE KEY", der)
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rdbtool test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	sDER, sKey := leaf(2, x509.ExtKeyUsageServerAuth)
	cDER, cKey := leaf(3, x509.ExtKeyUsageClientAuth)
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", sDER), writeKey("server.key", sKey),
		write("client.pem", "CERTIFICATE", cDER), writeKey("client.key", cKey)
}

// A TLS server with Redis's default tls-auth-clients yes takes only clients
// with a certificate: snapshot and load reach it with --tls-cert/--tls-key,
// trusting a private CA with --tls-ca.
func TestLiveTLSClientCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, sc, sk, cc, ck := tlsFiles(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	redistest.Start(t, redistest.WithRDB(liveCorpus), redistest.WithArgs("--tls-port", port,
		"--tls-cert-file", sc, "--tls-key-file", sk, "--tls-ca-cert-file", ca, "--tls-auth-clients", "yes",
		"--repl-diskless-sync-delay", "0"))
	url := "rediss://127.0.0.1:" + port
	tlsArgs := []string{"--tls-ca", ca, "--tls-cert", cc, "--tls-key", ck}

	for _, m := range []string{"scan", "sync"} {
		out := filepath.Join(dir, m+".rdb")
		_, stderr, code := liveRun(t, append([]string{"snapshot", "--from", url, "-o", out, "--method", m}, tlsArgs...)...)
		if code != 0 {
			t.Fatalf("snapshot %s over TLS with a client certificate: exit %d: %s", m, code, stderr)
		}
		if err := redistest.CheckRDB(t, out); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, code := liveRun(t, append([]string{"load", liveCorpus, "--to", url, "--replace"}, tlsArgs...)...)
	if code != 0 {
		t.Fatalf("load over TLS with a client certificate: exit %d: %s", code, stderr)
	}

	// without the client certificate the server refuses: a clear error, exit 2
	_, stderr, code = liveRun(t, "snapshot", "--from", url, "-o", filepath.Join(dir, "x.rdb"), "--tls-ca", ca)
	if code != 2 || !strings.Contains(stderr, "127.0.0.1:"+port) {
		t.Errorf("snapshot without a client certificate: exit %d: %s", code, stderr)
	}
	assertOnly(t, dir, "ca.pem", "client.key", "client.pem", "scan.rdb", "server.key", "server.pem", "sync.rdb")

	// usage errors, before any connection
	for _, args := range [][]string{
		{"snapshot", "--from", "redis://127.0.0.1:" + port, "-o", filepath.Join(dir, "y.rdb"), "--tls-ca", ca},
		{"load", liveCorpus, "--to", url, "--tls-cert", cc},
		{"load", liveCorpus, "--to", url, "--tls-ca", filepath.Join(dir, "missing.pem")},
		{"load", liveCorpus, "--to", url, "--tls-ca", ck},
	} {
		_, stderr, code := liveRun(t, args...)
		if code != 2 || !strings.Contains(stderr, "--tls-") {
			t.Errorf("%q: exit %d: %s", args, code, stderr)
		}
	}
}
