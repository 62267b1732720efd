package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAIngestOpRepeatedSkipsOnce: the monitor loop run as a daemon meets
// the same bad records every minute. Its text report lists a skipped
// record the first time, then only counts it while it stays the same; a
// record that is new (or whose reason changed) is listed again. Before,
// every pass repeated the whole list (16 lines a minute on the site dump,
// some 23,000 a day in the journal).
func TestQAIngestOpRepeatedSkipsOnce(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	r := mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "correlator", "--every", "10ms", "--passes", "3")
	const line = "status:snap:heraNode6Snap3" // a snap_status and an antenna_status skip
	if n := strings.Count(r.stderr, line); n != 2 {
		t.Errorf("%q listed %d times in 3 passes, want 2 (its two skips, once)\n%s", line, n, r.stderr)
	}
	if n := strings.Count(r.stderr, "pass at "); n != 3 {
		t.Errorf("%d reports, want 3\n%s", n, r.stderr)
	}
	if n := strings.Count(r.stderr, "as in the previous pass"); n != 2 {
		t.Errorf("%d passes say their skips were as before, want 2\n%s", n, r.stderr)
	}

	// --json stays whole: every pass's document lists every skip.
	r = mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "correlator", "--every", "10ms", "--passes", "2", "--json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2", len(lines))
	}
	for i, l := range lines {
		if n := strings.Count(l, line); n != 2 {
			t.Errorf("JSON pass %d lists %q %d times, want 2", i+1, line, n)
		}
	}
}

// TestQAIngestOpJSONArrays: every --json document has "tables", "skipped"
// and "groups" as arrays, also when nothing was skipped: a consumer's
// `jq '.skipped[]'` failed with "Cannot iterate over null" on a clean
// pass.
func TestQAIngestOpJSONArrays(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	r := mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "daemons", "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for _, k := range []string{"tables", "skipped", "groups"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%q is %#v, want an array\n%s", k, doc[k], r.stdout)
		}
	}
}

// TestQAIngestOpLoopStopLine: SIGTERM to the text-mode monitor loop (a
// service manager stopping it) ends it with status 0 and a last line
// saying it stopped on that signal, so the journal shows why the passes
// ended. (The --json loop keeps stderr empty: TestQAIngestLoopQuietStop.)
func TestQAIngestOpLoopStopLine(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	code, stderr := ingestProcess(t, func(p *os.Process) {
		waitForPass(t, db)
		p.Signal(syscall.SIGTERM)
	}, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes", "--every", "50ms")
	last := lastLine(stderr)
	if code != 0 || !strings.Contains(last, "SIGTERM") || !strings.Contains(last, "stopped") {
		t.Errorf("exit %d, last line %q\n%s", code, last, stderr)
	}
}

// TestQAIngestOpStuckPassOnSIGTERM: a pass stuck in PostgreSQL (a table
// locked by another session) when SIGTERM comes is given --stop-grace to
// finish, then cut short: its running group's transaction is rolled back
// (nothing of it is written), the command ends with a last line saying so,
// exit 128+15 for a single pass and 0 for the monitor loop. Before, the
// first signal waited for the pass for ever (a single pass has no
// timeout; the loop's is 10 × --every), so a service manager's SIGKILL
// ended it with no word.
func TestQAIngestOpStuckPassOnSIGTERM(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 128 + int(syscall.SIGTERM)},
		{[]string{"--every", "1h"}, 0},
	} {
		lock, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lock.Exec(ctx, `LOCK TABLE node_sensor IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		var sent time.Time
		args := append([]string{"ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes", "--stop-grace", "300ms"}, tc.args...)
		code, stderr := ingestProcess(t, func(p *os.Process) {
			waitFor(t, "the pass did not reach the locked table", func() bool {
				var n int
				db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%node_sensor%'`).Scan(&n)
				return n > 0
			})
			sent = time.Now()
			p.Signal(syscall.SIGTERM)
		}, args...)
		took := time.Since(sent)
		lock.Rollback(ctx)
		last := lastLine(stderr)
		if code != tc.code || took > 10*time.Second || !strings.Contains(last, "cut short") || !strings.Contains(last, "rolled back") {
			t.Errorf("%v: exit %d after %v, want %d; last line %q\n%s", tc.args, code, took, tc.code, last, stderr)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM node_sensor`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%v: node_sensor has %d rows (%v): the cut group was committed", tc.args, n, err)
		}
	}
}
