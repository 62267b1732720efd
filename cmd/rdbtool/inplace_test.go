package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInPlaceFailureLeavesOriginal: a corrupt input found midway, an
// unwritable target: the original is untouched and no temp file is left.
func TestInPlaceFailureLeavesOriginal(t *testing.T) {
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	dir := t.TempDir()
	dump := filepath.Join(dir, "dump.rdb")
	// corrupt the second half: the first keys are written before the
	// error is found
	bad := append([]byte(nil), in...)
	for i := len(bad) / 2; i < len(bad)/2+64; i++ {
		bad[i] = 0xfe
	}
	os.WriteFile(dump, bad, 0o600)
	for _, args := range [][]string{
		{"rewrite", dump, "--in-place"},
		{"prune", dump, "--in-place", "--match", "fpg:*"},
		{"persist", dump, "--in-place"},
		{"refresh", dump, "--in-place", "--prune", "fpg:*"},
		{"prune", dump, "--in-place", "--match", "fpg:*", "--keep-newest", "1"},
	} {
		r := mustRun(t, 2, nil, args...)
		if strings.Contains(r.err.Error(), "\n") || !strings.Contains(r.err.Error(), "dump.rdb") {
			t.Errorf("%v: error %q", args, r.err)
		}
		if b, _ := os.ReadFile(dump); !bytes.Equal(b, bad) {
			t.Fatalf("%v changed the original", args)
		}
		assertOnly(t, dir, "dump.rdb")
	}
	if st, _ := os.Stat(dump); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode changed: %v", st.Mode())
	}

	// in-place success keeps the mode
	os.WriteFile(dump, in, 0o640)
	os.Chmod(dump, 0o640)
	mustRun(t, 0, nil, "persist", dump, "--in-place")
	if st, _ := os.Stat(dump); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode after in-place: %v", st.Mode())
	}
	assertOnly(t, dir, "dump.rdb")

	// unwritable targets: exit 2, one line
	r := mustRun(t, 2, nil, "rewrite", dump, "-o", filepath.Join(dir, "no", "such", "dir.rdb"))
	if !strings.Contains(r.err.Error(), "cannot write") {
		t.Fatal(r.err)
	}
	mustRun(t, 2, nil, "rewrite", dump, "-o", dir)
	assertOnly(t, dir, "dump.rdb")
}

// binary returns a program that runs rdbtool's main: the test binary
// itself, re-executed with RDBTOOL_TEST_MAIN=1 (see TestMain).
func binary(t *testing.T) string {
	t.Helper()
	return os.Args[0]
}

// TestCtrlC: SIGINT while writing leaves the target untouched and no temp
// file behind.
func TestCtrlC(t *testing.T) {
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	for _, args := range [][]string{
		{"rewrite", "-", "-o", "TARGET"},
		{"refresh", "-", "-o", "TARGET", "--prune", "fpg:*"},
	} {
		dir := t.TempDir()
		target := filepath.Join(dir, "dump.rdb")
		os.WriteFile(target, []byte("original"), 0o644)
		for i := range args {
			if args[i] == "TARGET" {
				args[i] = target
			}
		}
		// the temp file beside the target shows the output is under way
		interruptMidway(t, fmt.Sprint(args), in, dir, 2, nil, args...)
		if b, _ := os.ReadFile(target); string(b) != "original" {
			t.Fatalf("%v: target changed", args)
		}
		assertOnly(t, dir, "dump.rdb")
	}
}

// TestCtrlCSpool: SIGINT while prune --keep-newest spools stdin removes the
// spooled copy from $TMPDIR as well as the output's temp file.
func TestCtrlCSpool(t *testing.T) {
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	dir, tmp := t.TempDir(), t.TempDir()
	// the spool file in $TMPDIR waits for the rest of stdin
	interruptMidway(t, "spool", in, tmp, 1, []string{"TMPDIR=" + tmp},
		"prune", "-", "-o", filepath.Join(dir, "out.rdb"), "--match", "*", "--keep-newest", "1")
	assertOnly(t, tmp)
	assertOnly(t, dir)
}

// diedBy reports whether the process ended by sig.
func diedBy(ee *exec.ExitError, sig syscall.Signal) bool {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// interruptMidway runs rdbtool args as a process (with env added) and
// feeds it the first half of in on stdin; once dir holds n entries it
// sends SIGINT, and fails unless the process then dies by it.
func interruptMidway(t *testing.T, what string, in []byte, dir string, n int, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(append(os.Environ(), "RDBTOOL_TEST_MAIN=1"), env...)
	stdin, _ := cmd.StdinPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Feed well past the header so the temp file exists, then stall.
	stdin.Write(in[:len(in)/2])
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		if len(ents) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no temp file appeared in %s: %v", what, dir, ents)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	stdin.Close()
	// died by SIGINT, as the default action would (the shell's $? is 130):
	// bash goes on with a script after a program that exited with 130
	if ee, ok := err.(*exec.ExitError); !ok || !diedBy(ee, syscall.SIGINT) {
		t.Fatalf("%s: %v, want death by SIGINT; stderr %s", what, err, stderr.String())
	}
}

// TestHelp: every command explains itself and shows an example.
func TestHelp(t *testing.T) {
	for _, cmd := range newApp().Commands {
		name := cmd.Name
		r := mustRun(t, 0, nil, name, "--help")
		if !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "rdbtool "+name) || !strings.Contains(r.stdout, "DESCRIPTION") {
			t.Errorf("%s --help:\n%s", name, r.stdout)
		}
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.Contains(l, "(default: false)") || strings.Count(l, "(default") > 1 {
				t.Errorf("%s --help: noisy default in %q", name, l)
			}
		}
		// every flag's value is named (`SIZE`, `GLOB`), not the default "value"
		if m := regexp.MustCompile(`(?m)^\s+-{1,2}[\w-]+(, -{1,2}[\w-]+)* value\s\s`).FindString(r.stdout); m != "" {
			t.Errorf("%s --help: %q does not name its value", name, m)
		}
	}
	// flags after the file and before it both work
	a := mustRun(t, 0, nil, "keys", "--match", "fpg:*", "../../testdata/corpus/all.rdb").stdout
	b := mustRun(t, 0, nil, "keys", "../../testdata/corpus/all.rdb", "--match", "fpg:*").stdout
	if a != b || a == "" {
		t.Fatal("flag position changes the result")
	}
	// "--" ends flags: a file named like a flag
	dir := t.TempDir()
	odd := filepath.Join(dir, "-x.rdb")
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	os.WriteFile(odd, in, 0o644)
	old, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(old)
	mustRun(t, 0, nil, "verify", "--", "-x.rdb")
	// a glob with a comma stays one pattern
	r := mustRun(t, 0, nil, "keys", "--match", "fpg:000[0,1]", "--", "-x.rdb")
	if n := strings.Count(r.stdout, "\n"); n != 2 {
		t.Fatalf("--match with a comma: %q", r.stdout)
	}
	_ = io.Discard
}
