package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// qaCert writes a certificate for 127.0.0.1 signed by a CA of its own
// (ca.pem), valid from..until, and its key, into dir with prefix name.
// usage is ServerAuth or ClientAuth.
func qaCert(t *testing.T, dir, name string, usage x509.ExtKeyUsage, from, until time.Time) (ca, cert, key string) {
	t.Helper()
	c := redistest.NewCA(t, filepath.Join(dir, name+"-ca.pem"), name+" CA", time.Now().Add(-72*time.Hour), time.Now().Add(72*time.Hour))
	cert, key = filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem")
	c.Issue(t, redistest.Leaf{Name: name, IPs: []string{"127.0.0.1"}, Usage: []x509.ExtKeyUsage{usage}, From: from, Until: until}, cert, key)
	return c.Path, cert, key
}

// Every way a TLS connection is refused gets an error that names the
// server, says what is wrong and what to do, exit 2, and no output file.
// The sync method used to hide a missing client certificate behind
// "PSYNC: write: connection reset by peer" (it ignored REPLCONF's failure).
func TestQATLSErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	files := redistest.WriteTLSFiles(t, dir)
	port, args := files.TLSPort(t, true) // tls-auth-clients yes, Redis's default
	redistest.Start(t, redistest.WithArgs(append(args, "--repl-diskless-sync-delay", "0")...))
	url := "rediss://127.0.0.1:" + port

	// a server whose certificate expired yesterday
	now := time.Now()
	expCA, expCert, expKey := qaCert(t, dir, "expired", x509.ExtKeyUsageServerAuth, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	expPort, expArgs := redistest.TLSFiles{CA: files.CA, ServerCert: expCert, ServerKey: expKey}.TLSPort(t, false)
	redistest.Start(t, redistest.WithArgs(expArgs...))
	// a client certificate that expired yesterday, of a CA the server does not trust
	_, oldCert, oldKey := qaCert(t, dir, "client", x509.ExtKeyUsageClientAuth, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	otherCA, _, _ := qaCert(t, dir, "other", x509.ExtKeyUsageServerAuth, now, now.Add(time.Hour))

	cert := []string{"--tls-cert", files.ClientCert, "--tls-key", files.ClientKey}
	for _, tc := range []struct {
		name string
		url  string
		args []string
		want []string // in the error line
	}{
		{"no client certificate", url, []string{"--tls-ca", files.CA}, []string{"client certificate", "--tls-cert"}},
		{"client certificate the server refuses", url, []string{"--tls-ca", files.CA, "--tls-cert", oldCert, "--tls-key", oldKey},
			[]string{"refuse", "client certificate of --tls-cert"}},
		{"wrong CA", url, append([]string{"--tls-ca", otherCA}, cert...), []string{"not signed by a CA", "--tls-ca"}},
		{"system CAs", url, cert, []string{"not signed by a CA", "--tls-ca"}},
		{"host name not in the certificate", "rediss://localhost:" + port, append([]string{"--tls-ca", files.CA}, cert...),
			[]string{"not for localhost", "127.0.0.1", "skip_verify"}},
		{"expired server certificate", "rediss://127.0.0.1:" + expPort, []string{"--tls-ca", expCA},
			[]string{"expired", "skip_verify"}},
	} {
		for _, cmd := range [][]string{
			{"snapshot", "--from", tc.url, "-o", filepath.Join(dir, "scan.rdb")},
			{"snapshot", "--from", tc.url, "-o", filepath.Join(dir, "sync.rdb"), "--method", "sync"},
			{"load", liveCorpus, "--to", tc.url, "--replace"},
			// the same with --cluster: the first exchange is the slot map's
			{"snapshot", "--from", tc.url, "-o", filepath.Join(dir, "scan.rdb"), "--cluster"},
			{"load", liveCorpus, "--to", tc.url, "--cluster"},
		} {
			_, stderr, code := liveRun(t, append(cmd, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			ok := code == 2 && strings.Contains(last, "server ")
			for _, w := range tc.want {
				ok = ok && strings.Contains(last, w)
			}
			if !ok {
				t.Errorf("%s: %s %s: exit %d, want 2 and an error with %q:\n%s", tc.name, cmd[0], cmd[len(cmd)-1], code, tc.want, stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "scan.rdb")); err == nil {
		t.Error("a failed snapshot left its output")
	}
	if _, err := os.Stat(filepath.Join(dir, "sync.rdb")); err == nil {
		t.Error("a failed snapshot left its output")
	}
}

// A client key protected by a passphrase (BEGIN ENCRYPTED PRIVATE KEY):
// Go cannot read it, and "tls: failed to parse private key" did not say
// why or what to do.
func TestQATLSEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	files := redistest.WriteTLSFiles(t, dir)
	key := filepath.Join(dir, "enc.key")
	if err := os.WriteFile(key, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := liveRun(t, "load", liveCorpus, "--to", "rediss://127.0.0.1:1", "--tls-ca", files.CA,
		"--tls-cert", files.ClientCert, "--tls-key", key)
	if code != 2 || !strings.Contains(stderr, "encrypted") || !strings.Contains(stderr, "openssl") {
		t.Fatalf("an encrypted --tls-key: exit %d: %s", code, stderr)
	}
}
