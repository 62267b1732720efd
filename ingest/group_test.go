package ingest

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
	"github.com/redis/go-redis/v9"
)

// emptyRedis is a miniredis the test fills with commands.
func emptyRedis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	m := miniredis.RunT(t)
	rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rc.Close() })
	return m, rc
}

func runAt(t *testing.T, rc *redis.Client, db *pgxpool.Pool, at time.Time, only ...string) *Report {
	t.Helper()
	rep, err := Run(context.Background(), rc, db, Options{Now: func() time.Time { return at }, Only: only, Hostname: "h"})
	if err != nil {
		t.Fatalf("pass at %v: %v", at, err)
	}
	return rep
}

func events(t *testing.T, db *pgxpool.Pool) []string {
	rows := rowMaps(t, db, `SELECT event, time FROM correlator_component_event_time WHERE component = 'catcher' ORDER BY time, event`)
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s@%.0f", r["event"], r["time"]))
	}
	return out
}

// TestCatcherTimeout: the stop_timeout bookkeeping with the intended time
// filter (deviation 2).
func TestCatcherTimeout(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	g := func(d time.Duration) float64 { return float64(base.Add(d).Unix()) - 315964782 }
	start := base.Unix()
	m.HSet("corr:is_taking_data", "state", "True", "time", fmt.Sprint(start))
	runAt(t, rc, db, base.Add(10*time.Second), "event_time")

	// The key expires: stop_timeout at the pass time.
	m.Del("corr:is_taking_data")
	runAt(t, rc, db, base.Add(100*time.Second), "event_time")
	want := []string{fmt.Sprintf("start@%.0f", g(0)), fmt.Sprintf("stop_timeout@%.0f", g(100*time.Second))}
	if got := events(t, db); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("after expiry: %v, want %v", got, want)
	}
	// A second pass without the key adds nothing (the last event is no start).
	runAt(t, rc, db, base.Add(160*time.Second), "event_time")
	if got := events(t, db); len(got) != 2 {
		t.Fatalf("repeated timeout: %v", got)
	}

	// The same start comes back (the key only lapsed): the spurious
	// stop_timeout after it is deleted.
	m.HSet("corr:is_taking_data", "state", "True", "time", fmt.Sprint(start))
	runAt(t, rc, db, base.Add(200*time.Second), "event_time")
	want = []string{fmt.Sprintf("start@%.0f", g(0))}
	if got := events(t, db); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("same start back: %v, want %v", got, want)
	}

	// Expire again, then a new start earlier than the timeout: the timeout
	// moves to 1 s before the new start.
	m.Del("corr:is_taking_data")
	runAt(t, rc, db, base.Add(400*time.Second), "event_time")
	m.HSet("corr:is_taking_data", "state", "True", "time", fmt.Sprint(start+300))
	runAt(t, rc, db, base.Add(410*time.Second), "event_time")
	want = []string{fmt.Sprintf("start@%.0f", g(0)), fmt.Sprintf("stop_timeout@%.0f", g(299*time.Second)), fmt.Sprintf("start@%.0f", g(300*time.Second))}
	if got := events(t, db); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("new start: %v, want %v", got, want)
	}

	// A stop: event 'stop' at its time.
	m.HSet("corr:is_taking_data", "state", "False", "time", fmt.Sprint(start+500))
	runAt(t, rc, db, base.Add(510*time.Second), "event_time")
	if got := events(t, db); got[len(got)-1] != fmt.Sprintf("stop@%.0f", g(500*time.Second)) {
		t.Fatalf("stop: %v", got)
	}
}

