package main

import (
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
	c := startShChild(t, `trap '' HUP INT`,
		"ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes", "--every", "50ms", "--json")
	waitForPass(t, db)
	c.cmd.Process.Signal(syscall.SIGINT)
	c.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-c.done:
		t.Fatalf("the loop ended on an ignored SIGINT/SIGHUP: %v\n%s", err, c.stderr.String())
	case <-time.After(300 * time.Millisecond): // several --every periods
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("SIGTERM: %v\n%s", err, c.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("SIGTERM did not stop the loop\n%s", c.stderr.String())
	}
}
