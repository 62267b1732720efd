package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// A TLS server with Redis's default tls-auth-clients yes takes only clients
// with a certificate: snapshot and load reach it with --tls-cert/--tls-key,
// trusting a private CA with --tls-ca.
func TestLiveTLSClientCertificate(t *testing.T) {
	dir := t.TempDir()
	files := redistest.WriteTLSFiles(t, dir)
	ca, cc, ck := files.CA, files.ClientCert, files.ClientKey
	port, serverArgs := files.TLSPort(t, true)
	redistest.Start(t, redistest.WithRDB(liveCorpus), redistest.WithArgs(append(serverArgs, "--repl-diskless-sync-delay", "0")...))
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
