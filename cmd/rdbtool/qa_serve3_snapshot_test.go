package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestServeNotASnapshotSource: a snapshot of a serve URL fails (miniredis's
// DUMP gives WRONGTYPE for every type but strings), and the error now says
// why and what to use instead; it was a bare "DUMP (db 0): WRONGTYPE".
func TestServeNotASnapshotSource(t *testing.T) {
	url, _ := serveURL(t, "../../testdata/dump.rdb", "--addr", "127.0.0.1:0")
	out := filepath.Join(t.TempDir(), "snap.rdb")
	res := run(t, nil, "snapshot", "--from", url, "-o", out, "--method", "scan")
	msg := ""
	if res.err != nil {
		msg = res.err.Error()
	}
	if res.code != 2 || !strings.Contains(msg, "WRONGTYPE") || !strings.Contains(msg, "rdbtool serve") || !strings.Contains(msg, "redis-server") {
		t.Fatalf("snapshot of serve: exit %d, %q", res.code, msg)
	}
	assertOnly(t, filepath.Dir(out))
}
