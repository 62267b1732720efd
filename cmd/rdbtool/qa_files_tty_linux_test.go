package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// TestQAFilesStdinTerminal: FILE "-" with stdin a terminal is a usage
// error at once, not a command waiting silently for a dump to be typed.
func TestQAFilesStdinTerminal(t *testing.T) {
	_, tty := ptytest.Open(t)
	_, dump, _ := qaDump(t)
	for _, args := range [][]string{
		{"inspect", "-"},
		{"keys", "-"},
		{"verify", "-"},
		{"textconv", "-"},
		{"check", "-", "--no-ttl"},
		{"diff", "-", dump},
		{"export", "-"},
		{"import", "-", "-o", dump + ".out"},
		{"persist", "-", "-o", dump + ".out"},
		{"prune", "-", "-o", dump + ".out", "--match", "*", "--keep-newest", "1"},
	} {
		done := make(chan runResult, 1)
		go func() {
			var out strings.Builder
			done <- runTo(t, &out, tty, args...)
		}()
		var r runResult
		select {
		case r = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: still waiting for stdin after 5 s", args)
		}
		if r.code != exitError {
			t.Errorf("%v: exit %d (%v)", args, r.code, r.err)
			continue
		}
		qaOneLine(t, args, r.err, "stdin is a terminal", "(see rdbtool "+args[0]+" --help)")
	}
}
