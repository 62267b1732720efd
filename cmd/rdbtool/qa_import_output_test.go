package main

import (
	"os"
	"strings"
	"testing"
)

// TestQAImportOutputWriteError: a full disk (here /dev/full) while import
// writes is a failure of the output, named as such, not a fault of the
// input line being converted at that moment: "line 130865: write ...: no
// space left on device (the format is in rdbtool import --help)" sent the
// user to look for a bad line.
func TestQAImportOutputWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	exp := run(t, nil, "export", "../../testdata/dump.rdb")
	if exp.code != 0 {
		t.Fatalf("export: exit %d: %v", exp.code, exp.err)
	}
	res := run(t, strings.NewReader(exp.stdout), "import", "-", "-o", "/dev/full")
	msg := ""
	if res.err != nil {
		msg = res.err.Error()
	}
	if res.code != 2 || !strings.Contains(msg, "/dev/full: cannot write the output: no space left on device") ||
		strings.Contains(msg, "line ") || strings.Contains(msg, "format") {
		t.Fatalf("import -o /dev/full: exit %d, error %q: want exit 2 naming the output and the full disk", res.code, msg)
	}
}
