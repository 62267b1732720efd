package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQAFilesImportDuplicateKey: two lines for one key in one database
// make a file redis-server refuses to start with ("duplicated key"); import
// says so instead. The same key in two databases is fine.
func TestQAFilesImportDuplicateKey(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.rdb")
	hdr := `{"rdb_version":10,"magic":"REDIS"}` + "\n"
	line := func(db, key string) string {
		return `{"db":` + db + `,"key":"` + key + `","type":"string","expire_ms":-1,"value":"v"}` + "\n"
	}
	r := mustRun(t, 2, strings.NewReader(hdr+line("0", "a")+line("0", "b")+line("0", "a")), "import", "-", "-o", out)
	qaOneLine(t, []string{"import"}, r.err, "line 4", `"a"`, "duplicate")
	assertOnly(t, dir)
	mustRun(t, 0, strings.NewReader(hdr+line("0", "a")+line("1", "a")), "import", "-", "-o", out)
}