// TestFileEOD: first observation of each status wins; unknown statuses.
func TestFileEOD(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	gps := func(d time.Duration) int64 { return base.Add(d).Unix() - 315964782 }
	m.HSet("corr:files:jds", "2461000", "0", "2461001", "7", "x", "1", "2461002", "one")
	rep := runAt(t, rc, db, base, "file_eod")
	m.HSet("corr:files:jds", "2461000", "1", "2461001", "9")
	rep2 := runAt(t, rc, db, base.Add(time.Minute), "file_eod")
	m.HSet("corr:files:jds", "2461000", "0")
	runAt(t, rc, db, base.Add(2*time.Minute), "file_eod")
	rows := rowMaps(t, db, `SELECT * FROM correlator_file_eod ORDER BY jd`)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	if rows[0]["time_start"] != gps(0) || rows[0]["time_converted"] != gps(time.Minute) || rows[0]["time_uploaded"] != nil {
		t.Errorf("jd 2461000: %v", rows[0])
	}
	if rows[1]["time_start"] != nil || rows[1]["time_converted"] != nil {
		t.Errorf("jd 2461001 (unknown status): %v", rows[1])
	}
	skipped := func(r *Report, field string) bool {
		for _, s := range r.Skipped {
			if s.Field == field {
				return true
			}
		}
		return false
	}
	if !skipped(rep, "x") || !skipped(rep, "2461002") || !skipped(rep, "2461001") {
		t.Errorf("first pass skips: %+v", rep.Skipped)
	}
	if !skipped(rep2, "2461001") || rep2.Rows("correlator_file_eod") != 1 {
		t.Errorf("second pass: %d rows, skips %+v", rep2.Rows("correlator_file_eod"), rep2.Skipped)
	}
}

const testConfig = `fpgfile: f.fpg
fft_shift: 15086
dest_port: 8511
log_walsh_step_size: 3
walsh_order: 32
walsh_delay: 600
fengines:
  heraNode2Snap1: {ants: [3, 4, 5], phase_switch_index: [7, 8, 9, 10, 11, 12]}
  heraNode10Snap0: {ants: [0, 1, 2], phase_switch_index: [1, 2, 3, 4, 5, 6]}
xengines:
  10: {chan_range: [1536, 1920], even: {ip: 10.0.0.1, mac: 2207786215621}, odd: {ip: 10.0.0.2, mac: 2207786215622}}
  2: {chan_range: [0, 384], even: {ip: 10.0.0.3, mac: 1}, odd: {ip: 10.0.0.4, mac: 2}}
`

