package main

import (
	"context"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// The README says rdbtool's sessions set application_name=rdbtool unless
// the DSN (or PGAPPNAME) sets one, so a DBA can tell them apart in
// pg_stat_activity; the ingest's sessions had none.
func TestQADBAIngestApplicationName(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t)
	var db string
	if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dsn, want string }{
		{dsn, "rdbtool"},
		{dsn + "&application_name=mc-ingest", "mc-ingest"},
	} {
		app := newApp()
		var stdout, stderr liveBuffer
		app.Writer, app.ErrWriter = &stdout, &stderr
		done := make(chan error, 1)
		go func() {
			done <- app.Run([]string{"rdbtool", "ingest", "--rdb", siteDump, "--db", c.dsn, "--only", "nodes",
				"--every", "100ms", "--passes", "10", "--json"})
		}()
		// Watch the database's other sessions while the ingest runs (the
		// previous case's may still be closing: look for the name wanted).
		found, ended := false, false
		for !found && !ended {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("ingest: %v\n%s", err, stderr.String())
				}
				ended = true
			default:
				time.Sleep(10 * time.Millisecond)
			}
			pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = $2)`, db, c.want).Scan(&found)
		}
		if !ended {
			if err := <-done; err != nil {
				t.Fatalf("ingest: %v\n%s", err, stderr.String())
			}
		}
		if !found {
			t.Errorf("no session of the ingest showed application_name %q", c.want)
		}
	}
}
