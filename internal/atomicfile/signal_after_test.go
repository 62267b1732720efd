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
