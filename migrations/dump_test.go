package migrations_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// schemaDump is pg_dump --schema-only of the database dsn names, without
// the \restrict lines that differ on every run.
func schemaDump(t *testing.T, bindir, dsn string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(bindir, "pg_dump"), "--schema-only", "--no-owner", dsn).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, `\restrict`) && !strings.HasPrefix(l, `\unrestrict`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Down all the way and up again gives what pg_dump sees as the same schema
// as a database migrated once (the catalog tests compare less: comments,
// storage and defaults as pg_dump prints them).
func TestDownToZeroAndUpSameDump(t *testing.T) {
	bindir := pgfixture.NeedServer(t)
	if _, err := exec.LookPath(filepath.Join(bindir, "pg_dump")); err != nil {
		t.Fatalf("pg_dump is not beside initdb in %s: %v", bindir, err)
	}
	ctx := context.Background()
	_, refDSN := pgfixture.DBWithDSN(t)
	pool, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	m, err := migrations.NewFromPool(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.To(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	want, got := schemaDump(t, bindir, refDSN), schemaDump(t, bindir, dsn)
	if !strings.Contains(want, "CREATE TABLE public.hera_autos") {
		t.Fatalf("reference dump lacks the schema:\n%.2000s", want)
	}
	if got != want {
		t.Fatalf("schema after down to 0 and up differs from a fresh one:\n--- fresh\n%s\n--- after\n%s", want, got)
	}
}
