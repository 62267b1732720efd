package ingest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/redis/go-redis/v9"
)

// TestSubsystemTruncatedByCharacter: varchar(32) counts characters
// (hera-mc.md §3.19, §3.20), so a subsystem of up to 32 non-ASCII
// characters is stored whole, and a longer one is cut to 32 characters,
// never inside a character (which PostgreSQL would refuse, losing the
// message).
func TestSubsystemTruncatedByCharacter(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	whole := "a" + strings.Repeat("é", 20) // 21 characters, 41 bytes
	long := strings.Repeat("é", 40)        // 40 characters
	for i, sub := range []string{whole, long} {
		msg := fmt.Sprintf(`{"subsystem": %q, "levelno": 40, "severity": 2, "message": "m%d", "logtime": 1700000000}`, sub, i)
		if stored, err := HandleLogMessage(ctx, db, msg, Options{Hostname: "h"}); err != nil || !stored {
			t.Fatalf("message %d: stored %v, %v", i, stored, err)
		}
	}
	rows := rowMaps(t, db, `SELECT subsystem FROM subsystem_error ORDER BY log`)
	if len(rows) != 2 || rows[0]["subsystem"] != whole || rows[1]["subsystem"] != strings.Repeat("é", 32) {
		t.Errorf("subsystems %v, want %q and 32 × é", rows, whole)
	}
}

