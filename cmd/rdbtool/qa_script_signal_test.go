package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	// The test binary acts as rdbtool (RDBTOOL_TEST_MAIN) in the tests of
	// the signal handling (TestCtrlC): a test binary started with SIGINT
	// or SIGHUP ignored (under nohup, or run by a runner's & in a
	// non-interactive shell) would pass the ignore on to them, and they
	// would test nothing. Only the test below keeps what it inherits.
	if os.Getenv("RDBTOOL_TEST_MAIN") == "1" && os.Getenv("RDBTOOL_TEST_KEEP_IGNORED") != "1" {
		ignoredAtStart = nil
	}
}

// TestQAScriptIgnoredSignals: a signal the caller ignored stays ignored
// while a file command writes its output. `nohup rdbtool refresh big.rdb -o
// out.rdb &` (SIGHUP ignored) must survive the SSH session closing, and a
// command a script starts with & (bash ignores SIGINT for it) must survive
// Ctrl-C aimed at the script, as every other program does (GNU sort, cp).
// The commands that write a file took both signals over to remove their
// temp file, and so died with 129 on the hangup nohup was meant to shield
// them from; the read-only commands already kept the ignore.
func TestQAScriptIgnoredSignals(t *testing.T) {
	in, err := os.ReadFile("../../testdata/corpus/all.rdb")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"rewrite", "-", "-o", "OUT"},
		{"refresh", "-", "-o", "OUT", "--prune", "fpg:*", "--policy", os.DevNull},
		{"prune", "-", "-o", "OUT", "--match", "fpg:*", "--keep-newest", "1"}, // spools stdin first
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out.rdb")
		args = append([]string(nil), args...)
		for i := range args {
			if args[i] == "OUT" {
				args[i] = out
			}
		}
		// sh execs rdbtool with SIGHUP and SIGINT ignored, as nohup and a
		// non-interactive shell's & do.
		cmd := exec.Command("sh", append([]string{"-c", `trap '' HUP INT; exec "$0" "$@"`, binary(t)}, args...)...)
		cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1", "RDBTOOL_TEST_KEEP_IGNORED=1", "TMPDIR="+dir)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Write(in[:len(in)/2])
		// the temp file (or the spooled copy) shows the output is under way
		deadline := time.Now().Add(10 * time.Second)
		for {
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%v: no temp file appeared", args)
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGHUP)
		cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond) // a handler, had it been installed, would have run by now
		stdin.Write(in[len(in)/2:])
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("rdbtool %s with SIGHUP and SIGINT ignored, sent both: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if _, err := os.Stat(out); err != nil {
			t.Fatalf("%v: no output: %v", args, err)
		}
		assertOnly(t, dir, "out.rdb")
	}
}
