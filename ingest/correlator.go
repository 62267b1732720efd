package ingest

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// ---------------------------------------------------------------------------
// array_signal_source (hera-mc.md §3.1)

func runSignalSource(g *gctx) error {
	const table = "array_signal_source"
	in, ok, err := g.requireHash(table, "corr:status:input", "source", "time")
	if err != nil || !ok {
		return err
	}
	source, ts := in["source"], in["time"]
	need := func(key string, h map[string]string, field string) (string, bool) {
		v, ok := h[field]
		if !ok {
			g.skip(table, key, field, "field missing")
		}
		return v, ok
	}
	// Each time is checked on its own, so that a bad one is reported
	// under its own key (max() would carry a NaN or Inf of either).
	unixTime := func(key, v string) (float64, bool) {
		u, err := ParsePyFloat(v)
		if err == nil {
			_, err = GPSFromUnix(u)
		}
		if err != nil {
			g.skip(table, key, "time", err.Error())
			return 0, false
		}
		return u, true
	}
	snapTime, ok := unixTime("corr:status:input", ts)
	if !ok {
		return nil
	}
	var value string
	t, timeKey := snapTime, "corr:status:input"
	switch source {
	case "adc":
		fem, ok, err := g.hgetall(table, "corr:fem_switch_state")
		if err != nil || !ok {
			return err
		}
		if len(fem) == 0 {
			g.skip(table, "corr:fem_switch_state", "", "key missing (needed when source is adc)")
			return nil
		}
		state, ok := need("corr:fem_switch_state", fem, "state")
		if !ok {
			return nil
		}
		fts, ok := need("corr:fem_switch_state", fem, "time")
		if !ok {
			return nil
		}
		femTime, ok := unixTime("corr:fem_switch_state", fts)
		if !ok {
			return nil
		}
		switch state {
		case "antenna", "load", "noise":
			value = state
		default:
			g.skip(table, "corr:fem_switch_state", "state", fmt.Sprintf("unknown FEM state %q", clip(state)))
			return nil
		}
		if femTime > snapTime {
			t, timeKey = femTime, "corr:fem_switch_state"
		}
	case "noise":
		switch in["seed"] {
		case "same":
			value = "digital_same_seed"
		case "diff":
			value = "digital_different_seed"
		default:
			g.skip(table, "corr:status:input", "seed", fmt.Sprintf("unknown seed %q", clip(in["seed"])))
			return nil
		}
	default:
		g.skip(table, "corr:status:input", "source", fmt.Sprintf("unknown source %q", clip(source)))
		return nil
	}
	gt, err := FloorGPS(t)
	if err != nil {
		g.skip(table, timeKey, "time", err.Error())
		return nil
	}
	rows := newRows(table, "time", "source")
	rows.add(gt, value)
	return g.writeAll(rows)
}

// ---------------------------------------------------------------------------
// correlator_component_event_time (§3.2)

// fengSyncGPS is gps(float(ms) * 1e-3), unfloored, with the reference's
// float64 arithmetic (a multiply by 1e-3, not a divide by 1000).
func fengSyncGPS(v string) (float64, error) {
	ms, err := ParsePyFloat(v)
	if err != nil {
		return 0, err
	}
	u := float64(ms * 1e-3) // explicit conversion: no fused multiply-add
	return GPSFromUnix(u)
}

func runEventTime(g *gctx) error {
	const table = "correlator_component_event_time"
	rows := newRows(table, "component", "event", "time")
	if v, exists, ok, err := g.get(table, "corr:feng_sync_time"); err != nil {
		return err
	} else if ok && !exists {
		g.skip(table, "corr:feng_sync_time", "", "key missing")
	} else if ok {
		if t, err := fengSyncGPS(v); err != nil {
			g.skip(table, "corr:feng_sync_time", "", err.Error())
		} else {
			rows.add("f_engine", "sync", t)
		}
	}

	h, ok, err := g.hgetall(table, "corr:is_taking_data")
	if err != nil {
		return err
	}
	var catcherEvent string
	var catcherTime float64
	haveCatcher := false
	if ok && len(h) > 0 {
		ts, has := h["time"]
		state, hasState := h["state"]
		u, perr := ParsePyFloat(ts)
		switch {
		case !hasState:
			// The original indexes state (KeyError): no event is guessed.
			g.skip(table, "corr:is_taking_data", "state", "field missing")
		case !has:
			g.skip(table, "corr:is_taking_data", "time", "field missing")
		case perr != nil:
			g.skip(table, "corr:is_taking_data", "time", perr.Error())
		default:
			if catcherTime, err = GPSFromUnix(u); err != nil {
				g.skip(table, "corr:is_taking_data", "time", err.Error())
				break
			}
			catcherEvent = "stop"
			if state == "True" {
				catcherEvent = "start"
			}
			haveCatcher = true
			rows.add("catcher", catcherEvent, catcherTime)
		}
	}
	expired := ok && len(h) == 0

	return g.tx(func(tx pgx.Tx) error {
		var lastEvent string
		var lastTime float64
		err := tx.QueryRow(g.ctx, `SELECT event, time FROM correlator_component_event_time
			WHERE component = 'catcher' AND time <= $1 ORDER BY time DESC LIMIT 1`, g.nowGPSF).Scan(&lastEvent, &lastTime)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		hasLast := err == nil
		switch {
		case expired && hasLast && lastEvent == "start":
			rows.add("catcher", "stop_timeout", g.nowGPSF)
		case haveCatcher && catcherEvent == "start" && hasLast && lastEvent == "stop_timeout" && catcherTime < lastTime:
			var lastStart float64
			err := tx.QueryRow(g.ctx, `SELECT time FROM correlator_component_event_time
				WHERE component = 'catcher' AND event = 'start' ORDER BY time DESC LIMIT 1`).Scan(&lastStart)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if err == nil && catcherTime >= lastStart {
				// Deviation (quirk 2): only the stop_timeout rows after the
				// new start are touched, as the original meant.
				tag, err := tx.Exec(g.ctx, `DELETE FROM correlator_component_event_time
					WHERE component = 'catcher' AND event = 'stop_timeout' AND time > $1`, catcherTime)
				if err != nil {
					return err
				}
				if catcherTime > lastStart && tag.RowsAffected() > 0 {
					// A new start before the timeout: the catcher stopped
					// 1 s before it started again.
					rows.add("catcher", "stop_timeout", catcherTime-1)
				}
			}
		}
		return g.write(tx, rows)
	})
}

