package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// The --json reports of migrate, as the tests read them.
type jsonMigration struct {
	Version int64    `json:"version"`
	Name    string   `json:"name"`
	Seconds *float64 `json:"seconds"`
}

type jsonMove struct {
	Database   string           `json:"database"`
	From       *int64           `json:"from"`
	To         *int64           `json:"to"`
	Applied    *[]jsonMigration `json:"applied"`
	RolledBack *[]jsonMigration `json:"rolled_back"`
}

type jsonState struct {
	Version   int64   `json:"version"`
	Name      string  `json:"name"`
	Applied   bool    `json:"applied"`
	AppliedAt *string `json:"applied_at"`
}

type jsonStatus struct {
	Database   string       `json:"database"`
	Version    *int64       `json:"version"`
	Migrations *[]jsonState `json:"migrations"`
}

const jsonTestPassword = "Pw-9f3kqZ7"

// migrateJSON runs `rdbtool migrate args... --json` in-process, wants exit
// code want, checks that stdout is one indented JSON object and nothing
// else, decodes it strictly into v and returns stdout, stderr and the
// error message.
func migrateJSON(t *testing.T, want int, v any, args ...string) (stdout, msg string) {
	t.Helper()
	args = append(append([]string{"migrate"}, args...), "--json")
	r := run(t, nil, args...)
	msg, _ = exitStatus(r.err)
	if r.code != want {
		t.Fatalf("rdbtool %s: exit %d, want %d\nerr: %s\nstderr: %s\nstdout: %s", strings.Join(args, " "), r.code, want, msg, r.stderr, r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr+msg, jsonTestPassword) {
		t.Fatalf("rdbtool %s shows the password:\nstdout: %s\nstderr: %s\nerr: %s", strings.Join(args, " "), r.stdout, r.stderr, msg)
	}
	if r.stderr != "" {
		t.Fatalf("rdbtool %s wrote to stderr besides its error: %q", strings.Join(args, " "), r.stderr)
	}
	if strings.Contains(msg, "\n") {
		t.Fatalf("error message spans lines: %q", msg)
	}
	if v == nil {
		if r.stdout != "" {
			t.Fatalf("rdbtool %s: want nothing on stdout, got:\n%s", strings.Join(args, " "), r.stdout)
		}
		return r.stdout, msg
	}
	if !strings.HasPrefix(r.stdout, "{\n  \"") || !strings.HasSuffix(r.stdout, "\n}\n") {
		t.Fatalf("rdbtool %s: stdout is not one indented JSON object:\n%s", strings.Join(args, " "), r.stdout)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("rdbtool %s: %v in:\n%s", strings.Join(args, " "), err, r.stdout)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("rdbtool %s: more than one JSON value on stdout:\n%s", strings.Join(args, " "), r.stdout)
	}
	return r.stdout, msg
}

// withPassword is dsn with a password in it (kept if it has one). The
// fixture's server trusts local connections, so it still connects.
func withPassword(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("fixture DSN is not a URL: %s", dsn)
	}
	if _, ok := u.User.Password(); ok {
		return dsn
	}
	u.User = url.UserPassword(u.User.Username(), jsonTestPassword)
	return u.String()
}

