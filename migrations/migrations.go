package migrations

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

//go:embed sql/*.sql
var embedded embed.FS

// FS holds the migrations built into the binary, one NNNNN_name.sql file per
// version at its root.
var FS fs.FS = mustSub(embedded, "sql")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return s
}

// VersionTable is the table recording applied versions (goose's default).
const VersionTable = "goose_db_version"

// LockID is the key of the session-level advisory lock every mutating
// operation holds, so two processes migrating one database take turns.
const LockID int64 = 0x72646274_6d696772 // "rdbtmigr"

// ErrDatabaseNewer is returned (wrapped in a *NewerError) by Up, DownBy,
// To and Stamp when the database's current (highest) version is newer than
// any this binary knows. An unknown version below the newest known one is
// not refused this way; Status lists it as Unknown.
var ErrDatabaseNewer = errors.New("database schema is newer than this rdbtool")

// NewerError says which version the database is at and which is the newest
// the binary knows. Nothing was changed when it is returned.
type NewerError struct{ Database, Known int64 } // the database's version; the newest known (Migrator.Latest)

// Error says both versions and that nothing was changed.
func (e *NewerError) Error() string {
	return fmt.Sprintf("database is at migration version %d but this rdbtool knows versions up to %d; "+
		"upgrade rdbtool (nothing was changed)", e.Database, e.Known)
}

// Unwrap returns ErrDatabaseNewer, for errors.Is.
func (e *NewerError) Unwrap() error { return ErrDatabaseNewer }

// Migrator applies one set of migrations to one database. Migrators in one
// process or several that change the same database (Up, DownBy, To, Stamp)
// take turns on the advisory lock LockID.
type Migrator struct {
	db       *sql.DB
	closeDB  bool
	fsys     fs.FS
	provider *goose.Provider // nil when the set is empty
	sources  []Source
	onWait   func(holder string)        // WithLockWait
	check    func(from, to int64) error // WithCheck
}

// Source is one migration file.
type Source struct {
	Version int64  // the NNNNN of the file name
	Name    string // file name, e.g. 00001_correlator.sql
}

// Result is one migration applied or rolled back.
type Result struct {
	Source
	Direction string        // "up" or "down"
	Duration  time.Duration // how long the migration ran
}

// String is the line rdbtool migrate prints: "up   00001_correlator.sql (12ms)".
func (r Result) String() string {
	return fmt.Sprintf("%-4s %s (%s)", r.Direction, r.Name, r.Duration.Round(time.Millisecond))
}

// State is one line of Status.
type State struct {
	Source
	Applied   bool      // recorded in the version table
	AppliedAt time.Time // zero when not applied; goose stores it without zone, so it is read in the session's TimeZone
	Unknown   bool      // applied in the database but not known to this binary
}

// Option configures a Migrator.
type Option func(*Migrator)

// WithFS uses the migrations in fsys instead of the embedded set.
func WithFS(fsys fs.FS) Option { return func(m *Migrator) { m.fsys = fsys } }

// WithCheck calls fn before Up, DownBy or To (or their From forms) changes
// anything, under the migration lock, with the version the database is at
// and the one the call would take it to; an error from fn is returned as is
// and nothing is changed. It lets a caller apply its confirmation rules to
// the database as it is once the lock is held, not as it was before another
// process migrated it meanwhile.
func WithCheck(fn func(from, to int64) error) Option { return func(m *Migrator) { m.check = fn } }

// WithLockWait calls fn before a change waits for the migration lock that
// another session holds, with that session described ("pid 4242, rdbtool
// migrate from 10.0.0.5, connected 2026-11-25 16:20:41Z"), so a command can
// say why it waits instead of seeming to hang.
func WithLockWait(fn func(holder string)) Option { return func(m *Migrator) { m.onWait = fn } }

// New returns a Migrator over db. db must allow at least two open
// connections: one holds the advisory lock while another migrates.
func New(db *sql.DB, opts ...Option) (*Migrator, error) {
	m := &Migrator{db: db, fsys: FS}
	for _, o := range opts {
		o(m)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, m.fsys,
		goose.WithLogger(goose.NopLogger()),
		goose.WithDisableGlobalRegistry(true),
	)
	switch {
	case errors.Is(err, goose.ErrNoMigrations):
	case err != nil:
		return nil, fmt.Errorf("migrations: %w", err)
	default:
		m.provider = p
		for _, s := range p.ListSources() {
			m.sources = append(m.sources, Source{Version: s.Version, Name: path.Base(s.Path)})
		}
	}
	return m, nil
}

