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
				"--every", "200ms", "--passes", "4", "--json"})
		}()
		seen := ""
		for deadline := time.Now().Add(20 * time.Second); seen == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			pool.QueryRow(context.Background(), `SELECT application_name FROM pg_stat_activity
				WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> '' LIMIT 1`, db).Scan(&seen)
		}
		if err := <-done; err != nil {
			t.Fatalf("ingest: %v\n%s", err, stderr.String())
		}
		if seen != c.want {
			t.Errorf("ingest's sessions show application_name %q, want %q", seen, c.want)
		}
	}
}
