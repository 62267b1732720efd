package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/rdbtool/rdbtool/migrations"
)

// Lint checks the embedded migrations; the shipped set has no problems.
func ExampleLint() {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		log.Fatal(err)
	}
	problems, err := migrations.Lint(migrations.FS)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(names) > 0, "migrations,", len(problems), "problems")
	// Output:
	// true migrations, 0 problems
}

// LintFile rejects an up migration that drops a column unless the statement
// carries AllowDropMarker.
func ExampleLintFile() {
	src := []byte(`-- +goose Up
ALTER TABLE hera_autos DROP COLUMN spare;
ALTER TABLE hera_autos DROP COLUMN old; -- rdbtool:allow-drop (moved to 00008)

-- +goose Down
ALTER TABLE hera_autos ADD COLUMN spare integer;
ALTER TABLE hera_autos ADD COLUMN old integer;
`)
	for _, p := range migrations.LintFile("00007_tidy.sql", src) {
		fmt.Println(p)
	}
	// Output:
	// 00007_tidy.sql:2: up migration: DROP COLUMN drops a column; if that is intended, add the comment -- rdbtool:allow-drop to the statement
}

// A Migrator runs the embedded set against a database (compile-only: it
// needs a PostgreSQL server).
func ExampleNewFromPool() {
	ctx := context.Background()
	pool, err := migrations.Connect(ctx, "postgres://mc@localhost/mc")
	if err != nil {
		log.Fatal(err) // names host, database and user, never the password
	}
	defer pool.Close()

	m, err := migrations.NewFromPool(pool)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	results, err := m.Up(ctx)
	if errors.Is(err, migrations.ErrDatabaseNewer) {
		log.Fatal(err) // this binary is older than the database; nothing changed
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(r) // "up   00001_correlator.sql (12ms)"
	}
}
