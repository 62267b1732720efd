package live

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestTLS snapshots (both methods) and loads over rediss://.
func TestTLS(t *testing.T) {
	files := redistest.WriteTLSFiles(t, t.TempDir())
	tlsPort, tlsArgs := files.TLSPort(t, false)
	src := redistest.Start(t, fastSync, redistest.WithRDB(corpusAll),
		redistest.WithArgs(append(tlsArgs, "--tls-replication", "yes")...))
	want := src.Digest(t)

	o, err := ParseURL("rediss://127.0.0.1:" + tlsPort)
	if err != nil {
		t.Fatal(err)
	}
	o.TLSConfig.RootCAs = files.Pool()
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