// NewFromPool returns a Migrator over a pgx pool; Close does not close the pool.
func NewFromPool(pool *pgxpool.Pool, opts ...Option) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	m, err := New(db, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	m.closeDB = true
	return m, nil
}

// Close releases what New or NewFromPool opened.
func (m *Migrator) Close() error {
	if m.closeDB {
		return m.db.Close()
	}
	return nil
}

// Sources lists the known migrations in version order.
func (m *Migrator) Sources() []Source { return append([]Source(nil), m.sources...) }

// Latest is the newest version the Migrator knows, 0 for an empty set.
func (m *Migrator) Latest() int64 {
	if len(m.sources) == 0 {
		return 0
	}
	return m.sources[len(m.sources)-1].Version
}

func (m *Migrator) known(v int64) bool {
	if v == 0 {
		return true
	}
	for _, s := range m.sources {
		if s.Version == v {
			return true
		}
	}
	return false
}

// Up applies every pending migration, each in its own transaction, and
// returns those applied. When one fails it is rolled back, the earlier ones
// stay applied and are returned with the error. A database that records no
// version but already has the first migration's tables (built by hera_mc's
// alembic, or by hand) is refused with an *UnrecordedError before anything
// is changed; To does the same.
func (m *Migrator) Up(ctx context.Context) ([]Result, error) {
	return m.To(ctx, m.Latest())
}

// UpFrom, DownByFrom, ToFrom and StampFrom are Up, DownBy, To and Stamp
// that also return the version the database was at once the migration lock
// was taken, before this call changed anything: another process may have
// migrated it while this one waited for the lock, so a version read before
// the call is not where the call started from. from is 0 when the call
// failed before reading it.
func (m *Migrator) UpFrom(ctx context.Context) (from int64, res []Result, err error) {
	return m.ToFrom(ctx, m.Latest())
}

// DownBy rolls back the n most recently applied migrations (fewer if fewer
// are applied).
func (m *Migrator) DownBy(ctx context.Context, n int) ([]Result, error) {
	_, res, err := m.DownByFrom(ctx, n)
	return res, err
}

// DownByFrom is DownBy that also returns the version it started from (see UpFrom).
func (m *Migrator) DownByFrom(ctx context.Context, n int) (from int64, res []Result, err error) {
	if n < 0 {
		return 0, nil, fmt.Errorf("migrations: down by %d: steps must not be negative", n)
	}
	err = m.locked(ctx, func(ctx context.Context, conn *sql.Conn, current int64) error {
		from = current
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		target := int64(0)
		if n < len(applied) {
			target = applied[len(applied)-1-n]
		}
		if err := m.checkMove(current, target); err != nil {
			return err
		}
		res, err = m.move(ctx, current, target)
		return err
	})
	return from, res, err
}

// To migrates up or down until target is the current version. target 0
// rolls back everything.
func (m *Migrator) To(ctx context.Context, target int64) ([]Result, error) {
	_, res, err := m.ToFrom(ctx, target)
	return res, err
}

// ToFrom is To that also returns the version it started from (see UpFrom).
func (m *Migrator) ToFrom(ctx context.Context, target int64) (from int64, res []Result, err error) {
	if !m.known(target) {
		return 0, nil, fmt.Errorf("migrations: unknown version %d (known: %s)", target, m.versionList())
	}
	err = m.locked(ctx, func(ctx context.Context, conn *sql.Conn, current int64) (err error) {
		from = current
		if current == 0 && target > 0 {
			// Tables made by alembic or by hand, no version recorded: the
			// first CREATE TABLE would fail. Say so before anything (even
			// the version table) is created.
			e, err := m.unrecorded(ctx, conn)
			if err != nil {
				return err
			}
			if e != nil && e.firstPresent {
				return e
			}
		}
		if err := m.checkMove(current, target); err != nil {
			return err
		}
		if target > current && m.provider != nil {
			// Made here, under the lock, rather than by goose, which
			// retries a refused CREATE TABLE three times a second apart
			// (for concurrent runs, which the lock already orders): a
			// role without CREATE, a search_path naming no schema or a
			// read-only session waited 3 s for the server's answer.
			if err := m.versionTable(ctx, conn); err != nil {
				return err
			}
		}
		res, err = m.move(ctx, current, target)
		return err
	})
	return from, res, err
}

