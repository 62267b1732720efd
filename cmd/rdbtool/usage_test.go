package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const testDump = "../../testdata/dump.rdb"

// TestOutputAlias: --output is the same flag as -o for every command that
// writes a file (it used to be ignored, and export then wrote to stdout).
func TestOutputAlias(t *testing.T) {
	dir := t.TempDir()
	want, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.rdb")
	mustRun(t, 0, nil, "rewrite", testDump, "--output", out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("rewrite --output: %v, %d bytes", err, len(got))
	}
	jl := filepath.Join(dir, "dump.jsonl")
	r := mustRun(t, 0, nil, "export", testDump, "--output", jl)
	if r.stdout != "" {
		t.Fatalf("export --output also wrote %d bytes to stdout", len(r.stdout))
	}
	if st, err := os.Stat(jl); err != nil || st.Size() == 0 {
		t.Fatalf("export --output: %v", err)
	}
	mustRun(t, 0, nil, "prune", testDump, "--output", filepath.Join(dir, "p.rdb"), "--match", "fpg:*")
	mustRun(t, 2, nil, "prune", testDump, "--output", filepath.Join(dir, "p.rdb"), "--in-place", "--match", "fpg:*")
	mustRun(t, 0, nil, "keys", testDump, "-h")
}
