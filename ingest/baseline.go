package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The benchmark's baseline: the same rows written the way hera_mc writes
// them (hera-mc.md §1.2). _insert_ignoring_duplicates runs, through
// SQLAlchemy 2 and psycopg 3, one statement per row,
//
//	INSERT INTO t (cols) VALUES (...) ON CONFLICT (<primary key>) DO NOTHING
//
// in the command's one transaction. psycopg 3 binds parameters server-side
// (extended protocol, one round trip per execute) and, for %s placeholders,
// uses the last dumper registered for the Python type: binary for int
// (int2/int4/int8 by magnitude), float (float8) and bool; text with no type
// (unknown) for str; text for list, whose elements are dumped by the text
// dumper: a spectrum (numpy .tolist(), Python floats) goes as a float8[]
// literal of str(float) values, which SQLAlchemy's ARRAY casts ::REAL[]
// (psycopg/types/array.py registers ListBinaryDumper then ListDumper;
// numeric.py registers FloatDumper then FloatBinaryDumper; SQLAlchemy's
// _PsycopgARRAY has render_bind_cast). A statement executed more than
// prepare_threshold (5) times on a connection is prepared and from then on
// only bound and executed (psycopg keys statements by query and parameter
// types). The session uses the server's defaults (no
// default_toast_compression change).

// psycopgPrepareThreshold is psycopg 3's default prepare_threshold.
const psycopgPrepareThreshold = 5

// perRowStmts tracks, per connection, how often each statement ran and the
// name it was prepared under.
var perRowStmts sync.Map // *pgconn.PgConn -> *stmtCounts

type stmtCounts struct {
	mu    sync.Mutex
	runs  map[string]int
	names map[string]string
}

// primaryKeys caches each table's primary key columns (the conflict target
// SQLAlchemy's on_conflict_do_nothing(index_elements=pk) names).
var primaryKeys sync.Map // table -> []string

func primaryKey(ctx context.Context, tx pgx.Tx, table string) ([]string, error) {
	if v, ok := primaryKeys.Load(table); ok {
		return v.([]string), nil
	}
	rows, err := tx.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n`, table)
	if err != nil {
		return nil, fmt.Errorf("%s: primary key: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: primary key: %w", table, err)
	}
	primaryKeys.Store(table, cols)
	return cols, nil
}

// insertEachRow writes t one row per statement, as described above, and
// counts the new rows.
func insertEachRow(ctx context.Context, tx pgx.Tx, t *tableRows) (int64, error) {
	if len(t.rows) == 0 {
		return 0, nil
	}
	pk, err := primaryKey(ctx, tx, t.table)
	if err != nil {
		return 0, err
	}
	quote := func(cs []string) string {
		q := make([]string, len(cs))
		for i, c := range cs {
			q[i] = pgx.Identifier{c}.Sanitize()
		}
		return strings.Join(q, ", ")
	}
	ph := make([]string, len(t.cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
		if _, ok := t.rows[0][i].([]float32); ok {
			ph[i] += "::REAL[]"
		}
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING",
		pgx.Identifier{t.table}.Sanitize(), quote(t.cols), strings.Join(ph, ", "), quote(pk))

	pc := tx.Conn().PgConn()
	v, _ := perRowStmts.LoadOrStore(pc, &stmtCounts{runs: map[string]int{}, names: map[string]string{}})
	sc := v.(*stmtCounts)
	vals := make([][]byte, len(t.cols))
	oids := make([]uint32, len(t.cols))
	formats := make([]int16, len(t.cols))
	var n int64
	for _, r := range t.rows {
		for i, x := range r {
			vals[i], oids[i], formats[i], err = psycopgParam(x)
			if err != nil {
				return n, fmt.Errorf("%s.%s: %w", t.table, t.cols[i], err)
			}
		}
		// psycopg keys prepared statements by query and parameter types.
		key := fmt.Sprint(sql, oids)
		sc.mu.Lock()
		sc.runs[key]++
		runs, name := sc.runs[key], sc.names[key]
		sc.mu.Unlock()
		var res *pgconn.ResultReader
		switch {
		case name != "":
			res = pc.ExecPrepared(ctx, name, vals, formats, nil)
		case runs > psycopgPrepareThreshold:
			name = fmt.Sprintf("_pg3_%d", len(sc.names))
			if _, err := pc.Prepare(ctx, name, sql, oids); err != nil {
				return n, fmt.Errorf("%s: prepare: %w", t.table, err)
			}
			sc.mu.Lock()
			sc.names[key] = name
			sc.mu.Unlock()
			res = pc.ExecPrepared(ctx, name, vals, formats, nil)
		default:
			res = pc.ExecParams(ctx, sql, vals, oids, formats, nil)
		}
		tag, err := res.Close()
		if err != nil {
			return n, fmt.Errorf("%s: %w", t.table, err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// Type OIDs psycopg sends.
const (
	oidBool      = 16
	oidInt8      = 20
	oidInt2      = 21
	oidInt4      = 23
	oidFloat8    = 701
	oidFloat8Arr = 1022
	oidTstz      = 1184
)

// psycopgParam encodes one value as psycopg 3 does for a %s placeholder:
// value, type OID (0 = unknown) and format (0 text, 1 binary).
func psycopgParam(x any) ([]byte, uint32, int16, error) {
	be := binary.BigEndian
	integer := func(v int64) ([]byte, uint32, int16, error) {
		switch {
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return be.AppendUint16(nil, uint16(v)), oidInt2, 1, nil
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return be.AppendUint32(nil, uint32(v)), oidInt4, 1, nil
		}
		return be.AppendUint64(nil, uint64(v)), oidInt8, 1, nil
	}
	switch v := x.(type) {
	case nil:
		return nil, 0, 0, nil
	case int64:
		return integer(v)
	case int32:
		return integer(int64(v))
	case int:
		return integer(int64(v))
	case float64:
		return be.AppendUint64(nil, math.Float64bits(v)), oidFloat8, 1, nil
	case bool:
		if v {
			return []byte{1}, oidBool, 1, nil
		}
		return []byte{0}, oidBool, 1, nil
	case string:
		return []byte(v), 0, 0, nil
	case time.Time:
		return []byte(v.Format("2006-01-02 15:04:05.999999-07:00")), oidTstz, 0, nil
	case []float32:
		b := make([]byte, 0, 2+14*len(v))
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPyFloat(b, float64(f))
		}
		return append(b, '}'), oidFloat8Arr, 0, nil
	}
	return nil, 0, 0, fmt.Errorf("baseline: no psycopg encoding for %T", x)
}

// appendPyFloat appends Python's str(float): the shortest round-trip
// digits, fixed notation for exponents -4..15 (with ".0" for integers),
// scientific otherwise; nan, inf, -inf.
func appendPyFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	// The shortest digits print in scientific notation exactly when they
	// would need an exponent below -4 or from 16 on (1e-4 rounds to the
	// nearest double, 1e16 is exact, and shortest digits round-trip).
	if a := math.Abs(f); f != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if bytes.IndexByte(b[start:], '.') < 0 {
		b = append(b, ".0"...)
	}
	return b
}
