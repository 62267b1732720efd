package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An import that fails on a bad line wrote nothing: it prints the error
// line alone, not the conversion warnings of the keys before it (which
// read as if a file had been written), as rewrite does on a damaged input.
// The report of a failure on unconvertible keys still lists them.
func TestQAConfigsImportFailsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	jsonl := mustRun(t, 0, nil, "export", "../../testdata/corpus/streams.rdb").stdout
	bad := jsonl + `{"db":0,"key":"bad"}` + "\n"
	out := filepath.Join(dir, "out.rdb")
	for _, args := range [][]string{
		{"import", "-", "-o", out, "--rdb-version", "9"},
		{"import", "-", "-o", out, "--rdb-version", "9", "--json"},
	} {
		r := run(t, strings.NewReader(bad), args...)
		if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "line ") {
			t.Fatalf("%v: exit %d, %v", args, r.code, r.err)
		}
		if r.stderr != "" || r.stdout != "" {
			t.Errorf("%v failed (%v) and also printed\nstderr: %.300s\nstdout: %.300s", args, r.err, r.stderr, r.stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: failed import wrote %s", args, out)
		}
	}
	// the same lines without the bad one: the warnings are there
	r := mustRun(t, 0, strings.NewReader(jsonl), "import", "-", "-o", out, "--rdb-version", "9")
	if !strings.Contains(r.stderr, "warning: ") {
		t.Errorf("no conversion warnings for streams at RDB 9: %q", r.stderr)
	}
	// unconvertible keys (streams before 9) still list the keys
	r = mustRun(t, 2, strings.NewReader(jsonl), "import", "-", "-o", out+"8", "--rdb-version", "8")
	if !strings.Contains(r.stderr, "cannot be written as RDB version 8") {
		t.Errorf("import --rdb-version 8 of streams: %v\n%s", r.err, r.stderr)
	}
}