// versionTable creates the version table, at version 0, when the session
// does not see one.
func (m *Migrator) versionTable(ctx context.Context, conn *sql.Conn) error {
	if err := withVersionTable(ctx, conn, nil); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// withVersionTable runs fn (when not nil) in one transaction on conn that
// first creates the version table, at version 0, when the session does
// not see one, and commits it when fn succeeds.
func withVersionTable(ctx context.Context, conn *sql.Conn, fn func(tx *sql.Tx, store database.Store) error) error {
	store, err := database.NewStore(database.DialectPostgres, VersionTable)
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := ensureVersionTable(ctx, tx, store); err != nil {
		return err
	}
	if fn != nil {
		if err := fn(tx, store); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ensureVersionTable creates the version table in tx, with its version 0
// row, unless it exists.
func ensureVersionTable(ctx context.Context, tx *sql.Tx, store database.Store) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", VersionTable).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return nil
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	return store.Insert(ctx, tx, database.InsertRequest{Version: 0})
}

func (m *Migrator) checkMove(current, target int64) error {
	if m.check == nil || current == target {
		return nil
	}
	return m.check(current, target)
}

func (m *Migrator) move(ctx context.Context, current, target int64) ([]Result, error) {
	var (
		rs  []*goose.MigrationResult
		err error
	)
	switch {
	case m.provider == nil || current == target:
		return nil, nil
	case target > current:
		rs, err = m.provider.UpTo(ctx, target)
	default:
		rs, err = m.provider.DownTo(ctx, target)
	}
	var pe *goose.PartialError
	if errors.As(err, &pe) && len(rs) == 0 {
		rs = pe.Applied
	}
	var res []Result
	for _, r := range rs {
		if r == nil || r.Source == nil || r.Error != nil {
			continue
		}
		res = append(res, Result{
			Source:    Source{Version: r.Source.Version, Name: path.Base(r.Source.Path)},
			Direction: r.Direction, Duration: r.Duration,
		})
	}
	if err != nil {
		if pe != nil && pe.Failed != nil && pe.Failed.Source != nil {
			return res, fmt.Errorf("migrations: %s %s failed (rolled back, earlier steps kept): %w",
				pe.Failed.Direction, path.Base(pe.Failed.Source.Path), pe.Err)
		}
		if strings.Contains(err.Error(), "missing (out-of-order) migration") { // goose's text: no typed error
			return res, fmt.Errorf("migrations: %w; nothing was applied: migrations run in version order only, so either "+
				"roll back below the missing version (rdbtool migrate to VERSION) and migrate up again, or renumber "+
				"the missing migration after the database's version", err)
		}
		return res, fmt.Errorf("migrations: %w", err)
	}
	return res, nil
}

// Version returns the current version (0 for an empty or unversioned
// database). It changes nothing.
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return currentVersion(ctx, conn)
}

// Status lists every known migration and any version the database records
// that this binary does not know. It changes nothing.
func (m *Migrator) Status(ctx context.Context) ([]State, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	applied := map[int64]time.Time{}
	ok, err := versionTableExists(ctx, conn)
	if err != nil {
		return nil, err
	}
	if ok {
		// goose's tstamp is a timestamp without time zone: now() in the
		// zone of the session that migrated. Read it in this session's
		// zone (the server's, database's or role's default, as it was
		// then), not as UTC.
		rows, err := conn.QueryContext(ctx, "SELECT version_id, tstamp::timestamptz FROM "+VersionTable+" WHERE version_id > 0")
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var v int64
			var at time.Time
			if err := rows.Scan(&v, &at); err != nil {
				rows.Close()
				return nil, err
			}
			applied[v] = at
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []State
	for _, s := range m.sources {
		at, ok := applied[s.Version]
		out = append(out, State{Source: s, Applied: ok, AppliedAt: at})
		delete(applied, s.Version)
	}
	for v, at := range applied {
		out = append(out, State{Source: Source{Version: v, Name: "(unknown to this rdbtool)"},
			Applied: true, AppliedAt: at, Unknown: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Stamp records version as the current one without running any migration:
// it adopts a database whose schema was built by other means (by hand, by
// alembic) and matches that version. Every known version up to it is marked
// applied and every later record removed. Stamp(ctx, 0) forgets all versions.
// A table that a migration up to version creates and the database lacks is
// refused with a *StampError, nothing changed (its columns are not
// compared).
func (m *Migrator) Stamp(ctx context.Context, version int64) error {
	_, err := m.StampFrom(ctx, version)
	return err
}

// StampFrom is Stamp that also returns the version it started from (see UpFrom).
func (m *Migrator) StampFrom(ctx context.Context, version int64) (from int64, err error) {
	if !m.known(version) {
		return 0, fmt.Errorf("migrations: unknown version %d (known: %s)", version, m.versionList())
	}
	err = m.locked(ctx, func(ctx context.Context, conn *sql.Conn, current int64) error {
		from = current
		if err := m.checkStamp(ctx, conn, version); err != nil {
			return err
		}
		return withVersionTable(ctx, conn, func(tx *sql.Tx, store database.Store) error {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+VersionTable+" WHERE version_id > 0"); err != nil {
				return err
			}
			for _, s := range m.sources {
				if s.Version > version {
					break
				}
				if err := store.Insert(ctx, tx, database.InsertRequest{Version: s.Version}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return from, err
}

func (m *Migrator) versionList() string {
	if len(m.sources) == 0 {
		return "none"
	}
	vs := make([]string, 0, len(m.sources)+1)
	vs = append(vs, "0")
	for _, s := range m.sources {
		vs = append(vs, fmt.Sprint(s.Version))
	}
	return strings.Join(vs, ", ")
}

// locked runs fn holding the advisory lock on a dedicated connection, after
// refusing a database newer than the known set.
func (m *Migrator) locked(ctx context.Context, fn func(ctx context.Context, conn *sql.Conn, current int64) error) (err error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return err
	}
	held := false
	defer func() {
		if held {
			_, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", LockID)
			if uerr != nil {
				// Discard the session rather than return it to the pool still locked.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		conn.Close()
	}()
	got := false
	if m.onWait != nil { // try first, to say whom we wait for
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", LockID).Scan(&got); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("migrations: take the migration lock: %w", err)
		}
		if !got {
			m.onWait(lockHolder(ctx, conn))
		}
	}
	if !got {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", LockID); err != nil {
			// The lock may have been granted just as ctx ended: drop the session.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("migrations: wait for the migration lock: %w", err)
		}
	}
	held = true
	current, err := currentVersion(ctx, conn)
	if err != nil {
		return err
	}
	if current > m.Latest() {
		return &NewerError{Database: current, Known: m.Latest()}
	}
	return fn(ctx, conn, current)
}

// lockHolder describes the session holding the migration lock: its pid,
// application, client and connection time ("another session" when it
// cannot be read, e.g. without the privilege to see other sessions).
func lockHolder(ctx context.Context, conn *sql.Conn) string {
	var pid int
	var app, from string
	var since time.Time
	err := conn.QueryRowContext(ctx, `SELECT a.pid, COALESCE(a.application_name, ''),
		    COALESCE(host(a.client_addr), 'this machine'), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid::bigint = $1 AND l.objid::bigint = $2
		LIMIT 1`, LockID>>32, LockID&0xffffffff).Scan(&pid, &app, &from, &since)
	if err != nil {
		return "another session"
	}
	if app == "" {
		app = "a client"
	}
	return fmt.Sprintf("pid %d, %s from %s, connected %s", pid, app, from, since.UTC().Format("2006-01-02 15:04:05Z"))
}

func versionTableExists(ctx context.Context, conn *sql.Conn) (bool, error) {
	var ok bool
	err := conn.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", VersionTable).Scan(&ok)
	return ok, err
}

func currentVersion(ctx context.Context, conn *sql.Conn) (int64, error) {
	ok, err := versionTableExists(ctx, conn)
	if err != nil || !ok {
		return 0, err
	}
	var v int64
	err = conn.QueryRowContext(ctx, "SELECT COALESCE(max(version_id), 0) FROM "+VersionTable).Scan(&v)
	return v, err
}

// appliedVersions returns the applied versions (>0) in ascending order.
func appliedVersions(ctx context.Context, conn *sql.Conn) ([]int64, error) {
	ok, err := versionTableExists(ctx, conn)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, "SELECT DISTINCT version_id FROM "+VersionTable+" WHERE version_id > 0 ORDER BY 1")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