// TestLogMessageMissingField: mc_listen_to_corr_logger indexes levelno,
// logtime, subsystem, severity and message (hera-mc.md §3.20); a message
// without one of them (or with null) is malformed and stores nothing,
// instead of a row at Unix time 0 or with an empty subsystem.
func TestLogMessageMissingField(t *testing.T) {
	db := pgfixture.DB(t)
	ctx := context.Background()
	full := map[string]string{"subsystem": `"correlator"`, "levelno": "40", "severity": "2", "message": `"m"`, "logtime": "1700000000"}
	for _, drop := range []string{"subsystem", "levelno", "severity", "message", "logtime"} {
		for _, null := range []bool{false, true} {
			var parts []string
			for k, v := range full {
				if k == drop {
					if !null {
						continue
					}
					v = "null"
				}
				parts = append(parts, fmt.Sprintf("%q: %s", k, v))
			}
			msg := "{" + strings.Join(parts, ", ") + "}"
			stored, err := HandleLogMessage(ctx, db, msg, Options{Hostname: "h"})
			if stored || err == nil || !strings.Contains(err.Error(), drop) {
				t.Errorf("%s: stored %v, error %v; want an error naming %s", msg, stored, err, drop)
			}
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 0 {
		t.Errorf("%d rows stored from malformed messages", n)
	}
}

// TestAntennaDropRuleJSONFailures: hera_corr_cm's drop rule counts the
// conversions that did not raise (hera-mc.md §3.9). json.loads raises on
// empty, 'None', 'none' and 'NULL' ids, so with only the timestamp and
// fft_overflow converting the ant-pol is dropped; with 'null' ids
// (json.loads gives None) it is kept with NULL ids.
func TestAntennaDropRuleJSONFailures(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("corr:map", "ant_to_snap", `{"12": {"e": {"host": "heraNode1Snap0", "channel": 0}}, "13": {"e": {"host": "heraNode1Snap1", "channel": 0}}}`)
	m.HSet("status:snap:heraNode1Snap0", "timestamp", "2026-11-20T12:00:00", "fft_overflow", "False",
		"pam0_id", "None", "fem0_id", "")
	m.HSet("status:snap:heraNode1Snap1", "timestamp", "2026-11-20T12:00:00", "fft_overflow", "False",
		"pam0_id", "null", "fem0_id", "NULL")
	rep := runAt(t, rc, db, testNow, "antenna_status")
	rows := rowMaps(t, db, `SELECT antenna_number, pam_id, fem_id FROM antenna_status ORDER BY antenna_number`)
	if len(rows) != 1 || rows[0]["antenna_number"] != int32(13) || rows[0]["pam_id"] != nil || rows[0]["fem_id"] != nil {
		t.Errorf("rows %v, want only antenna 13 with NULL ids", rows)
	}
	if !strings.Contains(fmt.Sprint(rep.Skipped), "antenna 12e: only 2 fields") {
		t.Errorf("antenna 12e drop not reported: %v", rep.Skipped)
	}
}

// TestCatcherStateMissing: the original indexes corr:is_taking_data's
// state field (hera-mc.md §3.2, §1.3: a missing field is a KeyError), so a
// hash with a time but no state gives no catcher row: it must not be
// taken as a 'stop'. The hash is reported and the f_engine row still
// written.
func TestCatcherStateMissing(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.Set("corr:feng_sync_time", "1763640000000")
	m.HSet("corr:is_taking_data", "time", "1763640000")
	rep := runAt(t, rc, db, testNow, "event_time")
	if got := events(t, db); len(got) != 0 {
		t.Errorf("catcher rows %v from a hash without state", got)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_component_event_time WHERE component = 'f_engine'`); n != 1 {
		t.Errorf("%d f_engine rows, want 1", n)
	}
	found := false
	for _, s := range rep.Skipped {
		found = found || s.Key == "corr:is_taking_data" && s.Field == "state" && s.Action == "skipped"
	}
	if !found {
		t.Errorf("missing state not reported: %v", rep.Skipped)
	}
}

// nodeHash fills a status:node hash with its 18 fields.
func nodeHash(m interface{ HSet(string, ...string) }, n int, ts string) {
	m.HSet(fmt.Sprintf("status:node:%d", n), "mac", "00:11:22:33:44:55", "ip", "10.1.1.1", "node_ID", fmt.Sprint(n),
		"node_ID_metadata", "x", "temp_top", "20.5", "temp_mid", "21.5", "temp_bot", "22.5", "temp_humid", "23.5",
		"humid", "40.0", "power_snap_relay", "1", "power_fem", "1", "power_pam", "1", "power_snap_0", "1",
		"power_snap_1", "0", "power_snap_2", "0", "power_snap_3", "0", "cpu_uptime_ms", "1000", "timestamp", ts)
}

// TestNonUTF8TextLosesOnlyItsRecord: PostgreSQL refuses text that is not
// UTF-8 (or holds a NUL byte), so such a value used to fail its whole
// group. hera_corr_cm decodes each status:snap field on its own and a
// failed decode gives None (hera-mc.md §3.7, §3.8: input None gives six
// NULL inputs); elsewhere the port's rule applies (issue 7: one bad record
// never loses the others): the column is NULL, or the record skipped where
// the text is part of the key or NOT NULL, and reported.
func TestNonUTF8TextLosesOnlyItsRecord(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	const bad = "ab\xffc"
	ts := "2026-11-20T12:00:00"
	m.HSet("status:snap:heraNode1Snap0", "timestamp", ts, "serial", bad, "version", "7.1\x00", "input", "adc,"+bad)
	m.HSet("status:snap:heraNode1Snap1", "timestamp", ts, "serial", "S1", "version", "7.1")
	m.HSet("status:snap:heraNode1Snap"+bad, "timestamp", ts, "serial", "S2")
	m.HSet("version:good", "version", "1.0", "timestamp", ts)
	m.HSet("version:badversion", "version", bad, "timestamp", ts)
	m.HSet("version:"+bad, "version", "1.0", "timestamp", ts)
	m.HSet("corr:current_file", "filename", bad, "time", "1763640000")
	m.RPush("corr:files:raw", bad, "2461000/zen.2461000.1.sum.dat")
	m.HSet("snap_log", "log_time_stop", ts, "working", "heraNode1Snap0,heraNode1Snap"+bad)
	nodeHash(m, 0, "1763640000.5")
	m.HSet("commands:node:0", "power_fem_cmd", bad+"|1763640000", "power_pam_cmd", "on|1763640000")
	m.HSet("status:wr:heraNode0wr", "timestamp", ts, "mode", bad, "ip", "10.0.0.1")
	m.Set("status:script:"+bad+":/opt/hera_cmd_handler.py", "alive")
	m.Set("status:script:goodhost:/opt/hera_node_receiver.py", "alive")

	rep, err := Run(context.Background(), rc, db, Options{Now: fixedNow, Hostname: "h",
		Only: []string{"snap_status", "versions", "catcher_file", "file_queues", "feng_init", "node_power_command", "node_white_rabbit", "daemons"}})
	if err != nil {
		t.Fatalf("pass failed: %v", err)
	}
	check := func(what, sql string, want int) {
		t.Helper()
		if n := count(t, db, sql); n != want {
			t.Errorf("%s: %d, want %d", what, n, want)
		}
	}
	check("snap_status rows", `SELECT count(*) FROM snap_status`, 2)
	check("snap_status NULL serial and version", `SELECT count(*) FROM snap_status WHERE hostname = 'heraNode1Snap0' AND serial_number IS NULL AND version IS NULL`, 1)
	check("snap_input NULL inputs", `SELECT count(*) FROM snap_input WHERE hostname = 'heraNode1Snap0' AND snap_input IS NULL`, 6)
	check("versions", `SELECT count(*) FROM correlator_software_versions`, 1)
	check("catcher file", `SELECT count(*) FROM correlator_catcher_file WHERE filename IS NULL`, 1)
	check("raw queue", `SELECT count(*) FROM correlator_file_queues WHERE queue = 'raw' AND length = 2 AND oldest_entry IS NULL AND newest_entry = '2461000/zen.2461000.1.sum.dat'`, 1)
	check("feng init", `SELECT count(*) FROM snap_feng_init_status WHERE hostname = 'heraNode1Snap0'`, 1)
	check("feng init rows", `SELECT count(*) FROM snap_feng_init_status`, 1)
	check("power commands", `SELECT count(*) FROM node_power_command WHERE part = 'pam'`, 1)
	check("power command rows", `SELECT count(*) FROM node_power_command`, 1)
	check("white rabbit", `SELECT count(*) FROM node_white_rabbit_status WHERE mode IS NULL AND ip = '10.0.0.1'`, 1)
	check("daemon good", `SELECT count(*) FROM daemon_status WHERE name = 'hera_node_receiver.py' AND hostname = 'goodhost' AND status = 'good'`, 1)
	check("daemon without a usable key", `SELECT count(*) FROM daemon_status WHERE name = 'hera_cmd_handler.py' AND status = 'errored'`, 1)
	reported := map[string]bool{}
	for _, s := range rep.Skipped {
		if strings.Contains(s.Reason, "UTF-8") {
			reported[s.Table] = true
		}
	}
	for _, tb := range []string{"snap_status", "snap_input", "correlator_software_versions", "correlator_catcher_file",
		"correlator_file_queues", "snap_feng_init_status", "node_power_command", "node_white_rabbit_status", "daemon_status"} {
		if !reported[tb] {
			t.Errorf("no UTF-8 report for %s: %v", tb, rep.Skipped)
		}
	}
}

// TestCorrMapBadEntryLosesOnlyItself: one malformed antenna entry of
// corr:map ant_to_snap (a list instead of an object, a host that is not a
// string) is reported and skipped; the other antennas keep their
// antenna_status rows and snap_input mapping (issue 7: malformed JSON
// loses only its own record; hera-mc.md §3.9, §4).
func TestCorrMapBadEntryLosesOnlyItself(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("corr:map", "ant_to_snap", `{"12": {"e": {"host": "heraNode1Snap0", "channel": 0}}, "13": [1, 2], "14": {"n": {"host": 7, "channel": 1}}}`)
	m.HSet("status:snap:heraNode1Snap0", "timestamp", "2026-11-20T12:00:00", "fft_overflow", "False",
		"stream0_mean", "0.5", "stream0_rms", "12.0")
	rep := runAt(t, rc, db, testNow, "snap_status", "antenna_status")
	if n := count(t, db, `SELECT count(*) FROM antenna_status WHERE antenna_number = 12 AND antenna_feed_pol = 'e'`); n != 1 {
		t.Errorf("antenna 12e: %d rows, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM snap_input WHERE antenna_number = 12 AND snap_channel_number = 0`); n != 1 {
		t.Errorf("snap_input mapping of antenna 12: %d rows, want 1", n)
	}
	var bad []string
	for _, s := range rep.Skipped {
		if s.Key == "corr:map" {
			bad = append(bad, s.Reason)
		}
	}
	if len(bad) != 2 || !strings.Contains(bad[0]+bad[1], "13") || !strings.Contains(bad[0]+bad[1], "14") {
		t.Errorf("corr:map reports %q, want one for antenna 13 and one for 14", bad)
	}
}

// TestMonitorDaemonNames: the monitor scripts upsert daemon_status under
// 'mc_monitor_correlator' and 'mc_monitor_nodes', and log their failures
// to subsystem_error under 'mc_correlator_monitor' and 'mc_node_monitor'
// (hera-mc.md §1.2, §3.19: two different strings per daemon).
func TestMonitorDaemonNames(t *testing.T) {
	ctx := context.Background()
	m, rc := emptyRedis(t)
	nodeHash(m, 0, "1763640000.5")
	rc.AddHook(failScan{"status:snap:*"})
	db := pgfixture.DB(t)
	_, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "names", Only: []string{"snap_status", "node_sensor"}})
	if err == nil {
		t.Fatal("the snap_status group did not fail")
	}
	rows := rowMaps(t, db, `SELECT name, status FROM daemon_status WHERE hostname = 'names' ORDER BY name`)
	if len(rows) != 2 || rows[0]["name"] != "mc_monitor_correlator" || rows[0]["status"] != "errored" ||
		rows[1]["name"] != "mc_monitor_nodes" || rows[1]["status"] != "good" {
		t.Errorf("daemon_status %v, want mc_monitor_correlator errored and mc_monitor_nodes good", rows)
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error WHERE subsystem = 'mc_correlator_monitor' AND severity = 2`); n != 1 {
		t.Errorf("%d subsystem_error rows under mc_correlator_monitor, want 1", n)
	}
}

// TestConfigFengineWithoutLists: _parse_config indexes each fengine's
// 'ants' and 'phase_switch_index' (hera-mc.md §3.16), so a config where a
// host lacks one (or has null) is malformed: it is skipped and reported,
// not stored as if the host had no inputs.
func TestConfigFengineWithoutLists(t *testing.T) {
	for _, bad := range []string{
		strings.Replace(testConfig, "ants: [3, 4, 5], ", "", 1),
		strings.Replace(testConfig, ", phase_switch_index: [1, 2, 3, 4, 5, 6]", "", 1),
		strings.Replace(testConfig, "ants: [3, 4, 5]", "ants: null", 1),
	} {
		if _, err := parseCorrelatorConfig(bad); err == nil {
			t.Errorf("config accepted:\n%s", bad)
		}
	}
	if _, err := parseCorrelatorConfig(strings.Replace(testConfig, "ants: [3, 4, 5]", "ants: []", 1)); err != nil {
		t.Errorf("an empty ants list refused: %v", err)
	}
}

// TestConfigDuplicateIndexes: the original adds a config's rows with plain
// session.add, so a duplicate correlator index or a host's duplicate phase
// switch index is an IntegrityError there (hera-mc.md §3.16). Here that
// one row is left out and reported, the rest of the config stored.
func TestConfigDuplicateIndexes(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	cfg := strings.Replace(testConfig, "ants: [3, 4, 5]", "ants: [3, 4, 2]", 1)
	cfg = strings.Replace(cfg, "phase_switch_index: [1, 2, 3, 4, 5, 6]", "phase_switch_index: [1, 2, 2, 4, 5, 6]", 1)
	m.HSet("snap_configuration", "config", cfg, "md5", "dup", "upload_time", "1763636400")
	rep := runAt(t, rc, db, testNow, "config")
	if n := count(t, db, `SELECT count(*) FROM correlator_config_input_index`); n != 5 {
		t.Errorf("%d input index rows, want 5", n)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_config_phase_switch_index`); n != 11 {
		t.Errorf("%d phase switch rows, want 11", n)
	}
	tables := map[string]bool{}
	for _, s := range rep.Skipped {
		tables[s.Table] = true
	}
	if !tables["correlator_config_input_index"] || !tables["correlator_config_phase_switch_index"] {
		t.Errorf("duplicates not reported for both tables: %+v", rep.Skipped)
	}
}

