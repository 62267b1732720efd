package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQAFilesPruneKeepNewestBadInput: the --keep-newest pass reports a
// directory, and a bad output, as the single pass does, before reading.
func TestQAFilesPruneKeepNewestBadInput(t *testing.T) {
	dir, dump, _ := qaDump(t)
	r := mustRun(t, 2, nil, "prune", dir, "-o", filepath.Join(dir, "o.rdb"), "--match", "*", "--keep-newest", "1")
	qaOneLine(t, []string{"prune", "DIR"}, r.err, "is a directory, not an RDB file")
	if msg, _ := exitStatus(r.err); strings.Contains(msg, "damaged") {
		t.Errorf("prune DIR: %q", msg)
	}
	r = mustRun(t, 2, nil, "prune", dump, "--match", "*", "--keep-newest", "1")
	qaOneLine(t, []string{"prune", "no -o"}, r.err, "give -o OUT")
	r = mustRun(t, 2, nil, "prune", filepath.Join(dir, "missing.rdb"), "-o", filepath.Join(dir, "o.rdb"), "--match", "*", "--keep-newest", "1")
	qaOneLine(t, []string{"prune", "missing"}, r.err, "missing.rdb: no such file")
	assertOnly(t, dir, "dump.rdb")
}
