package main

import (
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
	c := startShChild(t, `trap '' HUP INT`, "load", "../../testdata/dump.rdb", "--to", "redis://"+addr)
	waitFor(t, "load never connected", func() bool { return accepted.Load() > 0 })
	c.cmd.Process.Signal(syscall.SIGHUP)
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-c.done:
		t.Fatalf("load ended on an ignored SIGHUP/SIGINT: %v\n%s", err, c.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("SIGTERM did not stop load\n%s", c.stderr.String())
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d after SIGTERM, want %d\n%s", code, 128+int(syscall.SIGTERM), c.stderr.String())
	}
}