// TestPyFloatSignedNaN: Python's float() accepts a sign before nan, as
// before inf (hera-mc.md §1.3: float() accepts 'nan'); '-nan' is what C's
// printf writes for a negative NaN.
func TestPyFloatSignedNaN(t *testing.T) {
	for _, s := range []string{"-nan", "+nan", " -NaN\n", "+NAN"} {
		f, err := ParsePyFloat(s)
		if err != nil || !math.IsNaN(f) {
			t.Errorf("ParsePyFloat(%q) = %v, %v; want NaN", s, f, err)
		}
	}
	for _, s := range []string{"--nan", "nan1", "+-nan", "na"} {
		if _, err := ParsePyFloat(s); err == nil {
			t.Errorf("ParsePyFloat(%q) accepted", s)
		}
	}
}

// emptyAfterLLen empties a list right after its LLEN, as a consumer
// popping the queue between the two reads would.
type emptyAfterLLen struct {
	key string
	rc  *redis.Client
}

func (emptyAfterLLen) DialHook(next redis.DialHook) redis.DialHook { return next }
func (e emptyAfterLLen) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == "llen" && cmd.Args()[1] == e.key {
			e.rc.Del(ctx, e.key) // the hook is on another client
		}
		return err
	}
}
func (emptyAfterLLen) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestFileQueueEmptiedBetweenReads: a list queue emptied between LLEN and
// the reads of its ends has no oldest or newest entry: NULL (hera-mc.md
// §3.4: an empty queue gives NULLs), not an empty filename.
func TestFileQueueEmptiedBetweenReads(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.RPush("corr:files:raw", "a.sum.dat", "b.sum.dat")
	other := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer other.Close()
	rc.AddHook(emptyAfterLLen{"corr:files:raw", other})
	runAt(t, rc, db, testNow, "file_queues")
	rows := rowMaps(t, db, `SELECT oldest_entry, newest_entry FROM correlator_file_queues WHERE queue = 'raw'`)
	if len(rows) != 1 || rows[0]["oldest_entry"] != nil || rows[0]["newest_entry"] != nil {
		t.Errorf("raw queue %v, want NULL ends", rows)
	}
}

