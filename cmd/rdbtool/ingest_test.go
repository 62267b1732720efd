package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/ingest"
)

const siteDump = "../../testdata/dump.rdb"

// TestIngestRDB: rdbtool ingest --rdb against a harness database writes
// what its JSON report says, table by table.
func TestIngestRDB(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	r := mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--json", "--hostname", "cli-test")
	var rep ingest.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, r.stdout)
	}
	if len(rep.Tables) < 20 || rep.Total() < 500 {
		t.Errorf("report: %d tables, %d rows", len(rep.Tables), rep.Total())
	}
	for _, tc := range rep.Tables {
		var n int64
		if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{tc.Table}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != tc.Rows {
			t.Errorf("%s: report %d rows, table %d", tc.Table, tc.Rows, n)
		}
	}
	if len(rep.Skipped) == 0 {
		t.Error("the dump's bad records were not reported")
	}
	var host string
	if err := db.QueryRow(context.Background(), `SELECT hostname FROM daemon_status WHERE name = 'mc_monitor_correlator'`).Scan(&host); err != nil || host != "cli-test" {
		t.Errorf("daemon_status host %q, %v", host, err)
	}

	// The text report goes to stderr; a second pass adds nothing but the
	// rows stamped with the current time.
	r = mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "correlator")
	if r.stdout != "" || !strings.Contains(r.stderr, "snap_status") || !strings.Contains(r.stderr, "skipped") {
		t.Errorf("text report: stdout %q\nstderr %s", r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "hera_autos") {
		t.Error("--only correlator ran the autos")
	}

	// The loop: two passes, one JSON line each.
	r = mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "autos", "--every", "10ms", "--passes", "2", "--json", "--listen-log")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Errorf("%d JSON lines for 2 passes:\n%s", len(lines), r.stdout)
	}
}

func TestIngestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"ingest"},
		{"ingest", "--rdb", siteDump, "--redis", "redis://localhost:1"},
		{"ingest", "--rdb", siteDump, "--only", "bogus"},
		{"ingest", "--rdb", siteDump, "--listen-log"},
		{"ingest", "--rdb", siteDump, "--every", "-1s"},
		{"ingest", "--rdb", "no-such-file.rdb", "--db", "postgres://localhost:1/x"},
	} {
		r := run(t, nil, args...)
		if r.code != exitError {
			t.Errorf("rdbtool %s: exit %d, want %d (%v)", strings.Join(args, " "), r.code, exitError, r.err)
		}
	}
	// A database without the schema is refused before anything is read.
	_, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", dsn)
	if r.code != exitError || !strings.Contains(r.err.Error(), "migrate") {
		t.Errorf("no schema: exit %d, %v", r.code, r.err)
	}
	// ... unless --migrate.
	mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--migrate", "--only", "nodes")
}

// TestIngestThrowaway: without --db and $DATABASE_URL the command starts
// its own PostgreSQL (what `make run` does on a fresh machine).
func TestIngestThrowaway(t *testing.T) {
	pgfixture.NeedServer(t)
	t.Setenv("DATABASE_URL", "")
	r := mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--json")
	var rep ingest.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Rows("snap_status") == 0 {
		t.Errorf("report %v: %s", err, r.stdout)
	}
	if !strings.Contains(r.stderr, "throwaway") {
		t.Errorf("stderr: %s", r.stderr)
	}
}