// ---------------------------------------------------------------------------
// correlator_catcher_file (§3.3)

func runCatcherFile(g *gctx) error {
	const table, key = "correlator_catcher_file", "corr:current_file"
	h, ok, err := g.requireHash(table, key, "filename", "time")
	if err != nil || !ok {
		return err
	}
	fn, ts := h["filename"], h["time"]
	u, err := ParsePyFloat(ts)
	var t int64
	if err == nil {
		t, err = FloorGPS(u)
	}
	if err != nil {
		g.skip(table, key, "time", err.Error())
		return nil
	}
	var name any = fn
	switch {
	case !isText(fn):
		g.null(table, key, "filename", notText)
		name = nil
	case strings.ToUpper(fn) == "NONE":
		name = nil
	}
	rows := newRows(table, "time", "filename")
	rows.add(t, name)
	return g.writeAll(rows)
}

// ---------------------------------------------------------------------------
// correlator_file_queues (§3.4)

// FileQueues maps the queue names to their Redis keys, in the reference's
// order; hash queues are marked.
var FileQueues = []struct {
	Queue, Key string
	Hash       bool
}{
	{"raw", "corr:files:raw", false},
	{"conversion_purgatory", "corr:files:purgatory", true},
	{"conversion_failed", "corr:files:failed", false},
	{"converted", "corr:files:converted", false},
	{"lib_upload_purgatory", "corr:files:lib_purgatory", true},
	{"lib_upload_failed", "corr:files:lib_failed", false},
	{"lib_uploaded", "corr:files:uploaded", false},
}

func runFileQueues(g *gctx) error {
	const table = "correlator_file_queues"
	rows := newRows(table, "time", "queue", "length", "oldest_entry", "newest_entry")
	for _, q := range FileQueues {
		if q.Hash {
			h, ok, err := g.hgetall(table, q.Key)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			var oldest, newest any
			if len(h) > 0 {
				names := make([]string, 0, len(h))
				for k := range h {
					names = append(names, k)
				}
				sortCodePoints(names)
				oldest, newest = g.queueEntry(q.Key, "oldest_entry", names[0]), g.queueEntry(q.Key, "newest_entry", names[len(names)-1])
			}
			rows.add(g.nowGPS, q.Queue, int32(len(h)), oldest, newest)
			continue
		}
		n, err := g.rdb.LLen(g.ctx, q.Key).Result()
		if isWrongType(err) {
			g.skip(table, q.Key, "", "wrong Redis type: "+g.keyType(q.Key)+", want list")
			continue
		}
		if err != nil {
			return fmt.Errorf("LLEN %s: %w", q.Key, err)
		}
		var oldest, newest any
		if n > 0 {
			// Deviation (quirk 3): plain filenames, not '{filename}'. An
			// end that is gone (the list emptied since LLEN) is NULL.
			end := func(i int64, column string) (any, error) {
				v, err := g.rdb.LIndex(g.ctx, q.Key, i).Result()
				if err == redis.Nil {
					return nil, nil
				}
				if err != nil {
					return nil, fmt.Errorf("LINDEX %s: %w", q.Key, err)
				}
				return g.queueEntry(q.Key, column, v), nil
			}
			if oldest, err = end(0, "oldest_entry"); err != nil {
				return err
			}
			if newest, err = end(-1, "newest_entry"); err != nil {
				return err
			}
		}
		if n > math.MaxInt32 {
			g.null(table, q.Key, "length", "length out of range")
			rows.add(g.nowGPS, q.Queue, nil, oldest, newest)
			continue
		}
		rows.add(g.nowGPS, q.Queue, int32(n), oldest, newest)
	}
	return g.writeAll(rows)
}

