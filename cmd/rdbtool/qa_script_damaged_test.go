package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQAScriptKeysUpToDamage: keys on a dump damaged midway lists every
// key before the damage, then fails (exit 2) naming it, whatever the
// listing's size. It printed only whole 64 KiB blocks of its buffer, so a
// small dump listed nothing at all and a large one stopped up to 64 KiB
// short of the damage: the last keys read fine were never shown.
func TestQAScriptKeysUpToDamage(t *testing.T) {
	whole, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(t.TempDir(), "half.rdb")
	if err := os.WriteFile(half, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{nil, {"--json"}} {
		all := mustRun(t, 0, nil, append([]string{"keys", testDump}, flags...)...).stdout
		r := mustRun(t, 2, nil, append([]string{"keys", half}, flags...)...)
		qaOneLine(t, []string{"keys", half}, r.err, half, "offset")
		n := strings.Count(r.stdout, "\n")
		if n == 0 || !strings.HasPrefix(all, r.stdout) || !strings.HasSuffix(r.stdout, "\n") {
			t.Fatalf("keys %v of a dump cut in half printed %d lines, want the keys before the cut:\n%.300s", flags, n, r.stdout)
		}
		// every key whose record ends before the cut is listed: the
		// next one is the key the error names
		next := strings.Split(all, "\n")[n]
		if !strings.Contains(r.err.Error(), keyOfLine(next, flags != nil)) {
			t.Errorf("keys %v: listed %d keys; the next, %q, is not the one the error names: %v", flags, n, next, r.err)
		}
	}
}

// keyOfLine is the key name of a keys output line.
func keyOfLine(line string, asJSON bool) string {
	if asJSON {
		_, rest, _ := strings.Cut(line, `"key":"`)
		key, _, _ := strings.Cut(rest, `"`)
		return `"` + key + `"`
	}
	return `"` + line[strings.LastIndex(line, "\t")+1:] + `"`
}
