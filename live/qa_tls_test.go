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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// tlsPortServer starts a redis-server with a TLS port and returns that
// port's address.
func tlsPortServer(t *testing.T) string {
	t.Helper()
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsPort := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	redistest.Start(t, redistest.WithArgs("--tls-port", tlsPort, "--tls-cert-file", certPath,
		"--tls-key-file", keyPath, "--tls-ca-cert-file", certPath, "--tls-auth-clients", "no"))
	return "127.0.0.1:" + tlsPort
}

// Speaking plain RESP to a TLS port, or TLS to a plain one, is a likely
// mistake: the error says so, instead of "connection reset by peer" or,
// after 25 s of dial retries, "context deadline exceeded".
func TestTLSMismatchSaysSo(t *testing.T) {
	ctx := context.Background()
	plain := redistest.Start(t, fastSync)
	tlsAddr := tlsPortServer(t)
	run := func(url string) []error {
		o, err := ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for _, m := range []Method{MethodScan, MethodSync} {
			_, err := Snapshot(ctx, o, &bytes.Buffer{}, SnapshotOptions{Method: m})
			errs = append(errs, err)
		}
		_, err = Snapshot(ctx, o, &bytes.Buffer{}, SnapshotOptions{Cluster: true})
		errs = append(errs, err)
		_, err = Load(ctx, o, rdb.NewReader(strings.NewReader("")), LoadOptions{})
		return append(errs, err)
	}
	for _, err := range run("redis://" + tlsAddr) {
		if err == nil || !strings.Contains(err.Error(), "rediss://") {
			t.Errorf("plain client on a TLS port: %v", err)
		}
	}
	for _, err := range run("rediss://" + plain.Addr + "?dial_timeout=150ms") {
		if err == nil || !strings.Contains(err.Error(), "no TLS handshake") || !strings.Contains(err.Error(), "redis://") {
			t.Errorf("TLS client on a plain port: %v", err)
		}
	}
}

// A server that accepts connections but never answers (a TLS client on a
// plain port, a firewall) is dialled once per connection, not five times.
func TestDialNotRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			defer c.Close()
		}
	}()
	o, err := ParseURL("rediss://" + l.Addr().String() + "?dial_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Snapshot(context.Background(), o, &bytes.Buffer{}, SnapshotOptions{})
	if err == nil {
		t.Fatal("snapshot of a server that never answers: no error")
	}
	if n := accepted.Load(); n > 1 {
		t.Errorf("%d connections for one INFO that timed out: the dial was retried (%v)", n, err)
	}
}
