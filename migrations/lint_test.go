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
	if err != nil || len(errs) != 1 || !strings.Contains(errs[0].Msg, "no statement") {
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
