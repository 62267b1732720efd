package migrations

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier is what the catalog functions need: *pgx.Conn, *pgxpool.Pool and
// pgx.Tx all fit.
type Querier interface {
	// Query runs sql with args, as pgx does.
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Column is one column of a table as the database has it.
type Column struct {
	Name     string // column name
	Type     string // format_type: "bigint", "character varying(32)", "real[]", ...
	Nullable bool   // false for NOT NULL
	Default  string // expression, "" for none
}

// Columns returns the columns of table (resolved through search_path) in
// table order. The ingest's drift test compares them with the rows it writes.
func Columns(ctx context.Context, q Querier, table string) ([]Column, error) {
	rows, err := q.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
		       COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
		FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Column, error) {
		var c Column
		err := r.Scan(&c.Name, &c.Type, &c.Nullable, &c.Default)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such table", table)
	}
	return cols, nil
}

// Tables lists the tables of the public schema, without the version table.
func Tables(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1 ORDER BY 1`, VersionTable)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Catalog is a snapshot of a database's schema objects outside the system
// schemas and the version table: one sorted line per relation, column
// (with position, type, nullability, default), constraint and index. Two
// snapshots are equal exactly when those objects are.
type Catalog []string

const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'`

// Snapshot reads the Catalog of the database q is connected to.
func Snapshot(ctx context.Context, q Querier) (Catalog, error) {
	queries := []string{
		// relations: tables, sequences, views, indexes, types...
		`SELECT format('relation %s.%s kind=%s', n.nspname, c.relname, c.relkind)
		 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE ` + userSchemas + ` AND c.relname NOT IN ($1::text, $1::text || '_id_seq', $1::text || '_pkey')`,
		// columns, numbered in order among the live columns
		`SELECT format('column %s.%s #%s %s %s %s%s', n.nspname, c.relname,
		        lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 4, '0'), a.attname,
		        format_type(a.atttypid, a.atttypmod),
		        CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
		        COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''))
		 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		 JOIN pg_namespace n ON n.oid = c.relnamespace
		 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		 WHERE ` + userSchemas + ` AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		   AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> $1::text`,
		`SELECT format('constraint %s.%s %s %s', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid))
		 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		 JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE ` + userSchemas + ` AND c.relname <> $1::text`,
		`SELECT format('index %s', pg_get_indexdef(i.indexrelid))
		 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		 JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE ` + userSchemas + ` AND c.relname <> $1::text`,
		`SELECT format('sequence %s.%s %s owned-by=%s', n.nspname, c.relname, format_type(s.seqtypid, NULL),
		        COALESCE((SELECT t.relname || '.' || a.attname FROM pg_depend dep
		                  JOIN pg_class t ON t.oid = dep.refobjid
		                  JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
		                  WHERE dep.objid = c.oid AND dep.deptype = 'a' AND dep.classid = 'pg_class'::regclass), '-'))
		 FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
		 JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE ` + userSchemas + ` AND c.relname <> $1::text || '_id_seq'`,
		`SELECT format('type %s.%s %s', n.nspname, t.typname, t.typtype)
		 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		 WHERE ` + userSchemas + ` AND t.typtype IN ('e', 'd', 'c')
		   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`,
		`SELECT format('function %s.%s(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
		 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + userSchemas,
	}
	var out Catalog
	for _, sql := range queries {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, VersionTable)
		}
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return nil, fmt.Errorf("catalog snapshot: %w", err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("catalog snapshot: %w", err)
		}
		out = append(out, lines...)
	}
	sort.Strings(out)
	return out, nil
}

// Diff lists the lines only in c ("- ...") and only in other ("+ ...").
func (c Catalog) Diff(other Catalog) []string {
	in := func(s Catalog) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, l := range s {
			m[l] = true
		}
		return m
	}
	a, b := in(c), in(other)
	var d []string
	for _, l := range c {
		if !b[l] {
			d = append(d, "- "+l)
		}
	}
	for _, l := range other {
		if !a[l] {
			d = append(d, "+ "+l)
		}
	}
	return d
}
