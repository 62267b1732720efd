package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestImportExportDigest: import(export(x)) holds the same data: a real
// redis-server shows the same DEBUG DIGEST for both files, for every corpus
// file it loads; for the others diff finds no difference.
func TestImportExportDigest(t *testing.T) {
	load := map[string]bool{}
	for _, f := range loadable(t) {
		load[f] = true
	}
	dir := t.TempDir()
	for _, f := range corpusFiles(t) {
		jsonl := mustRun(t, 0, nil, "export", f).stdout
		out := filepath.Join(dir, "imp-"+filepath.Base(f))
		args := []string{"import", "-", "-o", out}
		if load[f] {
			args = append(args, "--rdb-version", "10")
		}
		if r := run(t, strings.NewReader(jsonl), args...); r.code != 0 {
			if strings.Contains(f, "module") {
				continue
			}
			t.Errorf("%s: import: %v\n%s", f, r.err, r.stderr)
			continue
		}
		if d := run(t, nil, "diff", f, out); d.code != 0 {
			t.Errorf("%s: diff after import(export): %s", f, d.stdout)
		}
		if !load[f] {
			continue
		}
		if err := redistest.CheckRDB(t, out); err != nil {
			t.Error(err)
		}
		want, err := shared.digest(t, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := shared.digest(t, out)
		if err != nil {
			t.Errorf("%s: imported file does not load: %v", f, err)
			continue
		}
		if got != want {
			t.Errorf("%s: DEBUG DIGEST %s after import(export), %s before", f, got, want)
		}
	}
	// export to a file, bad JSON lines
	out := filepath.Join(dir, "x.jsonl")
	mustRun(t, 0, nil, "export", "../../testdata/corpus/all.rdb", "-o", out)
	if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte(`{"rdb_version":10`)) {
		t.Fatalf("export file starts %.40q", b)
	}
	r := mustRun(t, 2, strings.NewReader("{\"db\":0,\"key\":\"a\",\"type\":\"string\",\"expire_ms\":-1,\"value\":\"x\"}\n{\"db\":0,\"key\":\"b\",\"type\":\"sting\",\"expire_ms\":-1,\"value\":\"x\"}\n"), "import", "-", "-o", filepath.Join(dir, "bad.rdb"))
	if !strings.Contains(r.err.Error(), "line 2") {
		t.Fatal(r.err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.rdb")); !os.IsNotExist(err) {
		t.Fatal("partial import written")
	}
}

func TestTextconv(t *testing.T) {
	f := "../../testdata/corpus/all.rdb"
	a := mustRun(t, 0, nil, "textconv", f).stdout
	// The same data in another encoding (RDB 9) and order prints the same
	// text, but for the header line.
	dir := t.TempDir()
	v9 := filepath.Join(dir, "v9.rdb")
	mustRun(t, 0, nil, "rewrite", f, "-o", v9, "--rdb-version", "9")
	b := mustRun(t, 0, nil, "textconv", v9).stdout
	_, restA, _ := strings.Cut(a, "\n")
	_, restB, _ := strings.Cut(b, "\n")
	// functions are dropped in RDB 9
	if i := strings.Index(restA, "db0 "); i >= 0 {
		restA = restA[i:]
	}
	if restA != restB {
		t.Fatalf("textconv differs across encodings:\n%.3000s\n---\n%.3000s", restA, restB)
	}
	if !strings.Contains(a, "\" hash\n  \"") {
		t.Fatalf("textconv output:\n%.2000s", a)
	}
	// sorted
	var prev string
	for _, l := range strings.Split(a, "\n") {
		if strings.HasPrefix(l, "db0 ") {
			if l < prev {
				t.Fatalf("not sorted: %q after %q", l, prev)
			}
			prev = l
		}
	}
}
