package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// Two processes migrating one database: the one that waited for the lock
// reports, with --json, the version it found once it had the lock, not
// the one it read before waiting ("from 0, to 6, applied []" says the run
// changed a version and applied nothing).
func TestQAMigrateJSONFromUnderLock(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	conn, _ := holdMigrationLock(t, pool)
	done := make(chan runResult)
	go func() { done <- run(t, nil, "migrate", "up", "--db", dsn, "--json") }()
	waitForLockWaiter(t, conn, "migrate up")
	// Meanwhile another process brings the database to the latest version
	// (here: records it, as stamp would).
	latest := latestVersion(t)
	if _, err := conn.Exec(ctx, `CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,
		is_applied boolean NOT NULL, tstamp timestamp DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied)
		SELECT v, true FROM generate_series(0, $1::bigint) v`, latest); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrations.LockID); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 {
		t.Fatalf("migrate up --json: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	var got jsonMove
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v in %s", err, r.stdout)
	}
	if got.From == nil || got.To == nil || got.Applied == nil {
		t.Fatalf("report lacks fields: %+v", got)
	}
	if *got.From != latest || *got.To != latest || len(*got.Applied) != 0 {
		t.Fatalf("report: from %d to %d, applied %v; want from %d to %d, nothing applied", *got.From, *got.To, *got.Applied, latest, latest)
	}
}

// A database whose tables were made by hera_mc's alembic (or by hand) has
// no goose_db_version: `migrate up` fails on the first CREATE TABLE. The
// one-line message points at stamp, which adopts such a database.
func TestQAMigrateUpOnAlembicDatabaseSuggestsStamp(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	if _, err := pool.Exec(ctx, "CREATE TABLE array_signal_source (time bigint PRIMARY KEY, source varchar(64) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	out, code := migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, exitError, "already exists", "rdbtool migrate stamp")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("not one line:\n%s", out)
	}
	// Once a migration is applied, by this run or an earlier one, a table
	// in the way is not a matter of adoption.
	if _, err := pool.Exec(ctx, "DROP TABLE array_signal_source; CREATE TABLE snap_status (x int)"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, code = migrateCLI(t, "up", "--db", dsn)
		expect(t, out, code, exitError, "00002_snap.sql failed", "already exists")
		if strings.Contains(out, "stamp") {
			t.Fatalf("stamp suggested where it does not apply: %s", out)
		}
	}
}

// A role that may not change the schema (a read-only account, say) gets
// PostgreSQL's "permission denied for table goose_db_version", which names
// neither the user nor what to do; the message says both.
func TestQAMigratePermissionDenied(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t)
	role, roleDSN := dbaRole(t, pool, dsn) // owns nothing
	out, code := migrateCLI(t, "down", "--db", roleDSN)
	expect(t, out, code, exitError, "permission denied", `user "`+role+`"`, "owns")
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("not one line:\n%s", out)
	}
}

// SIGINT while a migration runs (here: 00006 waits for a lock on the table
// its foreign key references) rolls that one back, keeps those applied
// before it (listed), and exits 130, as the README says.
func TestQAMigrateInterrupted(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	m, err := migrations.NewFromPool(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.To(ctx, 4); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE correlator_config_file IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	ch := startChild(t, "migrate", "up", "--db", dsn)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE NOT l.granted AND c.relname = 'correlator_config_file'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("migrate up is not waiting for the lock; stdout %q stderr %q", ch.stdout.String(), ch.stderr.String())
		}
	}
	ch.cmd.Process.Signal(syscall.SIGINT)
	var code int
	select {
	case err := <-ch.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	case <-time.After(20 * time.Second):
		t.Fatal("migrate up still running 20 s after SIGINT")
	}
	tx.Rollback(ctx)
	out, msg := ch.stdout.String(), ch.stderr.String()
	if code != 130 || !strings.Contains(out, "up   00005_daemon.sql") || strings.Contains(out, "00006") ||
		!strings.Contains(msg, "interrupted (SIGINT)") || !strings.Contains(msg, "rolled back") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, msg)
	}
	if v, err := m.Version(ctx); err != nil || v != 5 {
		t.Fatalf("version after the interrupt: %d %v, want 5", v, err)
	}
	if tables, err := migrations.Tables(ctx, pool); err != nil || slices.Contains(tables, "correlator_config_yaml") {
		t.Fatalf("00006's table after the interrupt: %v %v", tables, err)
	}
}

// A DSN naming a database that does not exist: exit 2, one line naming it.
func TestQAMigrateMissingDatabase(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_db_here"
	for _, sub := range []string{"status", "up"} {
		out, code := migrateCLI(t, sub, "--db", u.String())
		expect(t, out, code, exitError, `database "no_such_db_here"`, "does not exist")
		if strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Fatalf("migrate %s: not one line:\n%s", sub, out)
		}
	}
}

// A migrate that has to wait for another one (or any session holding the
// migration lock) says so at once, naming the session, instead of hanging
// silently.
func TestQAMigrateSaysItWaitsForTheLock(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	conn, holder := holdMigrationLock(t, pool)
	done := make(chan runResult)
	go func() { done <- run(t, nil, "migrate", "up", "--db", dsn) }()
	waitForLockWaiter(t, conn, "migrate up")
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrations.LockID); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "waiting for the migration lock") ||
		!strings.Contains(r.stderr, fmt.Sprintf("pid %d", holder)) || !strings.Contains(r.stdout, "at version") {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.code, r.err, r.stdout, r.stderr)
	}
}

// The --yes rules hold for the version found under the migration lock, not
// only for the one read before waiting for it: `down --steps 2` checked at
// version 6 must not roll back to 0 because another process brought the
// database down to 2 meanwhile.
func TestQAMigrateYesRuleUnderLock(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	m, err := migrations.NewFromPool(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	conn, _ := holdMigrationLock(t, pool)
	done := make(chan runResult)
	go func() { done <- run(t, nil, "migrate", "down", "--steps", "2", "--db", dsn) }()
	waitForLockWaiter(t, conn, "migrate down")
	// Another process rolls back to 2 meanwhile (the down sections of 6 to 3).
	if _, err := conn.Exec(ctx, `DROP TABLE correlator_config_yaml, subsystem_error, daemon_status, hera_auto_spectrum,
		hera_autos, node_white_rabbit_status, node_power_command, node_power_status, node_sensor`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "DELETE FROM goose_db_version WHERE version_id > 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrations.LockID); err != nil {
		t.Fatal(err)
	}
	r := <-done
	msg, _ := exitStatus(r.err)
	if r.code != exitError || !strings.Contains(msg, "version 0") || !strings.Contains(msg, "--yes") {
		t.Fatalf("exit %d: %s\nstdout:\n%s", r.code, msg, r.stdout)
	}
	if v, err := m.Version(ctx); err != nil || v != 2 {
		t.Fatalf("version %d (%v) after the refused rollback, want 2", v, err)
	}
}

// holdMigrationLock takes the migration lock on a session of pool's, held
// until the test ends or the caller unlocks it, and returns that session
// and its backend pid.
func holdMigrationLock(t *testing.T, pool *pgxpool.Pool) (*pgxpool.Conn, int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock($1)) l", migrations.LockID).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return conn, pid
}

// waitForLockWaiter waits until one session (what) is queued on the
// migration lock of conn's database, which conn holds.
func waitForLockWaiter(t *testing.T, conn *pgxpool.Conn, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not waiting for the migration lock", what)
		}
	}
}
