package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// UnrecordedError is returned by Up and To (and their From forms) when the
// database records no version but already holds a table the first
// migration creates: a database built by hera_mc's alembic, or by hand.
// Running the migrations would fail on the first CREATE TABLE; nothing was
// changed (not even the version table created). The way on is to check the
// tables against this schema and adopt them with Stamp.
type UnrecordedError struct {
	// Present lists the tables the known migrations create that the
	// database has in the schema they go to (the first existing one on
	// the search_path), in migration order.
	Present []string
	// Missing lists the tables of the first migration it lacks.
	Missing []string
	// Stamp is the highest version whose tables, and those of every
	// version before it, are all present: what Stamp would adopt. 0 when
	// the first migration's tables are not all there.
	Stamp int64
	// Alembic is what alembic_version records ("" when it has no such
	// table or cannot read it).
	Alembic string
	// First is the migration that would fail.
	First Source

	firstPresent bool // a table of First is present: Up would fail on it
}

// Error names a table in the way, what made it (when alembic_version says),
// and what to do; it says nothing was changed.
func (e *UnrecordedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the database records no rdbtool migration version, but table %s already exists", e.Present[0])
	if n := len(e.Present) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more of rdbtool's tables)", n)
	}
	if e.Alembic != "" {
		fmt.Fprintf(&b, "; alembic_version records %s: hera_mc's alembic made them", e.Alembic)
	}
	b.WriteString("; nothing was changed. ")
	if e.Stamp > 0 {
		fmt.Fprintf(&b, "Every table of the migrations up to version %d is there: once you have checked they match "+
			"rdbtool's schema, adopt them with rdbtool migrate stamp %d, then rdbtool migrate up applies the rest", e.Stamp, e.Stamp)
	} else {
		fmt.Fprintf(&b, "Not every table %s creates is there (missing: %s), so no version matches: complete or remove them, "+
			"then adopt them with rdbtool migrate stamp VERSION", e.First.Name, strings.Join(e.Missing, ", "))
	}
	return b.String()
}

// createTable finds the table a CREATE TABLE statement makes.
var createTable = regexp.MustCompile(`(?i)\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)`)

// createdTables reads, for each source, the tables its up section creates.
func createdTables(fsys fs.FS, sources []Source) (map[int64][]string, error) {
	out := map[int64][]string{}
	for _, s := range sources {
		b, err := fs.ReadFile(fsys, s.Name)
		if err != nil {
			return nil, err
		}
		lines, section, _, _, _ := splitSections(b)
		for i, l := range lines {
			if section[i] != "up" {
				continue
			}
			if i := strings.Index(l, "--"); i >= 0 {
				l = l[:i]
			}
			for _, m := range createTable.FindAllStringSubmatch(l, -1) {
				t := m[1]
				if strings.HasPrefix(t, `"`) {
					t = strings.Trim(t, `"`)
				} else {
					t = strings.ToLower(t)
				}
				out[s.Version] = append(out[s.Version], t)
			}
		}
	}
	return out, nil
}

// Unrecorded reports tables of these migrations that a database recording
// no version already holds (nil when it records a version, or holds none
// of them). It changes nothing. Up refuses such a database when the first
// migration's tables are among them (see UnrecordedError).
func (m *Migrator) Unrecorded(ctx context.Context) (*UnrecordedError, error) {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cur, err := currentVersion(ctx, conn)
	if err != nil || cur != 0 {
		return nil, err
	}
	return m.unrecorded(ctx, conn)
}

func (m *Migrator) unrecorded(ctx context.Context, conn *sql.Conn) (*UnrecordedError, error) {
	if len(m.sources) == 0 {
		return nil, nil
	}
	byVersion, present, matches, err := m.presence(ctx, conn)
	if err != nil {
		return nil, err
	}
	e := &UnrecordedError{First: m.sources[0], Stamp: matches}
	for _, s := range m.sources {
		for _, t := range byVersion[s.Version] {
			if present[t] {
				e.Present = append(e.Present, t)
				e.firstPresent = e.firstPresent || s.Version == e.First.Version
			} else if s.Version == e.First.Version {
				e.Missing = append(e.Missing, t)
			}
		}
	}
	if len(e.Present) == 0 {
		return nil, nil
	}
	// Best effort: a role that may not read alembic_version still gets
	// the rest.
	var has bool
	if conn.QueryRowContext(ctx, "SELECT to_regclass('alembic_version') IS NOT NULL").Scan(&has) == nil && has {
		var alembic sql.NullString
		if conn.QueryRowContext(ctx, "SELECT string_agg(version_num::text, ', ') FROM alembic_version").Scan(&alembic) == nil {
			e.Alembic = alembic.String
		}
	}
	return e, nil
}

// StampError is returned by Stamp when a table that a migration up to the
// version to stamp creates is missing: recording that version would leave
// the database claiming a table it lacks, which no later up creates.
// Nothing was changed.
type StampError struct {
	Version int64
	Missing []string // tables of the migrations up to Version that the database lacks
	Matches int64    // the highest version whose tables, and all before it, are there (0: none)
}

// Error names the missing tables and the version that matches.
func (e *StampError) Error() string {
	hint := "no version matches: build the missing tables, or migrate up instead of stamping"
	if e.Matches > 0 {
		hint = fmt.Sprintf("the tables match version %d at most: stamp %d, then rdbtool migrate up creates the rest", e.Matches, e.Matches)
	}
	return fmt.Sprintf("migrations: cannot stamp version %d: table(s) %s, created by the migrations up to it, are missing (%s); nothing was changed",
		e.Version, strings.Join(e.Missing, ", "), hint)
}

// checkStamp returns a *StampError when a table the migrations up to
// version create is missing.
func (m *Migrator) checkStamp(ctx context.Context, conn *sql.Conn, version int64) error {
	byVersion, present, matches, err := m.presence(ctx, conn)
	if err != nil {
		return err
	}
	e := &StampError{Version: version, Matches: matches}
	for _, s := range m.sources {
		for _, t := range byVersion[s.Version] {
			if s.Version <= version && !present[t] {
				e.Missing = append(e.Missing, t)
			}
		}
	}
	if len(e.Missing) == 0 {
		return nil
	}
	return e
}

// presence reads which tables each migration creates, which of them the
// database has in the schema they go to (current_schema()), and the highest version whose
// tables, and those of every version before it, are all there (0: none).
func (m *Migrator) presence(ctx context.Context, conn *sql.Conn) (byVersion map[int64][]string, present map[string]bool, matches int64, err error) {
	byVersion, err = createdTables(m.fsys, m.sources)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("migrations: %w", err)
	}
	present = map[string]bool{}
	complete := true
	for _, s := range m.sources {
		all := len(byVersion[s.Version]) > 0
		for _, t := range byVersion[s.Version] {
			var ok bool
			// In the schema CREATE TABLE would use (the first on the
			// search_path that exists), not anywhere on the path: with
			// search_path mc, public the migrations create mc's tables
			// whatever public holds.
			if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = current_schema() AND c.relname = $1)`, t).Scan(&ok); err != nil {
				return nil, nil, 0, err
			}
			present[t] = ok
			all = all && ok
		}
		if complete = complete && all; complete {
			matches = s.Version
		}
	}
	return byVersion, present, matches, nil
}
