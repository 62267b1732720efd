package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAbortOnSignalAfterBlocked: a before that never returns (a progress
// bar's erase waiting for a write to a terminal stopped by Ctrl-S) neither
// keeps the temp file nor keeps the program from ending on the signal.
func TestAbortOnSignalAfterBlocked(t *testing.T) {
	if p := os.Getenv("ATOMICFILE_BLOCKED_CHILD"); p != "" {
		AbortOnSignalAfter(func() { select {} }, syscall.SIGINT)
		f, err := Create(p)
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("partial")
		os.Stdout.WriteString("ready\n")
		time.Sleep(30 * time.Second)
		os.Exit(4)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "dump.rdb")
	os.WriteFile(p, []byte("old"), 0o644)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAbortOnSignalAfterBlocked$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_BLOCKED_CHILD="+p)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "ready") {
		t.Fatalf("child not ready: %q %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("child exit: %v, want 130", err)
		}
	case <-time.After(20 * time.Second): // the child sleeps 30 s: it ignored the signal
		cmd.Process.Kill()
		<-exited
		t.Errorf("the child did not end on SIGINT")
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("files left after the signal: %v", n)
	}
}

// TestDieOnSignalAfter: the program ends by the signal itself, as by its
// default action (a shell script stops on a Ctrl-C only so), once its
// temp file is removed and before has run; SIGQUIT exits with 131, not
// with the Go runtime's stack dump.
func TestDieOnSignalAfter(t *testing.T) {
	if p := os.Getenv("ATOMICFILE_DIE_CHILD"); p != "" {
		DieOnSignalAfter(func() { os.Stdout.WriteString("before\n") }, AbortSignals...)
		f, err := Create(p)
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("partial")
		os.Stdout.WriteString("ready\n")
		time.Sleep(30 * time.Second)
		os.Exit(4)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		dir := t.TempDir()
		p := filepath.Join(dir, "dump.rdb")
		cmd := exec.Command(os.Args[0], "-test.run=^TestDieOnSignalAfter$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_DIE_CHILD="+p)
		var out strings.Builder
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout = pw
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		buf := make([]byte, 6)
		if _, err := pr.Read(buf); err != nil || !strings.HasPrefix(string(buf), "ready") {
			cmd.Process.Kill()
			t.Fatalf("%v: child not ready: %q %v", sig, buf, err)
		}
		cmd.Process.Signal(sig)
		err = cmd.Wait()
		rest := make([]byte, 64)
		n, _ := pr.Read(rest)
		out.Write(rest[:n])
		pr.Close()
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%v: child exit: %v", sig, err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if sig == syscall.SIGQUIT {
			if ee.ExitCode() != 131 {
				t.Errorf("%v: exit %v, want status 131", sig, err)
			}
		} else if !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("%v: child %v, want killed by the signal", sig, err)
		}
		if !strings.Contains(out.String(), "before") {
			t.Errorf("%v: before not run", sig)
		}
		if n := entries(t, dir); len(n) != 0 {
			t.Errorf("%v: files left after the signal: %v", sig, n)
		}
	}
}
