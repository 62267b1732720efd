package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// corrTables are the tables of the correlator half this file checks, with
// the rows the good site of fillCorr gives each.
var corrTables = map[string]int{
	"array_signal_source":                  1,
	"correlator_component_event_time":      2,
	"correlator_catcher_file":              1,
	"correlator_file_queues":               7,
	"correlator_file_eod":                  1,
	"correlator_config_file":               2,
	"correlator_config_yaml":               2,
	"correlator_config_status":             2,
	"correlator_config_active_snap":        4,
	"correlator_config_input_index":        12,
	"correlator_config_phase_switch_index": 24,
	"correlator_config_params":             36,
	"snap_config_version":                  1,
	"correlator_software_versions":         1,
}

var corrGroups = []string{"signal_source", "event_time", "catcher_file", "file_queues", "file_eod", "config", "versions"}

// fillCorr writes a good record in every key the correlator groups read.
func fillCorr(m *miniredis.Miniredis) {
	u := testNow.Add(-10 * time.Minute).Unix()
	m.HSet("corr:status:input", "source", "adc", "seed", "same", "time", fmt.Sprint(u))
	m.HSet("corr:fem_switch_state", "state", "antenna", "time", fmt.Sprint(u+1))
	m.Set("corr:feng_sync_time", fmt.Sprint(1000*(u-3600)))
	m.HSet("corr:is_taking_data", "state", "True", "time", fmt.Sprint(u))
	m.HSet("corr:current_file", "filename", "2461000/zen.2461000.50000.sum.dat", "time", fmt.Sprint(u))
	m.RPush("corr:files:raw", "a.sum.dat", "b.sum.dat")
	m.HSet("corr:files:purgatory", "x.dat", "1", "w.dat", "1")
	m.RPush("corr:files:uploaded", "c.sum.dat")
	m.HSet("corr:files:jds", "2461000", "0")
	m.HSet("snap_configuration", "config", testConfig, "md5", "aaa", "upload_time", fmt.Sprint(u-3600))
	m.HSet("init_configuration", "hera_corr_f_version", "7.1", "init_args", "{}", "init_time", fmt.Sprint(u-1800),
		"config", testConfig, "config_time", fmt.Sprint(u-1800), "md5", "bbb")
	m.HSet("version:hera_corr_f:hera_snap_redis_monitor.py", "version", "7.1", "timestamp", "2026-11-20T11:00:00")
}

