package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/migrations"
)

func TestMain(m *testing.M) { pgfixture.Main(m) }

// emptyDB is a database with nothing in it, and a Migrator on it.
func emptyDB(t *testing.T) (*pgxpool.Pool, *migrations.Migrator) {
	t.Helper()
	pool := pgfixture.DB(t, fstest.MapFS{})
	m, err := migrations.NewFromPool(pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return pool, m
}

func snapshot(t *testing.T, pool *pgxpool.Pool) migrations.Catalog {
	t.Helper()
	c, err := migrations.Snapshot(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func version(t *testing.T, m *migrations.Migrator) int64 {
	t.Helper()
	v, err := m.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEmptyToLatestToZeroAndBack(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDB(t)
	empty := snapshot(t, pool)
	if len(empty) != 0 {
		t.Fatalf("empty database has objects: %v", empty)
	}
	res, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(m.Sources()) || version(t, m) != m.Latest() {
		t.Fatalf("up applied %d of %d, version %d, want %d", len(res), len(m.Sources()), version(t, m), m.Latest())
	}
	tables, err := migrations.Tables(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 26 {
		t.Fatalf("latest has %d tables, want 25 hera_mc tables + correlator_config_yaml: %v", len(tables), tables)
	}
	latest := snapshot(t, pool)
	if res, err := m.Up(ctx); err != nil || len(res) != 0 {
		t.Fatalf("second up: %v, %v; want nothing to do", res, err)
	}

	res, err = m.To(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(m.Sources()) || res[0].Direction != "down" || res[0].Version != m.Latest() {
		t.Fatalf("to 0: %v", res)
	}
	if d := empty.Diff(snapshot(t, pool)); len(d) != 0 || version(t, m) != 0 {
		t.Fatalf("to 0 left version %d and objects:\n%s", version(t, m), strings.Join(d, "\n"))
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if d := latest.Diff(snapshot(t, pool)); len(d) != 0 {
		t.Fatalf("up again differs from the first up:\n%s", strings.Join(d, "\n"))
	}
}

func TestEachDownUndoesItsUp(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDB(t)
	for _, s := range m.Sources() {
		before := snapshot(t, pool)
		if _, err := m.To(ctx, s.Version); err != nil {
			t.Fatalf("up %s: %v", s.Name, err)
		}
		after := snapshot(t, pool)
		if len(before.Diff(after)) == 0 {
			t.Fatalf("up %s changed nothing in the catalog", s.Name)
		}
		res, err := m.DownBy(ctx, 1)
		if err != nil {
			t.Fatalf("down %s: %v", s.Name, err)
		}
		if len(res) != 1 || res[0].Version != s.Version {
			t.Fatalf("down by 1 after %s rolled back %v", s.Name, res)
		}
		if d := before.Diff(snapshot(t, pool)); len(d) != 0 {
			t.Fatalf("down of %s does not restore the catalog:\n%s", s.Name, strings.Join(d, "\n"))
		}
		if _, err := m.To(ctx, s.Version); err != nil {
			t.Fatalf("up %s again: %v", s.Name, err)
		}
		if d := after.Diff(snapshot(t, pool)); len(d) != 0 {
			t.Fatalf("second up of %s differs from the first:\n%s", s.Name, strings.Join(d, "\n"))
		}
	}
}

func TestDownByAndTo(t *testing.T) {
	ctx := context.Background()
	_, m := emptyDB(t)
	if _, err := m.To(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if v := version(t, m); v != 3 {
		t.Fatalf("to 3: version %d", v)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := m.DownBy(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || version(t, m) != m.Latest()-2 {
		t.Fatalf("down 2: %v, version %d", res, version(t, m))
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if want := s.Version <= m.Latest()-2; s.Applied != want {
			t.Errorf("status of %s: applied %v, want %v", s.Name, s.Applied, want)
		}
		if s.Applied && s.AppliedAt.IsZero() {
			t.Errorf("status of %s: no time", s.Name)
		}
	}
	if res, err := m.DownBy(ctx, 100); err != nil || version(t, m) != 0 || len(res) != int(m.Latest()-2) {
		t.Fatalf("down 100: %v %v, version %d", res, err, version(t, m))
	}
	if _, err := m.To(ctx, 999); err == nil {
		t.Fatal("to an unknown version succeeded")
	}
	if _, err := m.DownBy(ctx, -1); err == nil {
		t.Fatal("down by -1 succeeded")
	}
}

func TestNewerDatabaseIsRefusedUnchanged(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDB(t)
	if _, err := m.To(ctx, 2); err != nil {
		t.Fatal(err)
	}
	// Another, newer rdbtool applied versions 3 and 999.
	if _, err := pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, true), (999, true)`); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, pool)
	ops := map[string]func() error{
		"up":      func() error { _, err := m.Up(ctx); return err },
		"down":    func() error { _, err := m.DownBy(ctx, 1); return err },
		"to 0":    func() error { _, err := m.To(ctx, 0); return err },
		"stamp 2": func() error { return m.Stamp(ctx, 2) },
	}
	for name, op := range ops {
		err := op()
		var ne *migrations.NewerError
		if !errors.Is(err, migrations.ErrDatabaseNewer) || !errors.As(err, &ne) || ne.Database != 999 || ne.Known != m.Latest() {
			t.Errorf("%s on a newer database: %v, want a NewerError 999 > %d", name, err, m.Latest())
		} else if !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%s: unclear message %q", name, err)
		}
	}
	if d := before.Diff(snapshot(t, pool)); len(d) != 0 || version(t, m) != 999 {
		t.Fatalf("refused operations changed the database (version %d):\n%s", version(t, m), strings.Join(d, "\n"))
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := st[len(st)-1]; last.Version != 999 || !last.Unknown || !last.Applied {
		t.Fatalf("status does not show the unknown version: %+v", last)
	}
}

func TestConcurrentUpsTakeTurns(t *testing.T) {
	ctx := context.Background()
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	// Hold the migration lock ourselves: an Up must wait for it.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrations.LockID); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res []migrations.Result
		err error
	}
	out := make([]outcome, 2)
	var wg sync.WaitGroup
	for i := range out {
		p, err := migrations.Connect(ctx, dsn) // each its own pool, like two processes
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		m, err := migrations.NewFromPool(p)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		wg.Add(1)
		go func() { defer wg.Done(); out[i].res, out[i].err = m.Up(ctx) }()
	}
	// Wait until both sessions are queued on the lock, then check nothing ran.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
			AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 Up calls are waiting on the migration lock", waiting)
		}
		time.Sleep(5 * time.Millisecond)
	}
	tables, err := migrations.Tables(ctx, pool)
	if err != nil || len(tables) != 0 {
		t.Fatalf("tables created while the lock was held: %v %v", tables, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrations.LockID); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	wg.Wait()
	n := len(mustMigrator(t).Sources())
	a, b := len(out[0].res), len(out[1].res)
	if out[0].err != nil || out[1].err != nil || !(a == n && b == 0 || a == 0 && b == n) {
		t.Fatalf("concurrent ups: (%d, %v) and (%d, %v); want one to apply all %d, the other nothing",
			a, out[0].err, b, out[1].err, n)
	}
}

func TestStampAdoptsHandBuiltDatabase(t *testing.T) {
	ctx := context.Background()
	pool, m := emptyDB(t)
	// Build versions 1..3 by hand, as a site that ran the DDL itself would.
	for _, s := range m.Sources()[:3] {
		if _, err := pool.Exec(ctx, upSection(t, s.Name)); err != nil {
			t.Fatalf("hand-run %s: %v", s.Name, err)
		}
	}
	if err := m.Stamp(ctx, 999); err == nil {
		t.Fatal("stamp of an unknown version succeeded")
	}
	v3 := m.Sources()[2].Version
	if err := m.Stamp(ctx, v3); err != nil {
		t.Fatal(err)
	}
	if v := version(t, m); v != v3 {
		t.Fatalf("after stamp %d the version is %d", v3, v)
	}
	res, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("up after stamp (would fail re-creating stamped tables): %v", err)
	}
	if len(res) != len(m.Sources())-3 || res[0].Version != m.Sources()[3].Version {
		t.Fatalf("up after stamp applied %v", res)
	}
	ref := pgfixture.DB(t) // migrated the ordinary way
	if d := snapshot(t, ref).Diff(snapshot(t, pool)); len(d) != 0 {
		t.Fatalf("stamped database differs from a migrated one:\n%s", strings.Join(d, "\n"))
	}
	if err := m.Stamp(ctx, 0); err != nil || version(t, m) != 0 {
		t.Fatalf("stamp 0: %v, version %d", err, version(t, m))
	}
}

// upSection returns the up statements of an embedded migration.
func upSection(t *testing.T, name string) string {
	t.Helper()
	b, err := fsRead(name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	up, down := strings.Index(s, "-- +goose Up"), strings.Index(s, "-- +goose Down")
	if up < 0 || down < up {
		t.Fatalf("%s: no up section", name)
	}
	return s[up:down]
}

func TestConnectFailureIsBoundedAndRedacted(t *testing.T) {
	// A server that accepts and then never answers: only the timeout ends it.
	ln, _ := nettest.Silent(t)
	dsn := fmt.Sprintf("postgres://alice:s3cr3t-pw@%s/hera_mc?connect_timeout=1&sslmode=disable", ln)
	start := time.Now()
	_, err := migrations.Connect(context.Background(), dsn)
	if err == nil {
		t.Fatal("connected to a silent server")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %v, want about the 1 s connect_timeout", el)
	}
	msg := err.Error()
	host, _, _ := strings.Cut(ln, ":")
	for _, want := range []string{"hera_mc", host, "alice"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cr3t-pw") {
		t.Errorf("message %q shows the password", msg)
	}
	// Nothing listening at all: also named, also redacted.
	_, err = migrations.Connect(context.Background(), "host=127.0.0.1 port=1 dbname=mcdb user=bob password=hunter22 connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "mcdb") || !strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "hunter22") {
		t.Errorf("refused connection: %v", err)
	}
	// A malformed DSN does not echo its password either.
	_, err = migrations.Connect(context.Background(), "postgres://carol:topsecret@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("bad DSN: %v", err)
	}
}

func TestFailingMigrationRollsBackAlone(t *testing.T) {
	ctx := context.Background()
	pool := pgfixture.DB(t, fstest.MapFS{})
	set := fstest.MapFS{
		"00001_ok.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE one (x int);\n-- +goose Down\nDROP TABLE one;\n")},
		"00002_bad.sql": {Data: []byte("-- +goose Up\nCREATE TABLE two (x int);\nINSERT INTO two VALUES ('not a number');\n-- +goose Down\nDROP TABLE two;\n")},
	}
	m, err := migrations.NewFromPool(pool, migrations.WithFS(set))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "00002_bad.sql") {
		t.Fatalf("up with a failing migration: %v", err)
	}
	if len(res) != 1 || res[0].Version != 1 || version(t, m) != 1 {
		t.Fatalf("applied %v, version %d; want 00001 only", res, version(t, m))
	}
	tables, err := migrations.Tables(ctx, pool)
	if err != nil || len(tables) != 1 || tables[0] != "one" {
		t.Fatalf("tables %v (%v): the failed migration's CREATE TABLE was not rolled back", tables, err)
	}
}
