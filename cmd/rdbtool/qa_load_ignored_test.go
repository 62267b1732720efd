package main

import (
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/nettest"
)

// TestQALoadIgnoredSignals: `nohup rdbtool load ... &` must outlive the
// terminal, and a load a script starts with & must outlive Ctrl-C aimed at
// the script: a signal ignored at start stays ignored (the README's
// convention for every command). load's handler took SIGHUP and SIGINT
// over, so a hangup stopped it. SIGTERM still stops it (exit 143), at
// once even while the server does not answer (it waited for the read
// timeout: go-redis does not give up a read when its context ends).
func TestQALoadIgnoredSignals(t *testing.T) {
	addr, accepted := nettest.Silent(t) // a server that never answers: load waits
	cmd := exec.Command("sh", "-c", `trap '' HUP INT; exec "$0" "$@"`, binary(t),
		"load", "../../testdata/dump.rdb", "--to", "redis://"+addr)
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1", "RDBTOOL_TEST_KEEP_IGNORED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for accepted.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("load never connected\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
		t.Fatalf("load ended on an ignored SIGHUP/SIGINT: %v\n%s", cmd.ProcessState, stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("SIGTERM did not stop load\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d after SIGTERM, want %d\n%s", code, 128+int(syscall.SIGTERM), stderr.String())
	}
}