// queueEntry is a file queue's oldest or newest entry, NULL (reported) when
// it is not text PostgreSQL can store.
func (g *gctx) queueEntry(key, column, v string) any {
	if !isText(v) {
		g.null("correlator_file_queues", key, column, notText)
		return nil
	}
	return v
}

// sortCodePoints sorts as Python sorts str: by code point. Go's string order
// is by UTF-8 byte, which is the same order for valid UTF-8.
func sortCodePoints(s []string) { sort.Strings(s) }

// ---------------------------------------------------------------------------
// correlator_file_eod (§3.5)

var eodColumn = map[int64]string{0: "time_start", 1: "time_converted", 2: "time_uploaded", -1: "time_launch_failed"}

func runFileEOD(g *gctx) error {
	const table, key = "correlator_file_eod", "corr:files:jds"
	h, ok, err := g.hgetall(table, key)
	if err != nil || !ok {
		return err
	}
	// int(gps(now)): truncation, the same as floor for positive values.
	now := int64(g.nowGPSF)
	type jdStatus struct {
		jd     int64
		col    string // "" for an unknown status
		status string // the status as read, for the report
		field  string
	}
	// The original's {int(field): int(value)} holds one status per JD: of
	// fields spelling the same JD ("2461000", "+2461000"), the canonical
	// one is kept (else the first in byte order) and the others reported.
	byJD := map[int64]jdStatus{}
	fields := make([]string, 0, len(h))
	for f := range h {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		jd, err := ParsePyInt(f)
		if err != nil {
			g.skip(table, key, f, "JD: "+err.Error())
			continue
		}
		// A status beyond int64 is still an int there: an unknown one.
		st, big, err := parsePyInt(h[f])
		if err != nil && !big {
			g.skip(table, key, f, "status: "+err.Error())
			continue
		}
		e := jdStatus{jd, eodColumn[st], strconv.FormatInt(st, 10), f}
		if big {
			e.col, e.status = "", clip(stripPy(h[f]))
		}
		if prev, dup := byJD[jd]; dup {
			if f == strconv.FormatInt(jd, 10) {
				prev, e = e, prev
			}
			g.skip(table, key, e.field, fmt.Sprintf("JD %d also given by field %q", jd, clip(prev.field)))
			e = prev
		}
		byJD[jd] = e
	}
	list := make([]jdStatus, 0, len(byJD))
	for _, e := range byJD {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].jd < list[j].jd })
	// One statement per status column over all its JDs (the hash keeps
	// every JD the catcher has seen); the baseline runs it per JD.
	byCol := map[string][]int64{}
	var cols []string
	for _, e := range list {
		if _, seen := byCol[e.col]; !seen {
			cols = append(cols, e.col)
		}
		byCol[e.col] = append(byCol[e.col], e.jd)
	}
	sort.Strings(cols)
	return g.tx(func(tx pgx.Tx) error {
		changed := map[int64]bool{}
		for _, col := range cols {
			jds := byCol[col]
			if g.opts.perRowInserts {
				for _, jd := range jds {
					if err := g.eodWrite(tx, col, []int64{jd}, now, changed); err != nil {
						return err
					}
				}
			} else if err := g.eodWrite(tx, col, jds, now, changed); err != nil {
				return err
			}
		}
		for _, e := range list {
			if e.col != "" {
				continue
			}
			if !changed[e.jd] {
				// The original inserts an all-NULL row for a new JD and
				// fails for an existing one; this skips the existing one only.
				g.skip(table, key, e.field, "unknown status "+e.status)
			} else {
				g.null(table, key, e.field, "unknown status "+e.status+": row with no times")
			}
		}
		g.pending[table] += int64(len(changed))
		return nil
	})
}

// eodWrite sets column col to now for jds where it is NULL, inserting the
// JDs that have no row; col "" inserts rows with no times for new JDs.
// The JDs whose row was inserted or changed are added to changed.
func (g *gctx) eodWrite(tx pgx.Tx, col string, jds []int64, now int64, changed map[int64]bool) error {
	const table = "correlator_file_eod"
	var sql string
	var args []any
	if col == "" {
		if writeHook != nil {
			hookRow(table, []string{"jd"}, jds[0])
		}
		sql = `INSERT INTO correlator_file_eod (jd) SELECT j FROM unnest($1::bigint[]) AS j
			ON CONFLICT DO NOTHING RETURNING jd`
		args = []any{jds}
	} else {
		if writeHook != nil {
			hookRow(table, []string{"jd", col}, jds[0], now)
		}
		sql = fmt.Sprintf(`INSERT INTO correlator_file_eod (jd, %[1]s) SELECT j, $2::bigint FROM unnest($1::bigint[]) AS j
			ON CONFLICT (jd) DO UPDATE SET %[1]s = EXCLUDED.%[1]s WHERE correlator_file_eod.%[1]s IS NULL RETURNING jd`, col)
		args = []any{jds, now}
	}
	rows, err := tx.Query(g.ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var jd int64
		if err := rows.Scan(&jd); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		changed[jd] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}
