package ingest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8InitTimeOutsideDatetime: snap_config_version.init_time is
// floor(gps(datetime.utcfromtimestamp(float(init_time)))) (hera-mc.md
// §3.15), and Python's datetime holds years 1-9999 only:
// utcfromtimestamp(1e12) raises "year 33658 is out of range", so the
// original writes nothing for it. The record is skipped and reported, not
// stored with a GPS time in year 33658; the version rows of the pass are
// still written.
func TestQAS8InitTimeOutsideDatetime(t *testing.T) {
	for _, tc := range []struct {
		field, value string
		ok           bool
	}{
		{"init_time", "1e12", false},
		{"init_time", "253402300800", false}, // 10000-01-01T00:00:00
		{"init_time", "253402300799", true},  // 9999-12-31T23:59:59
		{"config_time", "1e12", false},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			m, rc := emptyRedis(t)
			db := pgfixture.DB(t)
			u := testNow.Add(-10 * time.Minute).Unix()
			m.HSet("init_configuration", "hera_corr_f_version", "7.1", "init_args", "{}", "init_time", fmt.Sprint(u),
				"config", testConfig, "config_time", fmt.Sprint(u), "md5", "bbb")
			m.HSet("init_configuration", tc.field, tc.value)
			m.HSet("version:hera_corr_f:hera_snap_redis_monitor.py", "version", "7.1", "timestamp", "2026-11-20T11:00:00")
			rep := runAt(t, rc, db, testNow, "versions")
			if n := count(t, db, `SELECT count(*) FROM correlator_software_versions`); n != 1 {
				t.Errorf("%d software version rows, want 1", n)
			}
			n := count(t, db, `SELECT count(*) FROM snap_config_version`)
			if tc.ok {
				if n != 1 || s8Skipped(rep, "init_configuration", tc.field, "skipped") {
					t.Errorf("%s %s: %d rows (skips %+v), want 1", tc.field, tc.value, n, rep.Skipped)
				}
				return
			}
			if n != 0 {
				t.Errorf("%s %s: %d snap_config_version rows, want 0: %v", tc.field, tc.value, n,
					rowMaps(t, db, `SELECT * FROM snap_config_version`))
			}
			if !s8Skipped(rep, "init_configuration", tc.field, "skipped") {
				t.Errorf("%s %s not reported: %+v", tc.field, tc.value, rep.Skipped)
			}
		})
	}
}

// TestQAS8VersionRecords: correlator_software_versions (hera-mc.md §3.14):
// one row per version:* hash, the package being the key after its
// version: prefix (deviation 3), time floor(gps(timestamp)); a hash of
// the wrong type, without version or timestamp, or with a timestamp
// dateutil cannot read loses only itself; version:snap is left to
// init_configuration; a second pass adds nothing.
func TestQAS8VersionRecords(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("version:node_control:hera_node_receiver.py", "version", "0.1.2", "timestamp", "2026-11-20T11:00:00.999999")
	m.HSet("version:hera_corr_f:hera_snap_redis_monitor.py", "version", "None", "timestamp", "2026-11-20 10:00")
	m.RPush("version:list", "x")
	m.HSet("version:noversion", "timestamp", "2026-11-20T11:00:00")
	m.HSet("version:notime", "version", "1")
	m.HSet("version:badtime", "version", "1", "timestamp", "yesterday")
	m.HSet("version:snap", "version", "9", "timestamp", "2026-11-20T11:00:00")
	rep := runAt(t, rc, db, testNow, "versions")
	rows := rowMaps(t, db, `SELECT time, package, version FROM correlator_software_versions ORDER BY package`)
	want := fmt.Sprintf("[map[package:hera_corr_f:hera_snap_redis_monitor.py time:%d version:None] map[package:node_control:hera_node_receiver.py time:%d version:0.1.2]]",
		s8GPS(t, "2026-11-20T10:00:00"), s8GPS(t, "2026-11-20T11:00:00"))
	if fmt.Sprint(rows) != want {
		t.Errorf("rows %v\nwant %s", rows, want)
	}
	for _, k := range [][2]string{{"version:list", ""}, {"version:noversion", "version"}, {"version:notime", "timestamp"}, {"version:badtime", "timestamp"}} {
		if !s8Skipped(rep, k[0], k[1], "skipped") {
			t.Errorf("%s not reported: %+v", k[0], rep.Skipped)
		}
	}
	if rep2 := runAt(t, rc, db, testNow, "versions"); rep2.Rows("correlator_software_versions") != 0 {
		t.Errorf("second pass wrote %d rows", rep2.Rows("correlator_software_versions"))
	}
}
