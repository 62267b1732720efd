package main

import (
	"strings"
	"testing"
)

// fileCommandNames are the commands that read a dump (or JSON lines) from
// FILE.
var fileCommandNames = []string{"inspect", "keys", "prune", "persist", "refresh", "rewrite", "check", "verify", "diff", "export", "import", "textconv"}

// TestQAScriptHelpStdin: every file command's --help says that FILE may be
// - (stdin), as every one of them accepts it. keys, prune, persist,
// refresh, check and textconv did not: a script writer reading only the
// command's help (rdbtool help keys) could not tell that `git show
// HEAD:dump.rdb | rdbtool keys -` works.
func TestQAScriptHelpStdin(t *testing.T) {
	for _, name := range fileCommandNames {
		help := mustRun(t, 0, nil, name, "--help").stdout
		desc := help[strings.Index(help, "DESCRIPTION:"):]
		if !strings.Contains(desc, "- for stdin") && !strings.Contains(desc, "may be - for stdin") {
			t.Errorf("rdbtool %s --help does not say FILE may be - (stdin):\n%s", name, desc)
		}
	}
}