// TestCorrMapHostNotText: a corr:map host holding a NUL byte (the JSON
// escape \u0000) names a status:snap key Redis can hold but a hostname
// PostgreSQL refuses; its antenna is reported and left out, the other
// antennas keep their antenna_status rows (doc.go: such a value skips its
// record, never its group).
func TestCorrMapHostNotText(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("corr:map", "ant_to_snap", `{"12": {"e": {"host": "heraNode1Snap0", "channel": 0}}, "13": {"e": {"host": "heraNode1Snap\u0000", "channel": 0}}}`)
	for _, host := range []string{"heraNode1Snap0", "heraNode1Snap\x00"} {
		m.HSet("status:snap:"+host, "timestamp", "2026-11-20T12:00:00", "fft_overflow", "False",
			"stream0_mean", "0.5", "stream0_rms", "12.0")
	}
	rep := runAt(t, rc, db, testNow, "antenna_status")
	rows := rowMaps(t, db, `SELECT antenna_number FROM antenna_status`)
	if len(rows) != 1 || rows[0]["antenna_number"] != int32(12) {
		t.Errorf("antenna_status rows %v, want antenna 12 only", rows)
	}
	found := false
	for _, s := range rep.Skipped {
		found = found || s.Key == "corr:map" && strings.Contains(s.Reason, "13") && strings.Contains(s.Reason, "UTF-8")
	}
	if !found {
		t.Errorf("antenna 13's host not reported: %v", rep.Skipped)
	}
}

