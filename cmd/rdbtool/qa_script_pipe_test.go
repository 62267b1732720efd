package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// closedPipe is a pipe whose reader has gone (| head -c 10 after its
// bytes): writing to w fails with EPIPE.
func closedPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// runIntoHead runs cmd with its stdout read by a reader that takes 10
// bytes and goes away (| head -c 10); it returns what cmd wrote on stderr
// and what cmd.Wait returns.
func runIntoHead(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	io.ReadFull(r, make([]byte, 10)) // head -c 10
	r.Close()
	err = cmd.Wait()
	return stderr.String(), err
}

// TestQAScriptBrokenPipeQuiet: when the program reading the output goes
// away (rdbtool keys dump.rdb | head -1), every command stops at once
// without a word on stderr and with the status of a program SIGPIPE ended,
// 141, as cat, grep and jq do. Writing a file to -o /dev/stdout or to a
// >(head) process substitution exited 2 with "cannot write the output:
// broken pipe", while -o - was ended quietly by SIGPIPE: the same pipe, two
// contracts.
func TestQAScriptBrokenPipeQuiet(t *testing.T) {
	for _, args := range [][]string{
		{"rewrite", testDump, "-o", "/dev/stdout"},
		{"prune", testDump, "-o", "/dev/stdout", "--match", "nothing"},
		{"refresh", testDump, "-o", "/dev/stdout", "--policy", os.DevNull},
		{"export", testDump, "-o", "/dev/stdout"},
		{"rewrite", testDump, "-o", "-"},
		{"export", testDump},
		{"textconv", testDump},
	} {
		cmd := exec.Command(binary(t), args...)
		cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
		stderr, err := runIntoHead(t, cmd)
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("rdbtool %s | head -c 10: %v, want status 141", strings.Join(args, " "), err)
			continue
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !(ws.Signaled() && ws.Signal() == syscall.SIGPIPE) && ws.ExitStatus() != 141 {
			t.Errorf("rdbtool %s | head -c 10: %v, want status 141 (128+SIGPIPE)", strings.Join(args, " "), err)
		}
		if stderr != "" {
			t.Errorf("rdbtool %s | head -c 10: stderr %q, want nothing", strings.Join(args, " "), stderr)
		}
	}
}

// TestQAScriptBrokenPipeStdoutReports: the commands that print a report or
// a listing on stdout (in-process, where a closed pipe is EPIPE rather
// than SIGPIPE) end with 141 and no message, as above.
func TestQAScriptBrokenPipeStdoutReports(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keys", testDump},
		{"keys", testDump, "--json"},
		{"inspect", testDump},
		{"inspect", testDump, "--json"},
		{"verify", testDump},
		{"verify", testDump, "--json"},
		{"diff", testDump, "../../testdata/corpus/all.rdb"},
		{"diff", testDump, "../../testdata/corpus/all.rdb", "--json"},
		{"check", testDump, "--forbid", "*"},
		{"check", testDump, "--forbid", "*", "--json"},
		{"textconv", testDump},
		{"export", testDump},
		{"rewrite", testDump, "-o", "-"},
		{"prune", testDump, "-o", dir + "/p.rdb", "--match", "x", "--json"},
	} {
		r := runTo(t, closedPipe(t), nil, args...)
		if r.code != 128+int(syscall.SIGPIPE) {
			t.Errorf("rdbtool %s > closed pipe: exit %d (%v), want 141", strings.Join(args, " "), r.code, r.err)
		}
		if msg, _ := exitStatus(r.err); msg != "" || r.stderr != "" {
			t.Errorf("rdbtool %s > closed pipe: printed %q%q, want nothing", strings.Join(args, " "), msg, r.stderr)
		}
	}
}

// TestQAScriptBrokenPipeSpool: prune --keep-newest spools stdin to a file in
// $TMPDIR; when the reader of its -o - output goes away (| head -c 10), the
// copy is removed before the quiet exit 141. SIGPIPE used to end the
// process on the spot, leaving a copy of the whole dump in $TMPDIR for
// every such run.
func TestQAScriptBrokenPipeSpool(t *testing.T) {
	dump, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(binary(t), "prune", "-", "-o", "-", "--match", "nothing*", "--keep-newest", "1")
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1", "TMPDIR="+tmp)
	cmd.Stdin = strings.NewReader(string(dump))
	stderr, err := runIntoHead(t, cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 141 || stderr != "" {
		t.Errorf("prune - -o - --keep-newest 1 | head -c 10: %v, stderr %q; want exit 141 and nothing said", err, stderr)
	}
	assertOnly(t, tmp)
}
