package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQAInputJSONLinesNamesImport: JSON lines from export given to a
// command that reads a dump say how to make a dump of them, from a file
// and from a pipe, instead of only "check it with rdbtool verify".
func TestQAInputJSONLinesNamesImport(t *testing.T) {
	jsonl := filepath.Join(t.TempDir(), "dump.jsonl")
	mustRun(t, 0, nil, "export", "../../testdata/dump.rdb", "-o", jsonl)
	for _, args := range [][]string{{"inspect", jsonl}, {"diff", jsonl, "../../testdata/dump.rdb"}, {"keys", "-"}} {
		var r runResult
		if args[len(args)-1] == "-" {
			r = run(t, strings.NewReader(`{"rdb_version":10,"magic":"REDIS"}`+"\n"), args...)
		} else {
			r = run(t, nil, args...)
		}
		if r.code != exitError || r.err == nil || !strings.Contains(r.err.Error(), "rdbtool import") {
			t.Errorf("rdbtool %s: exit %d, %v; want exit %d naming rdbtool import", strings.Join(args, " "), r.code, r.err, exitError)
		}
	}
}
