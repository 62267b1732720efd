package migrations_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden from the migrated schema")

// The whole schema at the latest version, one line per object, reviewed in
// testdata/schema.golden: a migration edit that changes a table shows here.
func TestLatestSchemaMatchesGolden(t *testing.T) {
	got, err := migrations.Snapshot(context.Background(), pgfixture.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(got, "\n") + "\n"
	if *update {
		if err := os.WriteFile("testdata/schema.golden", []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/schema.golden")
	if err != nil {
		t.Fatal(err)
	}
	wantCat := migrations.Catalog(strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"))
	if d := wantCat.Diff(got); len(d) != 0 {
		t.Fatalf("schema differs from testdata/schema.golden (go test -update to accept):\n%s", strings.Join(d, "\n"))
	}
}

func TestColumns(t *testing.T) {
	ctx := context.Background()
	pool := pgfixture.DB(t)
	cols, err := migrations.Columns(ctx, pool, "daemon_status")
	if err != nil {
		t.Fatal(err)
	}
	want := []migrations.Column{
		{Name: "name", Type: "character varying(32)"},
		{Name: "hostname", Type: "character varying(32)"},
		{Name: "jd", Type: "bigint"},
		{Name: "time", Type: "bigint"},
		{Name: "status", Type: "character varying(32)"},
	}
	if len(cols) != len(want) {
		t.Fatalf("daemon_status columns %+v", cols)
	}
	for i := range want {
		if cols[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, cols[i], want[i])
		}
	}
	cols, err = migrations.Columns(ctx, pool, "hera_auto_spectrum")
	if err != nil || cols[3].Type != "real[]" || cols[3].Nullable {
		t.Errorf("hera_auto_spectrum.spectrum = %+v, %v", cols, err)
	}
	cols, err = migrations.Columns(ctx, pool, "subsystem_error")
	if err != nil || cols[0].Default != "nextval('subsystem_error_id_seq'::regclass)" {
		t.Errorf("subsystem_error.id = %+v, %v", cols, err)
	}
	if _, err := migrations.Columns(ctx, pool, "no_such_table"); err == nil {
		t.Error("columns of a missing table: no error")
	}
}

func TestEmbeddedMigrationsPassLint(t *testing.T) {
	errs, err := migrations.Lint(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
}

func lint(t *testing.T, src string) []migrations.LintError {
	t.Helper()
	errs, err := migrations.Lint(fstest.MapFS{"00007_x.sql": {Data: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestLintDrops(t *testing.T) {
	cases := []struct {
		name, src string
		lines     []int // lines reported, in order
	}{
		{"drop table", "-- +goose Up\nCREATE TABLE a (x int);\nDROP TABLE old_stuff;\n-- +goose Down\nDROP TABLE a;\n", []int{3}},
		{"drop column over lines", "-- +goose Up\nALTER TABLE snap_status\n    ADD COLUMN y int,\n    DROP COLUMN x;\n-- +goose Down\nSELECT 1;\n", []int{4}},
		{"alter drop without COLUMN", "-- +goose Up\nalter table t drop x;\n-- +goose Down\nSELECT 1;\n", []int{2}},
		{"drop schema", "-- +goose Up\nDROP SCHEMA legacy CASCADE;\n-- +goose Down\nCREATE SCHEMA legacy;\n", []int{2}},
		{"marker above", "-- +goose Up\n-- rdbtool:allow-drop: superseded by b\nDROP TABLE a;\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker after the semicolon", "-- +goose Up\nDROP TABLE a; -- rdbtool:allow-drop\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker inside", "-- +goose Up\nALTER TABLE t\n  -- rdbtool:allow-drop\n  DROP COLUMN c;\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker does not cover the next statement", "-- +goose Up\nDROP TABLE a; -- rdbtool:allow-drop\nDROP TABLE b;\n-- +goose Down\nSELECT 1;\n", []int{3}},
		{"marker does not cover the previous statement", "-- +goose Up\nDROP TABLE a;\n-- rdbtool:allow-drop\nDROP TABLE b;\n-- +goose Down\nSELECT 1;\n", []int{2}},
		{"drop in a literal or comment", "-- +goose Up\nINSERT INTO log VALUES ('DROP TABLE x;');\n-- we used to DROP TABLE here\n/* DROP TABLE y; */\nSELECT $$ DROP COLUMN z $$;\n-- +goose Down\nSELECT 1;\n", nil},
		{"drop in down is fine", "-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\nDROP TABLE a;\n", nil},
		{"drop index is fine", "-- +goose Up\nDROP INDEX a_idx;\nALTER TABLE t ADD COLUMN dropped bool;\n-- +goose Down\nSELECT 1;\n", nil},
		{"drop type, view or extension without cascade is fine", "-- +goose Up\nDROP TYPE mood;\nDROP VIEW v;\nDROP EXTENSION e RESTRICT;\nREVOKE ALL ON t FROM u CASCADE;\n-- +goose Down\nSELECT 1;\n", nil},
		{"literals of other statements are not read", "-- +goose Up\nINSERT INTO log VALUES ('DROP TYPE x CASCADE');\nSELECT $$DROP OWNED BY u$$, 'DROP FOREIGN TABLE f';\n-- +goose Down\nSELECT 1;\n", nil},
		{"do block without drops", "-- +goose Up\nDO $$ BEGIN EXECUTE 'CREATE TABLE x ()'; RAISE NOTICE 'dropped nothing'; END $$;\n-- +goose Down\nSELECT 1;\n", nil},
		{"comment about a drop before a do block", "-- +goose Up\n-- DROP TABLE was here\nDO $$ BEGIN EXECUTE 'SELECT 1'; END $$;\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker inside a do body", "-- +goose Up\nDO $$ BEGIN\n  -- rdbtool:allow-drop: foo replaced by bar in 00006\n  EXECUTE 'DROP TABLE foo';\nEND $$;\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker after a do block", "-- +goose Up\nDO $$ BEGIN EXECUTE 'DROP TABLE foo'; END $$; -- rdbtool:allow-drop\n-- +goose Down\nSELECT 1;\n", nil},
		{"marker in a body covers only its statement", "-- +goose Up\nDO $$ -- rdbtool:allow-drop\n$$;\nDO $$ BEGIN EXECUTE 'DROP TABLE foo'; END $$;\n-- +goose Down\nSELECT 1;\n", []int{4}},
		{"cascade does not reach into the next statement", "-- +goose Up\nDROP INDEX a_idx;\nREVOKE ALL ON t FROM u CASCADE;\n-- +goose Down\nSELECT 1;\n", nil},
		{"drop inside a statement block", "-- +goose Up\n-- +goose StatementBegin\nDO $$ BEGIN\n  EXECUTE 'x';\nEND $$;\n-- +goose StatementEnd\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS void AS $body$ SELECT 1 $body$ LANGUAGE sql;\n-- +goose StatementEnd\nDROP TABLE z;\n-- +goose Down\nSELECT 1;\n", []int{10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := lint(t, c.src)
			var lines []int
			for _, e := range errs {
				if !strings.Contains(e.Msg, "rdbtool:allow-drop") || e.File != "00007_x.sql" {
					t.Errorf("unexpected problem %s", e)
				}
				lines = append(lines, e.Line)
			}
			if len(lines) != len(c.lines) {
				t.Fatalf("reported lines %v, want %v (%v)", lines, c.lines, errs)
			}
			for i := range lines {
				if lines[i] != c.lines[i] {
					t.Fatalf("reported lines %v, want %v", lines, c.lines)
				}
			}
		})
	}
}

// Each statement below loses data and is flagged at line, with a message
// naming what it drops; the same statement with the marker above it is
// accepted.
func TestLintDropKinds(t *testing.T) {
	cases := []struct {
		name, stmt string
		line       int      // line of the problem, the statement starting at line 2
		msg        []string // in the message
	}{
		{"drop type cascade", "DROP TYPE mood CASCADE;", 2, []string{"DROP TYPE ... CASCADE", "columns of a type"}},
		{"drop domain cascade", "DROP DOMAIN d CASCADE;", 2, []string{"DROP DOMAIN ... CASCADE"}},
		{"drop extension cascade", "DROP EXTENSION IF EXISTS postgis CASCADE;", 2, []string{"DROP EXTENSION ... CASCADE"}},
		{"drop function with cascade on its own line", "DROP FUNCTION f(int)\n  CASCADE;", 2, []string{"DROP FUNCTION ... CASCADE"}},
		{"lower-case drop index cascade", "drop index a_idx cascade;", 2, []string{"DROP INDEX ... CASCADE"}},
		{"drop text search configuration cascade", "DROP TEXT SEARCH CONFIGURATION cfg CASCADE;", 2, []string{"DROP TEXT SEARCH CONFIGURATION ... CASCADE"}},
		{"drop owned", "DROP OWNED BY olduser;", 2, []string{"DROP OWNED", "every table"}},
		{"drop foreign table", "DROP FOREIGN TABLE IF EXISTS remote_t;", 2, []string{"DROP FOREIGN TABLE"}},
		{"drop materialized view", "DROP MATERIALIZED VIEW daily;", 2, []string{"DROP MATERIALIZED VIEW", "rows it stores"}},
		{"drop materialized view cascade", "DROP MATERIALIZED VIEW daily CASCADE;", 2, []string{"DROP MATERIALIZED VIEW drops"}},
		{"do execute drop table", "DO $$ BEGIN EXECUTE 'DROP TABLE foo'; END $$;", 2, []string{"DROP TABLE drops a table", "quoted body"}},
		{"do block with a static drop over lines", "-- +goose StatementBegin\nDO $do$\nBEGIN\n  IF true THEN\n    DROP TABLE foo;\n  END IF;\nEND\n$do$;\n-- +goose StatementEnd", 6, []string{"DROP TABLE", "quoted body"}},
		{"do execute format drop column", "DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE %I DROP COLUMN %I', 'snap_status', 'x');\nEND $$;", 4, []string{"DROP COLUMN drops a column", "quoted body"}},
		{"do string body alter table drop", "DO 'BEGIN EXECUTE ''alter table t drop x''; END';", 2, []string{"ALTER TABLE ... DROP", "quoted body"}},
		{"do execute concatenated drop", "DO $$ BEGIN EXECUTE 'DROP ' || 'TABLE ' || quote_ident('foo'); END $$;", 2, []string{"DROP TABLE", "quoted body"}},
		{"do nested dollar quotes", "DO $a$ BEGIN EXECUTE $b$DROP SCHEMA s$b$; END $a$;", 2, []string{"DROP SCHEMA", "quoted body"}},
		{"do drop type cascade", "DO $$ BEGIN DROP TYPE mood CASCADE; END $$;", 2, []string{"DROP TYPE ... CASCADE", "quoted body"}},
		{"function with execute drop", "CREATE FUNCTION drop_old() RETURNS void LANGUAGE plpgsql AS $f$\nBEGIN EXECUTE 'DROP TABLE old'; END $f$;", 3, []string{"DROP TABLE", "quoted body"}},
		{"procedure with a static drop", "create or replace procedure p() language sql as 'DROP OWNED BY u';", 2, []string{"DROP OWNED", "quoted body"}},
		{"execute named in a string body", "SELECT run_sql($$EXECUTE$$, 'ALTER TABLE t DROP CONSTRAINT c');", 2, []string{"ALTER TABLE ... DROP", "quoted body"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := lint(t, "-- +goose Up\n"+c.stmt+"\n-- +goose Down\nSELECT 1;\n")
			if len(errs) != 1 || errs[0].Line != c.line || errs[0].File != "00007_x.sql" {
				t.Fatalf("got %v, want one problem at line %d", errs, c.line)
			}
			for _, m := range append(c.msg, "up migration: ", "add the comment -- rdbtool:allow-drop") {
				if !strings.Contains(errs[0].Msg, m) {
					t.Errorf("message %q lacks %q", errs[0].Msg, m)
				}
			}
			if errs := lint(t, "-- +goose Up\n-- rdbtool:allow-drop: meant\n"+c.stmt+"\n-- +goose Down\nSELECT 1;\n"); len(errs) != 0 {
				t.Errorf("marked: got %v, want none", errs)
			}
		})
	}
}

func TestLintStructure(t *testing.T) {
	for src, want := range map[string]string{
		"CREATE TABLE a (x int);\n":                                 "no -- +goose Up",
		"-- +goose Up\nCREATE TABLE a (x int);\n":                   "no -- +goose Down",
		"-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\n\n": "Down section has no statement",
	} {
		errs := lint(t, src)
		if len(errs) != 1 || !strings.Contains(errs[0].Msg, want) {
			t.Errorf("%q: got %v, want %q", src, errs, want)
		}
	}
	ok := "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 1;\n"
	errs, err := migrations.Lint(fstest.MapFS{
		"00001_a.sql": {Data: []byte(ok)}, "0001_b.sql": {Data: []byte(ok)}, "bad name.sql": {Data: []byte(ok)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.String())
	}
	all := strings.Join(msgs, "\n")
	if len(errs) != 2 || !strings.Contains(all, "version 1 is also used") || !strings.Contains(all, "bad name.sql: name must be") {
		t.Errorf("got:\n%s", all)
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	ok := "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 1;\n"
	os.WriteFile(filepath.Join(dir, "00003_old.sql"), []byte(ok), 0o644)
	p, err := migrations.Create(dir, "Add Node Humidity!")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "00004_add_node_humidity.sql" {
		t.Fatalf("created %s", p)
	}
	// Fresh from Create the sections are empty: lint says so.
	errs, err := migrations.Lint(os.DirFS(dir))
	if err != nil || len(errs) != 2 || !strings.Contains(errs[0].Msg, "Up section has no statement") ||
		!strings.Contains(errs[1].Msg, "Down section has no statement") {
		t.Fatalf("lint of a new file: %v %v", errs, err)
	}
	// Filled in, it lints clean and runs.
	src, _ := os.ReadFile(p)
	filled := strings.Replace(strings.Replace(string(src), "-- +goose Up\n", "-- +goose Up\nCREATE TABLE hum (x int);\n", 1),
		"-- +goose Down\n", "-- +goose Down\nDROP TABLE hum;\n", 1)
	os.WriteFile(p, []byte(filled), 0o644)
	if errs, err := migrations.Lint(os.DirFS(dir)); err != nil || len(errs) != 0 {
		t.Fatalf("lint of the filled file: %v %v", errs, err)
	}
	pool := pgfixture.DB(t, os.DirFS(dir))
	if _, err := pool.Exec(context.Background(), "INSERT INTO hum VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Create(dir, "!!"); err == nil {
		t.Error("created a migration with an empty name")
	}
	if _, err := migrations.Create(filepath.Join(dir, "missing"), "x"); err == nil {
		t.Error("created a migration in a missing directory")
	}
}

// A migration whose up section is empty (a file from Create never filled
// in) would be recorded as applied while doing nothing; whatever is written
// into it later never runs on the databases that applied it. Lint says so.
func TestLintEmptyUp(t *testing.T) {
	src := []byte("-- +goose Up\n-- to do\n\n-- +goose Down\nDROP TABLE t;\n")
	var found bool
	for _, p := range migrations.LintFile("00007_t.sql", src) {
		if p.Line == 1 && strings.Contains(p.Msg, "Up section has no statement") {
			found = true
		}
	}
	if !found {
		t.Fatalf("empty up section not reported: %v", migrations.LintFile("00007_t.sql", src))
	}
}
