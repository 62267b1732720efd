// Package migrations holds the PostgreSQL schema the ingest writes (the 25
// hera_mc tables of docs/hera-mc.md, plus correlator_config_yaml, which keeps
// the correlator configuration YAML hera_mc would upload to the Librarian)
// as numbered SQL migrations embedded in the binary, and a small API to run
// them.
//
//	m, err := migrations.NewFromPool(pool) // or migrations.New(sqlDB)
//	defer m.Close()
//	results, err := m.Up(ctx)            // apply everything pending
//	results, err = m.DownBy(ctx, 1)      // roll back the last one
//	results, err = m.To(ctx, 3)          // go to version 3, up or down
//	states, err := m.Status(ctx)         // applied and pending
//	v, err := m.Version(ctx)
//	err = m.Stamp(ctx, 5)                // adopt a hand-built database at version 5
//
// The engine is pressly/goose v3 (its Provider API), which is small, keeps
// up and down in one annotated SQL file (-- +goose Up / -- +goose Down) and
// runs each migration in its own transaction. Versions are recorded in
// goose's table goose_db_version. Around every change this package holds a
// session-level advisory lock (pg_advisory_lock(LockID)), so two processes
// migrating one database at once take turns: the second finds the work done.
// A database whose current version is newer than any this binary knows is
// refused with a *NewerError (errors.Is ErrDatabaseNewer) before anything is
// changed. A database that records no version but already has the first
// migration's tables (built by hera_mc's alembic, or by hand) is refused
// with an *UnrecordedError, which names a table in the way, the
// alembic_version revision if any and the version whose tables are all
// there (what Stamp should adopt), before anything is created; Unrecorded
// reports the same without changing anything (rdbtool migrate status).
//
// Since another process may migrate while this one waits for the lock, what
// a caller decided beforehand may no longer hold once it has it: UpFrom,
// DownByFrom, ToFrom and StampFrom also return the version found under the
// lock; WithCheck lets a caller refuse the move there (rdbtool migrate's
// --yes rules); WithLockWait is told, before waiting, which session holds
// the lock.
//
// Lint rejects an up migration that drops a table or a column (DROP TABLE,
// DROP SCHEMA, DROP COLUMN, ALTER TABLE ... DROP, DROP FOREIGN TABLE, DROP
// MATERIALIZED VIEW, DROP OWNED, any DROP ... CASCADE, and any of these
// inside the quoted body of a DO block, a function or an EXECUTE string)
// unless a comment on the statement contains AllowDropMarker:
//
//	ALTER TABLE old_stuff DROP COLUMN unused; -- rdbtool:allow-drop (moved to new_stuff in 00007)
//
// Lint also checks the file names (NNNNN_name.sql, no version twice) and
// that each file has an up and a down section, neither of them empty.
//
// Create writes the next numbered file. Columns, Tables and Snapshot read
// the schema back from the catalog, for drift tests and for checking that
// each down undoes its up exactly.
package migrations
