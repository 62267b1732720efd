package main

import (
	"bytes"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAIngestOpIgnoredSIGINT: the monitor loop started by a script with
// & (SIGINT ignored, as a non-interactive shell does) or under nohup
// (SIGHUP ignored) keeps running when those arrive, as every program
// started that way does; SIGTERM still stops it. Before, its handler took
// SIGINT over, so Ctrl-C aimed at the script stopped the daemon too.
func TestQAIngestOpIgnoredSIGINT(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	cmd := exec.Command("sh", "-c", `trap '' HUP INT; exec "$0" "$@"`, binary(t),
		"ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes", "--every", "50ms", "--json")
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1", "RDBTOOL_TEST_KEEP_IGNORED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitForPass(t, db)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond) // several --every periods
	select {
	case err := <-done:
		t.Fatalf("the loop ended on an ignored SIGINT/SIGHUP: %v\n%s", err, stderr.String())
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("SIGTERM did not stop the loop\n%s", stderr.String())
	}
}
