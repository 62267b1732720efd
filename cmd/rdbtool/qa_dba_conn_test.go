package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// libpqVars are the variables the tests below set or clear.
var libpqVars = []string{"DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE",
	"PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGAPPNAME", "PGCONNECT_TIMEOUT", "PGPASSFILE"}

// The package's tests run migrate and ingest without --db to test the
// refusal and the throwaway PostgreSQL; since those follow libpq's
// environment, a developer's shell that sets PGHOST or PGDATABASE for
// psql would have them migrate that database. Unless DATABASE_URL names
// the server the tests are to use (which may rely on PG* for what it
// leaves out), the tests start without the variables that choose a
// server; the tests above set their own.
func init() {
	if os.Getenv("DATABASE_URL") != "" || os.Getenv("RDBTOOL_TEST_MAIN") != "" {
		return
	}
	for _, v := range []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"} {
		os.Unsetenv(v)
	}
}

// clearLibpqEnv empties every libpq variable (and DATABASE_URL) for the test.
func clearLibpqEnv(t *testing.T) {
	t.Helper()
	for _, v := range libpqVars {
		t.Setenv(v, "")
		os.Unsetenv(v) // t.Setenv restores it afterwards
	}
}

// libpqEnvFor sets, alone, the libpq variables a DBA's shell would set to
// reach cfg's database at host and port.
func libpqEnvFor(t *testing.T, host, port string, cfg *pgconn.Config) {
	t.Helper()
	clearLibpqEnv(t)
	t.Setenv("PGHOST", host)
	t.Setenv("PGPORT", port)
	t.Setenv("PGUSER", cfg.User)
	t.Setenv("PGDATABASE", cfg.Database)
	t.Setenv("PGSSLMODE", "disable")
}

// A DBA whose shell (or service unit) sets PGHOST, PGPORT, PGUSER and
// PGDATABASE, as psql reads them, runs rdbtool migrate without --db or
// DATABASE_URL: it connects there, as psql does, instead of refusing
// with "no database".
func TestQADBAMigrateLibpqEnvironment(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	libpqEnvFor(t, cfg.Host, fmt.Sprint(cfg.Port), cfg)
	out, code := migrateCLI(t, "version")
	expect(t, out, code, 0, fmt.Sprint(latestVersion(t)))

	// The same through a service file (PGSERVICEFILE, PGSERVICE), with
	// the service named in --db as a key=value DSN too.
	clearLibpqEnv(t)
	svc := filepath.Join(t.TempDir(), "pg_service.conf")
	conf := fmt.Sprintf("[hera]\nhost=%s\nport=%d\nuser=%s\ndbname=%s\nsslmode=disable\n", cfg.Host, cfg.Port, cfg.User, cfg.Database)
	if err := os.WriteFile(svc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGSERVICEFILE", svc)
	out, code = migrateCLI(t, "status", "--db", "service=hera", "--json")
	expect(t, out, code, 0, `"database": "database \"`+cfg.Database+`\"`)
	t.Setenv("PGSERVICE", "hera")
	out, code = migrateCLI(t, "version", "--json")
	expect(t, out, code, 0, `"database \"`+cfg.Database+`\"`)

	// Nothing at all still says what to give.
	clearLibpqEnv(t)
	out, code = migrateCLI(t, "version")
	expect(t, out, code, exitError, "no database", "--db", "DATABASE_URL", "PGHOST")
}

// The ingest reads the same environment: with PGHOST and friends set and
// no --db or DATABASE_URL it writes where migrate migrated, not into a
// throwaway PostgreSQL that vanishes on exit (a loop run by a service
// whose unit sets PG* would lose every row). One pass of --rdb asks for
// it with an empty --db.
func TestQADBAIngestLibpqEnvironment(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	libpqEnvFor(t, cfg.Host, fmt.Sprint(cfg.Port), cfg)
	count := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM correlator_software_versions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// One pass replaying a dump (make run) is a developer trying the
	// ingest: a shell's PGHOST, set for psql, must not get the test site's
	// rows; it says how to ask for the environment.
	r := run(t, nil, "ingest", "--rdb", siteDump, "--only", "versions")
	if r.code != 0 || !strings.Contains(r.stderr, "throwaway") || !strings.Contains(r.stderr, "PGHOST") ||
		!strings.Contains(r.stderr, "--db ''") {
		t.Fatalf("ingest --rdb with PGHOST set: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if n := count(); n != 0 {
		t.Fatalf("a one-pass replay wrote %d rows into the database PGHOST names", n)
	}
	r = run(t, nil, "ingest", "--rdb", siteDump, "--only", "versions", "--db", "")
	if r.code != 0 {
		t.Fatalf("ingest: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if strings.Contains(r.stderr, "throwaway") {
		t.Fatalf("ingest used a throwaway PostgreSQL although PGHOST/PGDATABASE name one:\n%s", r.stderr)
	}
	if count() == 0 {
		t.Fatalf("no rows in the database PGHOST/PGDATABASE name:\n%s", r.stderr)
	}
}

// The --yes rule for rollbacks on another machine holds when PGHOST, not
// --db, names that machine.
func TestQADBAMigrateRemoteFromEnvironmentNeedsYes(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ip := nonLoopbackIP(t)
	host, port, err := net.SplitHostPort(proxyToSocket(t, ip, dsn))
	if err != nil {
		t.Fatal(err)
	}
	libpqEnvFor(t, host, port, cfg)
	before := cliVersion(t, "")
	out, code := migrateCLI(t, "down")
	expect(t, out, code, exitError, "host "+ip, "not this machine", "--yes", "nothing was changed")
	if v := cliVersion(t, ""); v != before {
		t.Fatalf("a refused rollback changed the version %s -> %s", before, v)
	}
}