func TestParseCorrelatorConfig(t *testing.T) {
	c, err := parseCorrelatorConfig(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{}
	for _, kv := range c.params {
		p[kv[0]] = kv[1]
	}
	want := map[string]string{"fft_shift": "15086", "fpgfile": "f.fpg", "fengines": "heraNode10Snap0,heraNode2Snap1",
		"xengines": "2,10", "x10:chan_range": "1536,1920", "x10:even:mac": "2207786215621", "x2:odd:ip": "10.0.0.4"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	if len(c.inputs) != 6 || c.inputs[0] != (configInput{0, "heraNode10Snap0", 0}) || len(c.psi) != 12 || c.psi[11] != (configPSI{"heraNode2Snap1", 12, 5}) {
		t.Errorf("inputs %v psi %v", c.inputs, c.psi)
	}
	for _, bad := range []string{"fengines: [", "just text", strings.Replace(testConfig, "walsh_delay: 600\n", "", 1),
		strings.Replace(testConfig, "ants: [3, 4, 5]", "ants: [a, b]", 1)} {
		if _, err := parseCorrelatorConfig(bad); err == nil {
			t.Errorf("config accepted: %.40q", bad)
		}
	}
}

// TestConfigStatus: a new upload time of the same config adds a status row
// only; another config at an already used second is reported.
func TestConfigStatus(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	up := base.Add(-time.Hour).Unix()
	m.HSet("snap_configuration", "config", testConfig, "md5", "aaa", "upload_time", fmt.Sprint(up))
	runAt(t, rc, db, base, "config")
	runAt(t, rc, db, base.Add(time.Minute), "config") // unchanged: nothing
	m.HSet("snap_configuration", "upload_time", fmt.Sprint(up+600))
	runAt(t, rc, db, base.Add(2*time.Minute), "config")
	if n := count(t, db, `SELECT count(*) FROM correlator_config_status WHERE config_hash = 'aaa'`); n != 2 {
		t.Errorf("%d status rows, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_config_file`); n != 1 {
		t.Errorf("%d file rows", n)
	}
	m.HSet("snap_configuration", "md5", "bbb")
	rep := runAt(t, rc, db, base.Add(3*time.Minute), "config")
	if len(rep.Skipped) != 1 || rep.Skipped[0].Table != "correlator_config_status" {
		t.Errorf("clash not reported: %+v", rep.Skipped)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_config_params WHERE config_hash = 'bbb'`); n != 18 {
		t.Errorf("params of the second config: %d", n)
	}
}

// TestRequiredKeys: missing keys and keys of the wrong type are reported,
// never a failed pass.
func TestRequiredKeys(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.Set("corr:status:input", "x")
	m.Set("corr:map", "x")
	m.Set("corr:current_file", "x")
	m.HSet("auto:timestamp", "a", "b")
	m.Set("status:node:3", "x")
	m.HSet("corr:feng_sync_time", "a", "b")
	m.Set("corr:files:jds", "x")
	m.Set("snap_log", "x")
	m.Set("init_configuration", "x")
	rep, err := Run(context.Background(), rc, db, Options{Now: fixedNow})
	if err != nil {
		t.Fatalf("pass failed: %v", err)
	}
	keys := strings.Join(rep.SkippedKeys("skipped"), " ")
	for _, k := range []string{"corr:status:input", "corr:map", "corr:current_file", "auto:timestamp", "status:node:3",
		"corr:feng_sync_time", "corr:files:jds", "snap_log", "init_configuration", "snap_configuration"} {
		if !strings.Contains(keys, k) {
			t.Errorf("%s not reported (%s)", k, keys)
		}
	}
	if rep.Rows("correlator_file_queues") != 7 {
		t.Errorf("empty queues: %d rows, want 7", rep.Rows("correlator_file_queues"))
	}
}

// TestLogChannel: mc-log-channel messages at NOTIFY and above are stored.
func TestLogChannel(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ListenLog(ctx, rc, db, Options{Hostname: "logger"}) }()
	for i := 0; m.PubSubNumSub(LogChannel)[LogChannel] == 0; i++ {
		if i > 1000 {
			t.Fatal("listener did not subscribe within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	msgs := []string{
		`{"subsystem": "correlator", "levelno": 40, "severity": 2, "message": "snap heraNode1Snap0 lost", "logtime": 1700000000.5}`,
		`{"subsystem": "correlator", "levelno": 20, "severity": 5, "message": "info only", "logtime": 1700000001}`,
		`UnicodeDecodeError on emit!`,
		`{not json`,
		`{"subsystem": "correlator", "levelno": 21, "severity": 4, "message": "notify", "logtime": 1700000002}`,
	}
	for _, s := range msgs {
		m.Publish(LogChannel, s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for count(t, db, `SELECT count(*) FROM subsystem_error`) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows := rowMaps(t, db, `SELECT time, subsystem, severity, log, mc_time FROM subsystem_error ORDER BY time`)
	if len(rows) != 2 || rows[0]["time"] != int64(1700000000-315964782) || rows[0]["severity"] != int32(2) ||
		rows[0]["log"] != "snap heraNode1Snap0 lost" || rows[1]["log"] != "notify" || rows[0]["subsystem"] != "correlator" {
		t.Errorf("rows %v", rows)
	}
	if mc := rows[0]["mc_time"].(int64); mc < time.Now().Unix()-315964782-60 {
		t.Errorf("mc_time %d is not the database clock", mc)
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = 'mc_listen_to_corr_logger' AND hostname = 'logger' AND status = 'good'`); n != 1 {
		t.Error("logger daemon_status missing")
	}
}

// TestDaemonLivenessHost: a daemon without a key is errored under the host
// it was last seen on (deviation 5).
func TestDaemonLivenessHost(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	m.Set("status:script:nodehost:/opt/hera_node_receiver.py", "alive")
	m.Set("status:script:snaphost:/opt/hera_snap_redis_monitor.py", "alive")
	runAt(t, rc, db, base, "daemons")
	m.Del("status:script:nodehost:/opt/hera_node_receiver.py")
	runAt(t, rc, db, base.Add(24*time.Hour), "daemons")
	rows := rowMaps(t, db, `SELECT hostname, status FROM daemon_status WHERE name = 'hera_node_receiver.py' ORDER BY jd`)
	if len(rows) != 2 || rows[0]["status"] != "good" || rows[1]["hostname"] != "nodehost" || rows[1]["status"] != "errored" {
		t.Errorf("rows %v", rows)
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = 'hera_cmd_handler.py' AND hostname = 'unknown' AND status = 'errored'`); n != 2 {
		t.Errorf("never-seen daemon rows: %d", n)
	}
}

// TestSchemaDrift: at the latest migration, every table the ingest writes
// has every column it writes, each of a type the written Go values map to
// (goColumnTypes), and every NOT NULL column without a default is written.
// writeHook reports the Go types of the values in the rows (the streamed
// autos, daemon_status and subsystem_error report theirs next to their own
// encoding or SQL). The site pass covers the groups, HandleLogMessage
// covers subsystem_error; the site data is topped up where it leaves a
// written column NULL in every row, so that no column escapes the check.
func TestSchemaDrift(t *testing.T) {
	m, rc := loadSite(t)
	fillNullOnlyFields(t, m)
	db := pgfixture.DB(t)
	ctx := context.Background()
	written := map[string][]hookCol{}
	writeHook = func(table string, cols []hookCol) { written[table] = mergeHookCols(written[table], cols) }
	defer func() { writeHook = nil }()
	if _, err := Run(ctx, rc, db, Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	stored, err := HandleLogMessage(ctx, db,
		`{"subsystem": "correlator", "levelno": 40, "severity": 2, "message": "drift", "logtime": 1700000000.5}`,
		Options{Hostname: "h"})
	if err != nil || !stored {
		t.Fatalf("log message: stored %v, %v", stored, err)
	}
	writeHook = nil

	for _, g := range Groups() {
		for _, table := range g.Tables {
			if _, ok := written[table]; !ok {
				t.Errorf("table %s of group %s never written by the site pass", table, g.Name)
			}
		}
	}
	if _, ok := written["subsystem_error"]; !ok {
		t.Error("subsystem_error never written")
	}
	schema := map[string][]migrations.Column{}
	for table := range written {
		cols, err := migrations.Columns(ctx, db, table)
		if err != nil {
			t.Fatal(err)
		}
		schema[table] = cols
	}
	for _, e := range schemaDrift(written, schema, goColumnTypes) {
		t.Error(e)
	}

	// The check fails when the types do not match: a wrong mapping, a wrong
	// written type, a column the schema lacks, a type it cannot check.
	wrongTime := map[reflect.Type][]string{}
	for k, v := range goColumnTypes {
		wrongTime[k] = v
	}
	wrongTime[reflect.TypeFor[int64]()] = []string{"integer"}
	floatValue := []hookCol{{"time", []reflect.Type{reflect.TypeFor[int64]()}}, {"antenna_number", []reflect.Type{reflect.TypeFor[int32]()}},
		{"antenna_feed_pol", []reflect.Type{reflect.TypeFor[string]()}}, {"measurement_type", []reflect.Type{reflect.TypeFor[string]()}},
		{"value", []reflect.Type{reflect.TypeFor[float32]()}}}
	for _, c := range []struct {
		name    string
		table   string
		cols    []hookCol
		mapping map[reflect.Type][]string
		want    string
	}{
		{"wrong mapping", "hera_autos", written["hera_autos"], wrongTime,
			"hera_autos.time: Go type int64 written to a column of type bigint (int64 maps to integer)"},
		{"wrong written type", "hera_autos", floatValue, goColumnTypes,
			"hera_autos.value: Go type float32 written to a column of type double precision (float32 maps to real)"},
		{"spectrum as float64s", "hera_auto_spectrum", []hookCol{{"spectrum", []reflect.Type{reflect.TypeFor[[]float64]()}}}, goColumnTypes,
			"hera_auto_spectrum.spectrum: Go type []float64 written to a column of type real[] ([]float64 maps to double precision[])"},
		{"varchar as int", "daemon_status", []hookCol{{"name", []reflect.Type{reflect.TypeFor[int64]()}}}, goColumnTypes,
			"daemon_status.name: Go type int64 written to a column of type character varying(32) (int64 maps to bigint)"},
		{"unknown Go type", "subsystem_error", []hookCol{{"severity", []reflect.Type{reflect.TypeFor[int]()}}}, goColumnTypes,
			"subsystem_error.severity: Go type int written to a column of type integer (int maps to no PostgreSQL type)"},
		{"missing column", "subsystem_error", []hookCol{{"sevrity", []reflect.Type{reflect.TypeFor[int32]()}}}, goColumnTypes,
			"subsystem_error.sevrity: written but not in the schema"},
		{"only NULLs", "subsystem_error", []hookCol{{"log", nil}}, goColumnTypes,
			"subsystem_error.log: only NULL written, its type is not checked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := schemaDrift(map[string][]hookCol{c.table: c.cols}, map[string][]migrations.Column{c.table: schema[c.table]}, c.mapping)
			if !slices.Contains(errs, c.want) {
				t.Errorf("errors %q, want %q among them", errs, c.want)
			}
		})
	}
}

// goColumnTypes maps the Go type of the values the ingest writes to the
// column types (format_type, without its modifier: "character varying(32)"
// is "character varying") they may land in.
var goColumnTypes = map[reflect.Type][]string{
	reflect.TypeFor[int64]():     {"bigint"},
	reflect.TypeFor[int32]():     {"integer"},
	reflect.TypeFor[int16]():     {"smallint"},
	reflect.TypeFor[float64]():   {"double precision"},
	reflect.TypeFor[float32]():   {"real"},
	reflect.TypeFor[string]():    {"text", "character varying"},
	reflect.TypeFor[bool]():      {"boolean"},
	reflect.TypeFor[time.Time](): {"timestamp with time zone", "timestamp without time zone"},
	reflect.TypeFor[[]byte]():    {"bytea"},
	reflect.TypeFor[[]float32](): {"real[]"},
	reflect.TypeFor[[]float64](): {"double precision[]"},
	reflect.TypeFor[[]int64]():   {"bigint[]"},
	reflect.TypeFor[[]int32]():   {"integer[]"},
	reflect.TypeFor[[]string]():  {"text[]", "character varying[]"},
}

// typeModifier is the modifier format_type adds: (32), (6), (10,2).
var typeModifier = regexp.MustCompile(`\(\d+(,\d+)?\)`)

// schemaDrift compares the written columns with the schema's, using mapping
// for the types, and returns one message per mismatch, sorted.
func schemaDrift(written map[string][]hookCol, schema map[string][]migrations.Column, mapping map[reflect.Type][]string) []string {
	var errs []string
	for table, cols := range written {
		byName := map[string]migrations.Column{}
		for _, c := range schema[table] {
			byName[c.Name] = c
		}
		seen := map[string]bool{}
		for _, c := range cols {
			seen[c.name] = true
			sc, ok := byName[c.name]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: written but not in the schema", table, c.name))
				continue
			}
			if len(c.types) == 0 {
				errs = append(errs, fmt.Sprintf("%s.%s: only NULL written, its type is not checked", table, c.name))
			}
			base := typeModifier.ReplaceAllString(sc.Type, "")
			for _, gt := range c.types {
				want := mapping[gt]
				if slices.Contains(want, base) {
					continue
				}
				maps := "no PostgreSQL type"
				if len(want) > 0 {
					maps = strings.Join(want, " or ")
				}
				errs = append(errs, fmt.Sprintf("%s.%s: Go type %v written to a column of type %s (%v maps to %s)",
					table, c.name, gt, sc.Type, gt, maps))
			}
		}
		for _, c := range schema[table] {
			if !c.Nullable && c.Default == "" && !seen[c.Name] {
				errs = append(errs, fmt.Sprintf("%s.%s: NOT NULL without default and not written", table, c.Name))
			}
		}
	}
	sort.Strings(errs)
	return errs
}

// mergeHookCols adds the columns and types of one more write of a table.
func mergeHookCols(have, more []hookCol) []hookCol {
	for _, m := range more {
		i := slices.IndexFunc(have, func(h hookCol) bool { return h.name == m.name })
		if i < 0 {
			have = append(have, hookCol{name: m.name})
			i = len(have) - 1
		}
		for _, typ := range m.types {
			if !slices.Contains(have[i].types, typ) {
				have[i].types = append(have[i].types, typ)
			}
		}
	}
	return have
}

// fillNullOnlyFields sets the hash fields the site data lacks for every
// record, so that their columns are written with a value at least once:
// the white rabbit build and FRU details, and the SNAPs' PMB alert and last
// programming time.
func fillNullOnlyFields(t *testing.T, m *miniredis.Miniredis) {
	t.Helper()
	var wr, snaps int
	for _, k := range m.Keys() {
		switch {
		case strings.HasPrefix(k, "status:wr:"):
			m.HSet(k, "board_info_str", "board", "sw_build_date", "2024-01-02T03:04:05", "wr_gw_date", "24-01-02",
				"wr_gw_version", "v5", "wr_gw_id", "id", "wr_build", "b1", "wr_fru_custom", "tag", "wr_fru_device", "dev",
				"wr_fru_fid", "2023-05-06", "wr_fru_partnum", "pn", "wr_fru_serial", "sn", "wr_fru_vendor", "vendor")
			wr++
		case strings.HasPrefix(k, "status:snap:"):
			m.HSet(k, "pmb_alert", "0", "last_programmed", "2024-01-02 03:04:05")
			snaps++
		}
	}
	if wr == 0 || snaps == 0 {
		t.Fatalf("site data: %d status:wr and %d status:snap keys", wr, snaps)
	}
}
