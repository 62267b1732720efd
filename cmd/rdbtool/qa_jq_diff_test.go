package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQAJQDiffStreamLength: two streams with the same entries but another
// length (XLEN) are different data; diff called them equal.
func TestQAJQDiffStreamLength(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, length string) string {
		p := filepath.Join(dir, name)
		line := `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"length":` + length +
			`,"entries":[{"id":"5-1","fields":[["a","b"]]},{"id":"6-0","fields":[["c","d"]]}]}}` + "\n"
		mustRun(t, 0, strings.NewReader(line), "import", "-", "-o", p)
		return p
	}
	a, b := mk("a.rdb", "2"), mk("b.rdb", "5")
	r := mustRun(t, 1, nil, "diff", a, b)
	if !strings.Contains(r.stdout, "~ db0 s: stream value changed") {
		t.Fatalf("diff text:\n%s", r.stdout)
	}
	mustRun(t, 0, nil, "diff", a, mk("c.rdb", "0"))
}
