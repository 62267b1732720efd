package main

import (
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// TestRDBNotToTerminal: -o - refuses to write an RDB file to a terminal
// (export's text is fine there), and still writes to a pipe or file.
func TestRDBNotToTerminal(t *testing.T) {
	_, tty := ptytest.Open(t)
	runTTY := func(args ...string) runResult { return runTo(t, tty, nil, args...) }
	for _, args := range [][]string{
		{"rewrite", testDump, "-o", "-"},
		{"prune", testDump, "-o", "-", "--match", "fpg:*"},
		{"persist", testDump, "-o", "-"},
		{"refresh", testDump, "-o", "-"},
		{"import", testDump, "-o", "-"},
		{"snapshot", "--from", "redis://127.0.0.1:1", "-o", "-"},
	} {
		r := runTTY(args...)
		if r.code != 2 || !strings.HasPrefix(r.err.Error(), args[0]+": -o -: stdout is a terminal") || !strings.HasSuffix(r.err.Error(), "(see rdbtool "+args[0]+" --help)") {
			t.Errorf("rdbtool %s on a terminal: exit %d, %v", strings.Join(args, " "), r.code, r.err)
		}
	}
	if r := runTTY("keys", testDump, "--match", "corr:map"); r.code != 0 {
		t.Errorf("keys on a terminal: %v", r.err)
	}
	if r := mustRun(t, 0, nil, "rewrite", testDump, "-o", "-"); len(r.stdout) == 0 {
		t.Error("rewrite -o - to a pipe wrote nothing")
	}
}
