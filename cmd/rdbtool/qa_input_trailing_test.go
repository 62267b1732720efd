package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aofTail is a command of an appendonly.aof after its RDB preamble.
const aofTail = "*1\r\n$4\r\nPING\r\n"

// TestQAInputTrailingBytes: rewrite (the kernel-copy identity and the
// record path), prune, persist and refresh copy only the RDB part of their
// input; when bytes follow the dump's checksum (the command tail of an
// appendonly.aof with an RDB preamble) they say so, once, naming the input
// and the count, and --json reports trailing_bytes. They used to drop those
// bytes silently while reporting success.
func TestQAInputTrailingBytes(t *testing.T) {
	dir, clean, data := qaDump(t)
	aof := filepath.Join(dir, "appendonly.aof")
	if err := os.WriteFile(aof, append(append([]byte(nil), data...), aofTail...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.rdb")
	cmds := [][]string{
		{"rewrite"},
		{"rewrite", "--rdb-version", "10"},
		{"prune", "--match", "nothing*"},
		{"persist"},
		{"refresh", "--prune", "nothing*"},
	}
	for _, cmd := range cmds {
		// text: one warning naming the input and the count
		args := append([]string{cmd[0], aof, "-o", out}, cmd[1:]...)
		r := mustRun(t, 0, nil, args...)
		want := aof + ": 14 bytes after the end of the dump were not copied"
		if strings.Count(r.stderr, want) != 1 || !strings.Contains(r.stderr, "only the RDB part") {
			t.Errorf("%v: stderr does not say %q once:\n%s", args, want, r.stderr)
		}
		got, _ := os.ReadFile(out)
		if cmd[0] == "rewrite" && len(cmd) == 1 && !bytes.Equal(got, data) {
			t.Errorf("%v: output is not the RDB part of the input (%d bytes, want %d)", args, len(got), len(data))
		}
		// --json: the field, no text
		r = mustRun(t, 0, nil, append(args, "--json")...)
		var rep struct {
			Trailing *int64 `json:"trailing_bytes"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Trailing == nil || *rep.Trailing != int64(len(aofTail)) {
			t.Errorf("%v --json: trailing_bytes %v (err %v), want %d:\n%s", args, rep.Trailing, err, len(aofTail), r.stdout)
		}
		if strings.Contains(r.stderr, "after the end") {
			t.Errorf("%v --json: text warning too:\n%s", args, r.stderr)
		}
		// a clean dump: no warning, trailing_bytes 0
		cargs := append([]string{cmd[0], clean, "-o", out}, cmd[1:]...)
		if r := mustRun(t, 0, nil, cargs...); strings.Contains(r.stderr, "after the end") {
			t.Errorf("%v: %s", cargs, r.stderr)
		}
		r = mustRun(t, 0, nil, append(cargs, "--json")...)
		if !strings.Contains(r.stdout, `"trailing_bytes": 0`) {
			t.Errorf("%v --json: no trailing_bytes 0:\n%s", cargs, r.stdout)
		}
	}
	// a pipe: read to its end and counted as well
	args := []string{"prune", "-", "-o", out, "--match", "nothing*"}
	r := mustRun(t, 0, strings.NewReader(string(data)+aofTail), args...)
	if !strings.Contains(r.stderr, "stdin: 14 bytes after the end of the dump were not copied") {
		t.Errorf("%v: %s", args, r.stderr)
	}
}
