package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// dbaRole creates a login role (cluster-wide, so uniquely named) that owns
// nothing, dropped after the test, and returns its name and dsn as that
// role (the fixture's server trusts local connections).
func dbaRole(t *testing.T, pool *pgxpool.Pool, dsn string) (string, string) {
	t.Helper()
	role := fmt.Sprintf("dba_%d", time.Now().UnixNano())
	if _, err := pool.Exec(context.Background(), "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Exec(context.Background(), "DROP OWNED BY "+role)
		pool.Exec(context.Background(), "DROP ROLE "+role)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return role, u.String()
}

func withOption(dsn, option string) string {
	return dsn + "&options=" + strings.ReplaceAll(url.QueryEscape(option), "+", "%20")
}

// A least-privilege ingest role. With SELECT and INSERT alone the pass
// used to start, then fail three groups every minute on "permission
// denied" (upserts need UPDATE; the autos' LOCK TABLE needs UPDATE; the
// stop_timeout clean-up needs DELETE). Now the command refuses at start,
// naming the GRANTs; with exactly those granted, every group is written.
func TestQADBAIngestLeastPrivilege(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t)
	role, roleDSN := dbaRole(t, pool, dsn)
	if _, err := pool.Exec(ctx, "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "+role); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN)
	msg, _ := exitStatus(r.err)
	out := r.stderr + msg
	expect(t, out, r.code, exitError, "GRANT UPDATE ON daemon_status, correlator_file_eod, hera_autos, hera_auto_spectrum TO",
		"GRANT DELETE ON correlator_component_event_time TO", "nothing was written")
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM node_sensor").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused ingest wrote %d node_sensor rows (%v)", n, err)
	}
	// --only nodes needs less: UPDATE on daemon_status only.
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN, "--only", "nodes")
	msg, _ = exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "GRANT UPDATE ON daemon_status TO")

	// Grants on the hera_mc tables alone, as a DBA writes them table by
	// table: the start-up schema check also reads goose_db_version (it
	// used to fail on "permission denied for table goose_db_version").
	if _, err := pool.Exec(ctx, "GRANT UPDATE ON daemon_status, correlator_file_eod, hera_autos, hera_auto_spectrum TO "+role+
		"; GRANT DELETE ON correlator_component_event_time TO "+role+"; REVOKE ALL ON goose_db_version FROM "+role); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN, "--only", "nodes")
	msg, _ = exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "GRANT SELECT ON goose_db_version TO")
	if _, err := pool.Exec(ctx, "GRANT SELECT ON goose_db_version TO "+role); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN)
	if r.code != 0 || strings.Contains(r.stderr, "errored") || strings.Contains(r.stderr, "permission denied") {
		t.Fatalf("ingest with the documented grants: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM hera_auto_spectrum").Scan(&n); err != nil || n == 0 {
		t.Fatalf("hera_auto_spectrum: %d rows (%v)", n, err)
	}
}

// A read-only session (default_transaction_read_only=on, as on a replica
// or for a reporting role): every group used to fail alike on "cannot
// execute INSERT in a read-only transaction", pass after pass. The ingest
// now refuses at start and says why.
func TestQADBAIngestReadOnly(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", withOption(dsn, "-c default_transaction_read_only=on"), "--only", "nodes")
	msg, _ := exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "read-only", "default_transaction_read_only", "nothing was written")
}

// The hera_mc tables in a schema of their own. migrate and ingest follow
// the search_path given in the DSN (goose_db_version lands beside the
// tables); an ingest whose search_path misses that schema is told where
// the tables are and how to reach them, not "run rdbtool migrate up"; a
// role without USAGE on the schema is told the GRANT.
func TestQADBASchemaNotPublic(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	if _, err := pool.Exec(ctx, "CREATE SCHEMA mc"); err != nil {
		t.Fatal(err)
	}
	mcDSN := withOption(dsn, "-csearch_path=mc")
	out, code := migrateCLI(t, "up", "--db", mcDSN)
	expect(t, out, code, 0, "at version")
	var where string
	if err := pool.QueryRow(ctx, `SELECT string_agg(DISTINCT table_schema, ',') FROM information_schema.tables
		WHERE table_name IN ('goose_db_version', 'daemon_status', 'hera_autos')`).Scan(&where); err != nil || where != "mc" {
		t.Fatalf("tables in schema(s) %q (%v), want mc", where, err)
	}
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", mcDSN, "--only", "nodes")
	if r.code != 0 {
		t.Fatalf("ingest with search_path=mc: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes")
	msg, _ := exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "schema mc", "search_path")
	if strings.Contains(msg, "migrate up") {
		t.Fatalf("tables that exist elsewhere: told to migrate: %s", msg)
	}
	_, roleDSN := dbaRole(t, pool, withOption(dsn, "-csearch_path=mc"))
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN, "--only", "nodes")
	msg, _ = exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, `GRANT USAGE ON SCHEMA mc TO`)
}

// migrate up as a role that may not create tables in the schema: the
// message says which privilege is missing and the GRANT, not only
// "permission denied for schema public".
func TestQADBAMigrateWithoutCreate(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	if _, err := pool.Exec(context.Background(), "REVOKE CREATE ON SCHEMA public FROM PUBLIC"); err != nil {
		t.Fatal(err)
	}
	role, roleDSN := dbaRole(t, pool, dsn)
	out, code := migrateCLI(t, "up", "--db", roleDSN)
	expect(t, out, code, exitError, "CREATE", `GRANT CREATE ON SCHEMA public TO `+role)
}

// A search_path naming a schema not created yet: migrate up (and ingest
// --migrate) said only "no schema has been selected to create in"; they
// now say to create the schema or name one that exists. ingest --migrate
// as a role without CREATE gets migrate's GRANT advice too.
func TestQADBAMigrateSchemaMissing(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	nowhere := withOption(dsn, "-csearch_path=mc_not_yet")
	out, code := migrateCLI(t, "up", "--db", nowhere)
	expect(t, out, code, exitError, "no schema has been selected", "CREATE SCHEMA", "search_path")
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", nowhere, "--migrate", "--only", "nodes")
	msg, _ := exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "CREATE SCHEMA", "search_path")

	if _, err := pool.Exec(context.Background(), "REVOKE CREATE ON SCHEMA public FROM PUBLIC"); err != nil {
		t.Fatal(err)
	}
	role, roleDSN := dbaRole(t, pool, dsn)
	r = run(t, nil, "ingest", "--rdb", siteDump, "--db", roleDSN, "--migrate", "--only", "nodes")
	msg, _ = exitStatus(r.err)
	expect(t, r.stderr+msg, r.code, exitError, "GRANT CREATE ON SCHEMA public TO "+role)
}
