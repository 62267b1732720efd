package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failWriter fails every write, like stdout on a full disk.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestQAFilesStdoutWriteError: output that cannot be written is exit 2
// naming stdout, never a success (or a "found something") with the
// output silently cut.
func TestQAFilesStdoutWriteError(t *testing.T) {
	_, dump, _ := qaDump(t)
	other := filepath.Join(t.TempDir(), "other.rdb")
	mustRun(t, 0, nil, "prune", dump, "-o", other, "--match", "*")
	for _, args := range [][]string{
		{"keys", dump},
		{"keys", dump, "--json"},
		{"inspect", dump},
		{"inspect", dump, "--json"},
		{"verify", dump},
		{"check", dump, "--forbid", "*"},
		{"check", dump, "--forbid", "*", "--json"},
		{"check", dump, "--no-ttl", "--json"},
		{"diff", dump, other},
		{"diff", dump, other, "--json"},
		{"textconv", dump},
		{"export", dump},
		{"persist", dump, "-o", "-"},
		{"prune", dump, "-o", "-", "--match", "x"},
	} {
		r := runTo(t, failWriter{}, nil, args...)
		if r.code != exitError {
			t.Errorf("%v: exit %d, want %d (err %v)", args, r.code, exitError, r.err)
			continue
		}
		qaOneLine(t, args, r.err, "stdout", "no space left on device")
		if msg, _ := exitStatus(r.err); strings.Contains(msg, "stdin") || strings.Contains(msg, "writing output") || strings.Contains(msg, "nothing was written") {
			t.Errorf("%v: %q (stdout called stdin, a doubled prefix, or a false claim)", args, msg)
		}
	}
}

// TestQAFilesDeviceWriteError: a device that refuses the bytes (-o
// /dev/full) is named as the output, exit 2, in one line.
func TestQAFilesDeviceWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	_, dump, _ := qaDump(t)
	for _, args := range [][]string{
		{"persist", dump, "-o", "/dev/full"},
		{"export", dump, "-o", "/dev/full"},
	} {
		r := mustRun(t, 2, nil, args...)
		qaOneLine(t, args, r.err, "/dev/full: cannot write the output: no space left on device")
	}
}
