package ingest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// unnestThreshold is the row count from which a table write is one INSERT
// ... SELECT FROM unnest(column arrays) (see unnestInsert) instead of a
// batch of INSERTs.
const unnestThreshold = 64

// writeHook, when set (tests), sees every table write: the table and, per
// column, its name and the Go types of the values written to it. It is nil
// outside tests, and every caller checks that first, so the ingest does no
// work for it. Calls are serialised (the autos group runs beside the
// others) by writeHookMu.
var (
	writeHook   func(table string, cols []hookCol)
	writeHookMu sync.Mutex
)

// hookCol is one column of a table write as writeHook sees it.
type hookCol struct {
	name string
	// types are the distinct Go types of the column's non-nil values,
	// pointers dereferenced (a typed nil pointer still has its type); empty
	// when every value was an untyped nil.
	types []reflect.Type
}

// tableRows is a set of rows for one table, in the table's column order.
type tableRows struct {
	table string
	cols  []string
	rows  [][]any
}

func newRows(table string, cols ...string) *tableRows {
	return &tableRows{table: table, cols: cols}
}

func (t *tableRows) add(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("ingest: %s: %d values for %d columns", t.table, len(vals), len(t.cols)))
	}
	t.rows = append(t.rows, vals)
}

// hook reports t's columns and the Go types of its values to writeHook,
// which the caller has checked is set.
func (t *tableRows) hook() {
	cols := make([]hookCol, len(t.cols))
	for i, c := range t.cols {
		cols[i].name = c
		for _, r := range t.rows {
			typ := reflect.TypeOf(r[i])
			for typ != nil && typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			if typ != nil && !slices.Contains(cols[i].types, typ) {
				cols[i].types = append(cols[i].types, typ)
			}
		}
	}
	writeHookMu.Lock()
	defer writeHookMu.Unlock()
	writeHook(t.table, cols)
}

// hookRow reports to writeHook (the caller has checked it is set) a write
// that does not go through a tableRows: hand-written SQL, whose arguments
// are vals, or a hand-encoded COPY, for which vals holds one value of the
// Go type each column's encoding takes.
func hookRow(table string, cols []string, vals ...any) {
	t := newRows(table, cols...)
	t.add(vals...)
	t.hook()
}

// insertIgnore writes rows with INSERT ... ON CONFLICT DO NOTHING semantics
// and returns how many were new.
func insertIgnore(ctx context.Context, tx pgx.Tx, t *tableRows) (int64, error) {
	if writeHook != nil {
		t.hook()
	}
	if len(t.rows) == 0 {
		return 0, nil
	}
	if len(t.rows) >= unnestThreshold {
		types, err := columnTypes(ctx, tx, t.table)
		if err != nil {
			return 0, err
		}
		sql, args, err := unnestInsert(t, types)
		if err != nil {
			return 0, err
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", t.table, err)
		}
		return tag.RowsAffected(), nil
	}
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING",
		pgx.Identifier{t.table}.Sanitize(), strings.Join(cols, ", "), strings.Join(ph, ", "))
	b := &pgx.Batch{}
	for _, r := range t.rows {
		b.Queue(sql, r...)
	}
	br := tx.SendBatch(ctx, b)
	var n int64
	for range t.rows {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return 0, fmt.Errorf("%s: %w", t.table, err)
		}
		n += tag.RowsAffected()
	}
	return n, br.Close()
}

// columnTypes caches each table's column types (format_type), which come
// from the migrations and do not change while the process runs.
var columnTypeCache sync.Map // table -> map[string]string

// querier is a pool, connection or transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func columnTypes(ctx context.Context, tx querier, table string) (map[string]string, error) {
	if v, ok := columnTypeCache.Load(table); ok {
		return v.(map[string]string), nil
	}
	rows, err := tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return nil, fmt.Errorf("%s: column types: %w", table, err)
	}
	types := map[string]string{}
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		types[n] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return nil, schemaError(table + ": no such table")
	}
	columnTypeCache.Store(table, types)
	return types, nil
}

// batchWrite is a whole group write of plain tables (no array columns) in
// one round trip: one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
// NOTHING per table, sent as one pipeline. The statements up to the
// pipeline's Sync run in one implicit transaction, so the group is written
// whole or not at all, without BEGIN and COMMIT round trips. Row counts
// reach g.pending only when all statements succeeded.
func (g *gctx) batchWrite(ts ...*tableRows) error {
	start := time.Now()
	defer func() { g.txTime += time.Since(start) }()
	b := &pgx.Batch{}
	var queued []*tableRows
	for _, t := range ts {
		if writeHook != nil {
			t.hook()
		}
		if len(t.rows) == 0 {
			continue
		}
		types, err := columnTypes(g.ctx, g.db, t.table)
		if err != nil {
			return err
		}
		sql, args, err := unnestInsert(t, types)
		if err != nil {
			return err
		}
		b.Queue(sql, args...)
		queued = append(queued, t)
	}
	if len(queued) == 0 {
		return nil
	}
	br := g.db.SendBatch(g.ctx, b)
	counts := make([]int64, len(queued))
	for i, t := range queued {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return fmt.Errorf("%s: %w", t.table, err)
		}
		counts[i] = tag.RowsAffected()
	}
	if err := br.Close(); err != nil {
		return err
	}
	for i, t := range queued {
		g.pending[t.table] += counts[i]
	}
	return nil
}

// unnestInsert builds INSERT INTO t (cols) SELECT * FROM unnest($1::type[],
// ...) ON CONFLICT DO NOTHING and its arguments, one array per column.
func unnestInsert(t *tableRows, types map[string]string) (string, []any, error) {
	cols := make([]string, len(t.cols))
	casts := make([]string, len(t.cols))
	args := make([]any, len(t.cols))
	for i, c := range t.cols {
		typ, ok := types[c]
		if !ok {
			return "", nil, schemaError(t.table + ": no column " + c)
		}
		if strings.HasSuffix(typ, "]") {
			return "", nil, fmt.Errorf("%s: array column %s cannot be unnested", t.table, c)
		}
		cols[i] = pgx.Identifier{c}.Sanitize()
		casts[i] = fmt.Sprintf("$%d::%s[]", i+1, typ)
		col := make([]any, len(t.rows))
		for j, r := range t.rows {
			col[j] = r[i]
		}
		args[i] = col
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM unnest(%s) ON CONFLICT DO NOTHING",
		pgx.Identifier{t.table}.Sanitize(), strings.Join(cols, ", "), strings.Join(casts, ", ")), args, nil
}