// dbVersions is what goose_db_version records: the applied versions (> 0)
// ascending with when, and the current version.
func dbVersions(t *testing.T, pool *pgxpool.Pool) ([]int64, map[int64]time.Time, int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, "SELECT version_id, tstamp FROM goose_db_version WHERE version_id > 0 ORDER BY version_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int64
	at := map[int64]time.Time{}
	for rows.Next() {
		var v int64
		var ts time.Time
		if err := rows.Scan(&v, &ts); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
		at[v] = ts
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var cur int64
	if err := pool.QueryRow(ctx, "SELECT COALESCE(max(version_id), 0) FROM goose_db_version").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	return vs, at, cur
}

// builtIn is the migrations built into rdbtool: versions and file names.
func builtIn(t *testing.T) ([]int64, map[int64]string) {
	t.Helper()
	ents, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	names := map[int64]string{}
	for _, e := range ents {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err != nil {
			t.Fatalf("built-in migration %s: %v", e.Name(), err)
		}
		vs = append(vs, v)
		names[v] = e.Name()
	}
	return vs, names
}

// checkRun checks one list of a move report: the versions in order, each
// with its file name and a duration.
func checkRun(t *testing.T, what string, got *[]jsonMigration, want []int64, names map[int64]string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: list missing or null, want %v", what, want)
	}
	var vs []int64
	for _, m := range *got {
		vs = append(vs, m.Version)
		if m.Name != names[m.Version] {
			t.Errorf("%s: version %d named %q, want %q", what, m.Version, m.Name, names[m.Version])
		}
		if m.Seconds == nil || *m.Seconds < 0 || *m.Seconds > 600 {
			t.Errorf("%s: version %d: seconds %v", what, m.Version, m.Seconds)
		}
	}
	if !slices.Equal(vs, want) {
		t.Fatalf("%s: ran %v, want %v", what, vs, want)
	}
}