// TestConfigNotText: YAML escapes can put a NUL byte in a fengine host or a
// parameter ("\0"), and a UTF-16 config parses as YAML but is not text
// PostgreSQL can store; such a config is skipped and reported like other
// unusable configs, not a failure of its group.
func TestConfigNotText(t *testing.T) {
	utf16 := []byte{0xff, 0xfe} // BOM, then testConfig as UTF-16LE
	for _, r := range testConfig {
		utf16 = append(utf16, byte(r), 0)
	}
	for name, cfg := range map[string]string{
		"host":      strings.Replace(testConfig, "heraNode2Snap1:", `"heraNode2Snap\0":`, 1),
		"parameter": strings.Replace(testConfig, "fpgfile: f.fpg", `fpgfile: "f\0.fpg"`, 1),
		"UTF-16":    string(utf16),
	} {
		t.Run(name, func(t *testing.T) {
			m, rc := emptyRedis(t)
			db := pgfixture.DB(t)
			m.HSet("snap_configuration", "config", cfg, "md5", "nul", "upload_time", "1763636400")
			rep := runAt(t, rc, db, testNow, "config")
			if n := count(t, db, `SELECT count(*) FROM correlator_config_file`); n != 0 {
				t.Errorf("%d config files stored", n)
			}
			found := false
			for _, s := range rep.Skipped {
				found = found || s.Key == "snap_configuration" && strings.Contains(s.Reason, "UTF-8")
			}
			if !found {
				t.Errorf("config not reported: %v", rep.Skipped)
			}
		})
	}
}
