package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestQAFilesOutputIsInput: -o naming FILE itself (by any path) is not an
// in-place run by accident: export would replace the dump by its JSON.
func TestQAFilesOutputIsInput(t *testing.T) {
	dir, dump, data := qaDump(t)
	os.Symlink("dump.rdb", filepath.Join(dir, "link.rdb"))
	other := filepath.Join(dir, "..", filepath.Base(dir), "dump.rdb")
	for _, args := range [][]string{
		{"export", dump, "-o", dump},
		{"persist", dump, "-o", other},
		{"prune", dump, "-o", dump, "--match", "*"},
		{"prune", dump, "-o", dump, "--match", "*", "--keep-newest", "1"},
		{"refresh", filepath.Join(dir, "link.rdb"), "-o", dump},
		{"rewrite", dump, "--output", dump},
	} {
		r := mustRun(t, 2, nil, args...)
		want := []string{"is the input"}
		if args[0] != "export" {
			want = append(want, "--in-place")
		}
		qaOneLine(t, args, r.err, want...)
		if b, _ := os.ReadFile(dump); !bytes.Equal(b, data) {
			t.Fatalf("%v changed the input", args)
		}
		assertOnly(t, dir, "dump.rdb", "link.rdb")
	}
	// the JSON lines file as import's output
	jl := filepath.Join(dir, "dump.jsonl")
	mustRun(t, 0, nil, "export", dump, "-o", jl)
	before, _ := os.ReadFile(jl)
	r := mustRun(t, 2, nil, "import", jl, "-o", jl)
	qaOneLine(t, []string{"import"}, r.err, "is the input")
	if b, _ := os.ReadFile(jl); !bytes.Equal(b, before) {
		t.Fatal("import -o FILE replaced its input")
	}
	// --in-place and a distinct -o still work
	mustRun(t, 0, nil, "persist", dump, "--in-place")
	mustRun(t, 0, nil, "persist", dump, "-o", filepath.Join(dir, "out.rdb"))
}
