package main

import (
	"context"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// The site's database as hera_mc's alembic left it: the 25 hera_mc tables
// (here: migrations 1-5, which are exactly those), an alembic_version
// table, no goose_db_version. `migrate up` used to fail inside 00001 on
// "relation already exists", after creating goose_db_version at version 0
// (from then on the ingest said "schema at version 0: run migrate up",
// which failed again). Now up refuses before changing anything, names a
// table in the way and the alembic revision, and gives the version to
// stamp; status says the same; a stamp of a version whose tables are not
// all there is refused; stamp then up adopts the database.
func TestQADBAMigrateUpOnAlembicDatabase(t *testing.T) {
	ctx := context.Background()
	hera := fstest.MapFS{}
	for _, n := range []string{"00001_correlator.sql", "00002_snap.sql", "00003_node.sql", "00004_autos.sql", "00005_daemon.sql"} {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		hera[n] = &fstest.MapFile{Data: b}
	}
	pool, dsn := pgfixture.DBWithDSN(t, hera)
	if _, err := pool.Exec(ctx, `DROP TABLE goose_db_version;
		CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
		INSERT INTO alembic_version VALUES ('a1b2c3d4e5f6')`); err != nil {
		t.Fatal(err)
	}
	versionTable := func() bool {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass('goose_db_version') IS NOT NULL").Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	out, code := migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, exitError, "array_signal_source already exists", "a1b2c3d4e5f6", "nothing was changed",
		"rdbtool migrate stamp 5")
	if strings.Contains(out, "SQLSTATE") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("want one line of rdbtool's, not PostgreSQL's error:\n%s", out)
	}
	if versionTable() {
		t.Fatal("a refused up created goose_db_version")
	}
	out, code = migrateCLI(t, "status", "--db", dsn)
	expect(t, out, code, 0, "current version 0", "rdbtool migrate stamp 5")

	// Stamping a version whose tables are not all there (hera_mc has no
	// correlator_config_yaml, rdbtool's own table of 00006) used to be
	// recorded: the ingest then failed on the missing table and told to
	// run migrate up, which had nothing to do. It is refused.
	out, code = migrateCLI(t, "stamp", "6", "--db", dsn)
	expect(t, out, code, exitError, "cannot stamp version 6", "correlator_config_yaml", "stamp 5", "nothing was changed")
	if versionTable() {
		t.Fatal("a refused stamp created goose_db_version")
	}
	out, code = migrateCLI(t, "stamp", "5", "--db", dsn)
	expect(t, out, code, 0, "version 5")
	out, code = migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, 0, "up   00006_correlator_config_yaml.sql")
	out, code = migrateCLI(t, "status", "--db", dsn)
	expect(t, out, code, 0, "current version 6")
	if strings.Contains(out, "stamp") {
		t.Fatalf("status of a versioned database still suggests stamp:\n%s", out)
	}
}

// Old hera_mc tables in public, rdbtool's schema to be built in mc with
// search_path mc, public: up creates mc's tables (CREATE TABLE uses the
// first schema) and is not refused for the tables public holds.
func TestQADBAMigrateUpBesideOldTables(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t)
	if _, err := pool.Exec(context.Background(), "DROP TABLE goose_db_version; CREATE SCHEMA mc"); err != nil {
		t.Fatal(err)
	}
	out, code := migrateCLI(t, "up", "--db", dsn+"&options="+url.QueryEscape("-csearch_path=mc,public"))
	expect(t, out, code, 0, "up   00001_correlator.sql", "at version")
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'mc'").Scan(&n); err != nil || n < 27 {
		t.Fatalf("%d tables in mc (%v)", n, err)
	}
}