// TestS8CorrHostileRecords: each hostile value in one key of the
// correlator half (wrong Redis type, NaN/Inf, huge numbers, empty strings,
// invalid UTF-8, YAML of the wrong shape) loses only its own record: the
// pass succeeds, the key is reported, every other table gets its rows
// (issue 7: one bad record never loses the others). A second pass over the
// same Redis at the same time adds no rows.
func TestS8CorrHostileRecords(t *testing.T) {
	cfg := func(old, new string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) {
			m.HSet("snap_configuration", "config", strings.Replace(testConfig, old, new, 1))
		}
	}
	hset := func(key string, fv ...string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) { m.HSet(key, fv...) }
	}
	asString := func(key string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) { m.Del(key); m.Set(key, "x") }
	}
	asList := func(key string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) { m.Del(key); m.RPush(key, "x") }
	}
	asHash := func(key string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) { m.Del(key); m.HSet(key, "a", "b") }
	}
	set := func(key, v string) func(m *miniredis.Miniredis) {
		return func(m *miniredis.Miniredis) { m.Set(key, v) }
	}
	// What each bad snap_configuration costs: config aaa's rows.
	aaa := map[string]int{"correlator_config_file": 1, "correlator_config_yaml": 1, "correlator_config_status": 1,
		"correlator_config_active_snap": 2, "correlator_config_input_index": 6, "correlator_config_phase_switch_index": 12,
		"correlator_config_params": 18}
	bbb := map[string]int{"snap_config_version": 0}
	for k, v := range aaa {
		bbb[k] = v
	}
	cases := []struct {
		name string
		bad  func(m *miniredis.Miniredis)
		key  string         // reported key
		want map[string]int // tables whose count differs from corrTables
	}{
		{"input string", asString("corr:status:input"), "corr:status:input", map[string]int{"array_signal_source": 0}},
		{"input time nan", hset("corr:status:input", "time", "nan"), "corr:status:input", map[string]int{"array_signal_source": 0}},
		{"input time empty", hset("corr:status:input", "time", ""), "corr:status:input", map[string]int{"array_signal_source": 0}},
		{"input source empty", hset("corr:status:input", "source", ""), "corr:status:input", map[string]int{"array_signal_source": 0}},
		{"input seed bad", hset("corr:status:input", "source", "noise", "seed", "\xff"), "corr:status:input", map[string]int{"array_signal_source": 0}},
		{"fem list", asList("corr:fem_switch_state"), "corr:fem_switch_state", map[string]int{"array_signal_source": 0}},
		{"fem state utf8", hset("corr:fem_switch_state", "state", "ant\xff"), "corr:fem_switch_state", map[string]int{"array_signal_source": 0}},
		{"fem time inf", hset("corr:fem_switch_state", "time", "inf"), "corr:fem_switch_state", map[string]int{"array_signal_source": 0}},
		{"sync hash", asHash("corr:feng_sync_time"), "corr:feng_sync_time", map[string]int{"correlator_component_event_time": 1}},
		{"sync nan", set("corr:feng_sync_time", "nan"), "corr:feng_sync_time", map[string]int{"correlator_component_event_time": 1}},
		{"sync empty", set("corr:feng_sync_time", ""), "corr:feng_sync_time", map[string]int{"correlator_component_event_time": 1}},
		{"sync utf8", set("corr:feng_sync_time", "1\xff"), "corr:feng_sync_time", map[string]int{"correlator_component_event_time": 1}},
		{"sync -1e300", set("corr:feng_sync_time", "-1e300"), "corr:feng_sync_time", map[string]int{"correlator_component_event_time": 1}},
		{"catcher list", asList("corr:is_taking_data"), "corr:is_taking_data", map[string]int{"correlator_component_event_time": 1}},
		{"catcher time nan", hset("corr:is_taking_data", "time", "NaN"), "corr:is_taking_data", map[string]int{"correlator_component_event_time": 1}},
		{"catcher time empty", hset("corr:is_taking_data", "time", ""), "corr:is_taking_data", map[string]int{"correlator_component_event_time": 1}},
		{"file string", asString("corr:current_file"), "corr:current_file", map[string]int{"correlator_catcher_file": 0}},
		{"file time empty", hset("corr:current_file", "time", ""), "corr:current_file", map[string]int{"correlator_catcher_file": 0}},
		{"raw hash", asHash("corr:files:raw"), "corr:files:raw", map[string]int{"correlator_file_queues": 6}},
		{"purgatory list", asList("corr:files:purgatory"), "corr:files:purgatory", map[string]int{"correlator_file_queues": 6}},
		{"purgatory utf8", hset("corr:files:purgatory", "\xff.dat", "1"), "corr:files:purgatory", nil},
		{"jds bad", hset("corr:files:jds", "1e3", "0", "2461001", "nan", "2461002", "", "99999999999999999999", "1", "2461003", "99999999999999999999"),
			"corr:files:jds", map[string]int{"correlator_file_eod": 2}}, // 2461003: an unknown status
		{"jds list", asList("corr:files:jds"), "corr:files:jds", map[string]int{"correlator_file_eod": 0}},
		{"config string", asString("snap_configuration"), "snap_configuration", aaa},
		{"config list", hset("snap_configuration", "config", "- a\n- b\n"), "snap_configuration", aaa},
		{"config scalar", hset("snap_configuration", "config", "5"), "snap_configuration", aaa},
		{"config empty", hset("snap_configuration", "config", ""), "snap_configuration", aaa},
		{"config malformed", hset("snap_configuration", "config", "fengines: [\n\tx"), "snap_configuration", aaa},
		{"config utf8", hset("snap_configuration", "config", testConfig+"# \xff\n"), "snap_configuration", aaa},
		{"config aliases", hset("snap_configuration", "config", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"+
			"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"+
			"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"), "snap_configuration", aaa},
		{"fengines scalar", cfg("fengines:\n", "fengines: 5\nx:\n"), "snap_configuration", aaa},
		{"xengines list", cfg("xengines:\n", "xengines: [1, 2]\nx:\n"), "snap_configuration", aaa},
		{"chan_range scalar", cfg("chan_range: [0, 384]", "chan_range: 7"), "snap_configuration", aaa},
		{"even not a map", cfg("even: {ip: 10.0.0.3, mac: 1}", "even: [1]"), "snap_configuration", aaa},
		{"ants strings", cfg("ants: [3, 4, 5]", "ants: ['3', 4, 5]"), "snap_configuration", aaa},
		{"ants huge", cfg("ants: [3, 4, 5]", "ants: [99999999999, 4, 5]"), "snap_configuration", aaa},
		{"ants float", cfg("ants: [3, 4, 5]", "ants: [3.5, 4, 5]"), "snap_configuration", aaa},
		{"psi map", cfg("phase_switch_index: [1, 2, 3, 4, 5, 6]", "phase_switch_index: {a: 1}"), "snap_configuration", aaa},
		{"fengine list", cfg("heraNode2Snap1: {ants", "heraNode2Snap1: [1]\n  heraNode2Snap9: {ants"), "snap_configuration", aaa},
		{"md5 empty", hset("snap_configuration", "md5", ""), "snap_configuration", aaa},
		{"md5 utf8", hset("snap_configuration", "md5", "a\xff"), "snap_configuration", aaa},
		{"upload nan", hset("snap_configuration", "upload_time", "nan"), "snap_configuration", aaa},
		{"upload missing", func(m *miniredis.Miniredis) { m.HDel("snap_configuration", "upload_time") }, "snap_configuration", aaa},
		{"init config bad", hset("init_configuration", "config", "[1"), "init_configuration", bbb},
		{"init config_time inf", hset("init_configuration", "config_time", "inf"), "init_configuration", bbb},
		{"init list", asList("init_configuration"), "init_configuration", bbb},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, rc := emptyRedis(t)
			db := pgfixture.DB(t)
			fillCorr(m)
			c.bad(m)
			rep, err := Run(context.Background(), rc, db, Options{Now: fixedNow, Hostname: "h", Only: corrGroups})
			if err != nil {
				t.Fatalf("pass failed: %v", err)
			}
			for tb, n := range corrTables {
				if w, ok := c.want[tb]; ok {
					n = w
				}
				if got := count(t, db, "SELECT count(*) FROM "+tb); got != n {
					t.Errorf("%s: %d rows, want %d", tb, got, n)
				}
			}
			found := false
			for _, s := range rep.Skipped {
				found = found || s.Key == c.key
			}
			if !found {
				t.Errorf("%s not reported: %+v", c.key, rep.Skipped)
			}
			rep2, err := Run(context.Background(), rc, db, Options{Now: fixedNow, Hostname: "h", Only: corrGroups})
			if err != nil {
				t.Fatalf("second pass failed: %v", err)
			}
			for tb := range corrTables {
				if n := rep2.Rows(tb); n != 0 {
					t.Errorf("second pass: %d rows in %s", n, tb)
				}
			}
		})
	}
}
