package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQAMigrateCreateMissingDir: create into a directory that does not
// exist names it and says what to do; it said "open DIR: no such file or
// directory". Without --dir (run outside the repository root) it says to
// run it there or give --dir.
func TestQAMigrateCreateMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "create", "add_x", "--dir", missing}, missing + " is not a directory (create it first"},
		{[]string{"migrate", "create", "add_x"}, "is not a directory (run it in the repository root, or give --dir)"},
	} {
		res := run(t, nil, tc.args...)
		msg := ""
		if res.err != nil {
			msg = res.err.Error()
		}
		if res.code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tc.args, res.code, msg, tc.want)
		}
	}
}