func checkMove(t *testing.T, what string, got jsonMove, database string, from, to int64) {
	t.Helper()
	if got.Database != database {
		t.Errorf("%s: database %q, want %q", what, got.Database, database)
	}
	if got.From == nil || *got.From != from || got.To == nil || *got.To != to {
		t.Fatalf("%s: from %v to %v, want %d to %d", what, deref(got.From), deref(got.To), from, to)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// descending is vs reversed (a copy): the order rollbacks run in.
func descending(vs []int64) []int64 {
	out := slices.Clone(vs)
	slices.Reverse(out)
	return out
}

func TestJSONMigrateMoves(t *testing.T) {
	pool, fixtureDSN := pgfixture.DBWithDSN(t, fstest.MapFS{})
	dsn := withPassword(t, fixtureDSN)
	all, names := builtIn(t)
	latest := all[len(all)-1]
	if len(all) < 3 {
		t.Fatalf("need 3 built-in migrations to roll back 2, have %v", all)
	}
	var dbName string
	if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}

	// up from nothing: every migration, ascending.
	var up jsonMove
	stdout, _ := migrateJSON(t, 0, &up, "up", "--db", dsn)
	vs, _, cur := dbVersions(t, pool)
	if !slices.Equal(vs, all) || cur != latest {
		t.Fatalf("after up the database records %v (current %d), want %v", vs, cur, all)
	}
	database := up.Database
	if !strings.Contains(database, fmt.Sprintf("database %q", dbName)) || !strings.Contains(database, "as user") {
		t.Fatalf("database %q does not name database %s and the user", database, dbName)
	}
	checkMove(t, "up", up, database, 0, cur)
	checkRun(t, "up", up.Applied, all, names)
	if up.RolledBack != nil || strings.Contains(stdout, "rolled_back") || strings.Contains(stdout, "at version") {
		t.Fatalf("up --json has a rolled_back list or text:\n%s", stdout)
	}

	// up again: nothing, and an empty list, not null.
	up = jsonMove{}
	stdout, _ = migrateJSON(t, 0, &up, "up", "--db", dsn)
	checkMove(t, "up again", up, database, latest, latest)
	checkRun(t, "up again", up.Applied, nil, names)
	if !strings.Contains(stdout, `"applied": []`) {
		t.Fatalf("an empty applied list is not []:\n%s", stdout)
	}

	var ver struct {
		Database string `json:"database"`
		Version  *int64 `json:"version"`
	}
	migrateJSON(t, 0, &ver, "version", "--db", dsn)
	if ver.Database != database || ver.Version == nil || *ver.Version != cur {
		t.Fatalf("version --json: %+v, want %q %d", ver, database, cur)
	}

	// down --steps 2: the two newest, newest first.
	var down jsonMove
	stdout, _ = migrateJSON(t, 0, &down, "down", "--steps", "2", "--db", dsn)
	vs, _, cur = dbVersions(t, pool)
	if !slices.Equal(vs, all[:len(all)-2]) {
		t.Fatalf("after down 2 the database records %v", vs)
	}
	checkMove(t, "down", down, database, latest, cur)
	checkRun(t, "down", down.RolledBack, descending(all[len(all)-2:]), names)
	if down.Applied != nil || strings.Contains(stdout, `"applied"`) {
		t.Fatalf("down --json has an applied list:\n%s", stdout)
	}

	checkStatus(t, pool, dsn, database, all, names)

	// to 1 from below the latest: a rollback, listed under rolled_back.
	before := cur
	var to jsonMove
	migrateJSON(t, 0, &to, "to", "1", "--db", dsn)
	vs, _, cur = dbVersions(t, pool)
	if !slices.Equal(vs, all[:1]) || cur != all[0] {
		t.Fatalf("after to 1 the database records %v", vs)
	}
	checkMove(t, "to 1", to, database, before, cur)
	checkRun(t, "to 1 (rolled back)", to.RolledBack, descending(all[1:len(all)-2]), names)
	checkRun(t, "to 1 (applied)", to.Applied, nil, names)

	// to latest: the rest, applied in order.
	to = jsonMove{}
	migrateJSON(t, 0, &to, "to", fmt.Sprint(latest), "--db", dsn)
	vs, _, cur = dbVersions(t, pool)
	if !slices.Equal(vs, all) {
		t.Fatalf("after to %d the database records %v", latest, vs)
	}
	checkMove(t, "to latest", to, database, all[0], cur)
	checkRun(t, "to latest (applied)", to.Applied, all[1:], names)
	checkRun(t, "to latest (rolled back)", to.RolledBack, nil, names)

	// A refusal prints no JSON, only its one-line error; exit codes as without --json.
	_, msg := migrateJSON(t, exitError, nil, "to", "0", "--db", dsn)
	if !strings.Contains(msg, "--yes") {
		t.Fatalf("to 0 without --yes: %q", msg)
	}
	_, msg = migrateJSON(t, exitError, nil, "down", "--steps", "0", "--db", dsn)
	if !strings.Contains(msg, "--steps") {
		t.Fatalf("down --steps 0: %q", msg)
	}
	if vs2, _, _ := dbVersions(t, pool); !slices.Equal(vs2, all) {
		t.Fatalf("refusals changed the database: %v", vs2)
	}

	// stamp 2: recorded, nothing run.
	var st jsonMove
	stdout, _ = migrateJSON(t, 0, &st, "stamp", fmt.Sprint(all[1]), "--db", dsn)
	vs, _, cur = dbVersions(t, pool)
	if !slices.Equal(vs, all[:2]) {
		t.Fatalf("after stamp %d the database records %v", all[1], vs)
	}
	checkMove(t, "stamp", st, database, latest, cur)
	checkRun(t, "stamp", st.Applied, nil, names)
	if strings.Contains(stdout, "stamped") {
		t.Fatalf("stamp --json printed text:\n%s", stdout)
	}

	// A database newer than this rdbtool: status still reports it (with the
	// unknown version), then fails as without --json; up prints nothing.
	if _, err := pool.Exec(context.Background(), "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)"); err != nil {
		t.Fatal(err)
	}
	var status jsonStatus
	_, msg = migrateJSON(t, exitError, &status, "status", "--db", dsn)
	if !strings.Contains(msg, "999") || status.Version == nil || *status.Version != 999 || status.Migrations == nil {
		t.Fatalf("status of a newer database: %+v, error %q", status, msg)
	}
	if last := (*status.Migrations)[len(*status.Migrations)-1]; last.Version != 999 || !last.Applied || last.AppliedAt == nil {
		t.Fatalf("status of a newer database does not list version 999: %+v", last)
	}
	_, msg = migrateJSON(t, exitError, nil, "up", "--db", dsn)
	if !strings.Contains(msg, "upgrade rdbtool") {
		t.Fatalf("up on a newer database: %q", msg)
	}
}

// checkStatus compares status --json with goose_db_version.
func checkStatus(t *testing.T, pool *pgxpool.Pool, dsn, database string, all []int64, names map[int64]string) {
	t.Helper()
	var status jsonStatus
	stdout, _ := migrateJSON(t, 0, &status, "status", "--db", dsn)
	vs, at, cur := dbVersions(t, pool)
	if status.Database != database || status.Version == nil || *status.Version != cur {
		t.Fatalf("status: database %q version %v, want %q %d", status.Database, deref(status.Version), database, cur)
	}
	if status.Migrations == nil || len(*status.Migrations) != len(all) {
		t.Fatalf("status lists %v, want the %d built-in migrations", status.Migrations, len(all))
	}
	pending := 0
	for i, m := range *status.Migrations {
		if m.Version != all[i] || m.Name != names[all[i]] {
			t.Fatalf("status migration %d: %d %q, want %d %q", i, m.Version, m.Name, all[i], names[all[i]])
		}
		dbAt, applied := at[m.Version]
		if m.Applied != applied || m.Applied != slices.Contains(vs, m.Version) {
			t.Fatalf("status: version %d applied %v, the database says %v", m.Version, m.Applied, applied)
		}
		if !applied {
			pending++
			if m.AppliedAt != nil {
				t.Fatalf("status: pending version %d has applied_at %q", m.Version, *m.AppliedAt)
			}
			continue
		}
		if m.AppliedAt == nil {
			t.Fatalf("status: applied version %d has no applied_at", m.Version)
		}
		got, err := time.Parse(time.RFC3339, *m.AppliedAt)
		if err != nil {
			t.Fatalf("status: applied_at %q is not RFC 3339: %v", *m.AppliedAt, err)
		}
		if d := got.Sub(dbAt); d < -time.Second || d > time.Second {
			t.Fatalf("status: version %d applied_at %s, the database says %s", m.Version, got, dbAt)
		}
	}
	if pending == 0 || !strings.Contains(stdout, `"applied_at": null`) {
		t.Fatalf("status --json shows no pending migration with applied_at null:\n%s", stdout)
	}
}

func TestJSONMigrateLint(t *testing.T) {
	// The built-in set: no problems, every file counted.
	var lint struct {
		Files    *int `json:"files"`
		Problems *[]struct {
			File    string `json:"file"`
			Line    *int   `json:"line"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	stdout, _ := migrateJSON(t, 0, &lint, "lint")
	all, _ := builtIn(t)
	if lint.Files == nil || *lint.Files != len(all) || lint.Problems == nil || len(*lint.Problems) != 0 ||
		!strings.Contains(stdout, `"problems": []`) {
		t.Fatalf("lint --json of the built-in migrations (%d files):\n%s", len(all), stdout)
	}

	dir := t.TempDir()
	good := "-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\nDROP TABLE a;\n"
	bad := "-- +goose Up\nCREATE TABLE b (x int);\n\nDROP TABLE old_stuff;\n-- +goose Down\nDROP TABLE b;\n"
	noDown := "-- +goose Up\nCREATE TABLE c (x int);\n"
	for name, src := range map[string]string{"00001_a.sql": good, "00002_b.sql": bad, "00003_c.sql": noDown, "notes.txt": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := migrations.Lint(os.DirFS(dir))
	if err != nil || len(want) < 2 {
		t.Fatalf("migrations.Lint: %v %v", want, err)
	}
	lint.Files, lint.Problems = nil, nil
	stdout, msg := migrateJSON(t, exitFound, &lint, "lint", "--dir", dir)
	if lint.Files == nil || *lint.Files != 3 {
		t.Fatalf("lint --json counts %v files, want 3:\n%s", lint.Files, stdout)
	}
	if !strings.Contains(msg, fmt.Sprintf("%d problem", len(want))) {
		t.Fatalf("lint error %q, want %d problems", msg, len(want))
	}
	if lint.Problems == nil || len(*lint.Problems) != len(want) {
		t.Fatalf("lint --json lists %v, want %v", lint.Problems, want)
	}
	sawDrop := false
	for i, p := range *lint.Problems {
		w := want[i]
		if p.File != filepath.Join(dir, w.File) || p.Line == nil || *p.Line != w.Line || p.Message != w.Msg {
			t.Fatalf("problem %d: %s:%v: %s, want %s", i, p.File, p.Line, p.Message, w)
		}
		sawDrop = sawDrop || (p.File == filepath.Join(dir, "00002_b.sql") && *p.Line == 4 && strings.Contains(p.Message, "DROP TABLE"))
	}
	if !sawDrop {
		t.Fatalf("lint --json does not report the DROP TABLE at 00002_b.sql:4:\n%s", stdout)
	}
	// Same problems as the text form, one per line there.
	r := run(t, nil, "migrate", "lint", "--dir", dir)
	if r.code != exitFound || strings.Count(r.stdout, "\n") != len(want) || strings.Contains(r.stdout, "{") {
		t.Fatalf("lint without --json: exit %d\n%s", r.code, r.stdout)
	}

	_, msg = migrateJSON(t, exitError, nil, "lint", "--dir", filepath.Join(dir, "nope"))
	if !strings.Contains(msg, "not a directory") {
		t.Fatalf("lint of a missing directory: %q", msg)
	}
}

// Errors before any report: one line, nothing on stdout, no password.
func TestJSONMigrateConnectError(t *testing.T) {
	dsn := "postgres://alice:" + jsonTestPassword + "@127.0.0.1:1/hera_mc?connect_timeout=3"
	for _, sub := range []string{"up", "down", "status", "version"} {
		_, msg := migrateJSON(t, exitError, nil, sub, "--db", dsn)
		if !strings.Contains(msg, `database "hera_mc" on host 127.0.0.1:1`) {
			t.Fatalf("%s --json: %q", sub, msg)
		}
	}
}

func TestJSONMigrateHelp(t *testing.T) {
	for _, sub := range []string{"up", "down", "to", "status", "version", "stamp", "lint"} {
		r := mustRun(t, 0, nil, "migrate", sub, "--help")
		if !strings.Contains(r.stdout, "--json prints {") || !strings.Contains(r.stdout, "   --json ") {
			t.Errorf("migrate %s --help does not describe --json:\n%s", sub, r.stdout)
		}
	}
	if r := mustRun(t, 0, nil, "migrate", "create", "--help"); strings.Contains(r.stdout, "--json") {
		t.Errorf("migrate create --help offers --json:\n%s", r.stdout)
	}
	// Each field the help names is one the report has.
	for sub, fields := range map[string][]string{
		"up":      {"database", "from", "to", "applied"},
		"down":    {"database", "from", "to", "rolled_back"},
		"to":      {"database", "from", "to", "applied", "rolled_back"},
		"stamp":   {"database", "from", "to", "applied"},
		"status":  {"database", "version", "migrations", "applied_at"},
		"version": {"database", "version"},
		"lint":    {"files", "problems", "file", "line", "message"},
	} {
		help := migrateHelp[sub]
		for _, f := range fields {
			if !strings.Contains(help, `"`+f+`"`) {
				t.Errorf("migrate %s --help does not name %q", sub, f)
			}
		}
	}
}

// An up that fails part way still reports, as JSON, what it applied and
// the version reached, then fails as without --json.
func TestJSONMigrateUpFailsPartWay(t *testing.T) {
	pool, fixtureDSN := pgfixture.DBWithDSN(t, fstest.MapFS{})
	dsn := withPassword(t, fixtureDSN)
	all, names := builtIn(t)
	// 00003 creates node_sensor: made beforehand, it fails there.
	if _, err := pool.Exec(context.Background(), "CREATE TABLE node_sensor (x int)"); err != nil {
		t.Fatal(err)
	}
	var up jsonMove
	_, msg := migrateJSON(t, exitError, &up, "up", "--db", dsn)
	if !strings.Contains(msg, "00003_node.sql") || !strings.Contains(msg, "already exists") {
		t.Fatalf("up error %q does not name 00003 and its cause", msg)
	}
	vs, _, cur := dbVersions(t, pool)
	if !slices.Equal(vs, all[:2]) {
		t.Fatalf("the database records %v, want %v", vs, all[:2])
	}
	checkMove(t, "up part way", up, up.Database, 0, cur)
	checkRun(t, "up part way", up.Applied, all[:2], names)
}
