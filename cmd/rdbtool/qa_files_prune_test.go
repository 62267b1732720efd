package main

import (
	"bytes"
	"fmt"
	"os"
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

// TestQAFilesPruneKeepNewestPipe: --keep-newest reads FILE twice, so a
// FILE that is a pipe (rdbtool prune <(zcat dump.rdb.gz) ...) is copied to
// a temp file first, as stdin is; reading the pipe again found it empty
// and blamed the file ("unexpected end of input: in the header").
func TestQAFilesPruneKeepNewestPipe(t *testing.T) {
	dir, dump, data := qaDump(t)
	want := filepath.Join(dir, "want.rdb")
	args := []string{"--match", "*", "--keep-newest", "3"}
	mustRun(t, 0, nil, append([]string{"prune", dump, "-o", want}, args...)...)
	wantBytes, _ := os.ReadFile(want)

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	go func() { w.Write(data); w.Close() }()
	out := filepath.Join(dir, "out.rdb")
	res := mustRun(t, 0, nil, append([]string{"prune", path, "-o", out}, args...)...)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, wantBytes) {
		t.Fatalf("prune of a pipe: %d bytes, want %d; stderr %s", len(got), len(wantBytes), res.stderr)
	}
	assertOnly(t, dir, "dump.rdb", "out.rdb", "want.rdb")
}
