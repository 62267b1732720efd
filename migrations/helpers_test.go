package migrations_test

import (
	"io/fs"
	"testing"

	"github.com/rdbtool/rdbtool/migrations"
)

func fsRead(name string) ([]byte, error) { return fs.ReadFile(migrations.FS, name) }

// mustMigrator is a Migrator over no database, to list the sources.
func mustMigrator(t *testing.T) *migrations.Migrator {
	t.Helper()
	_, m := emptyDB(t)
	return m
}
