package ingest

import (
	"fmt"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestS8CorrFloorGPSOutOfRange: a time whose floor(gps) is beyond int64
// ("1e300", "9.3e18") is a bad record: hera_mc's math.floor gives a Python
// int that no bigint column holds (hera-mc.md §3.1, §3.3, §3.16 store
// floor(gps(time)) in bigint). It must be skipped and reported, not stored
// as a wrapped value (Go's int64(float64) of it is -9223372036854775808),
// and the other records of the pass are still written.
func TestS8CorrFloorGPSOutOfRange(t *testing.T) {
	for _, bad := range []string{"1e300", "9.3e18", "99999999999999999999999", "inf"} {
		t.Run(bad, func(t *testing.T) {
			if v, err := FloorGPS(mustPyFloat(t, bad)); err == nil {
				t.Errorf("FloorGPS(%s) = %d, want an error", bad, v)
			}
			m, rc := emptyRedis(t)
			db := pgfixture.DB(t)
			m.HSet("corr:current_file", "filename", "a", "time", bad)
			m.HSet("corr:status:input", "source", "noise", "seed", "same", "time", bad)
			m.HSet("snap_configuration", "config", testConfig, "md5", "aaa", "upload_time", bad)
			m.HSet("corr:files:jds", "2461000", "0")
			rep := runAt(t, rc, db, testNow, "signal_source", "catcher_file", "config", "file_eod")
			for _, tb := range []string{"correlator_catcher_file", "array_signal_source", "correlator_config_status", "correlator_config_file"} {
				if n := count(t, db, "SELECT count(*) FROM "+tb); n != 0 {
					t.Errorf("%s: %d rows from time %s: %v", tb, n, bad, rowMaps(t, db, "SELECT * FROM "+tb))
				}
			}
			reported := map[string]bool{}
			for _, s := range rep.Skipped {
				reported[fmt.Sprintf("%s %s", s.Key, s.Field)] = s.Action == "skipped"
			}
			for _, k := range []string{"corr:current_file time", "corr:status:input time", "snap_configuration upload_time"} {
				if !reported[k] {
					t.Errorf("%s not reported as skipped: %+v", k, rep.Skipped)
				}
			}
			if n := count(t, db, "SELECT count(*) FROM correlator_file_eod"); n != 1 {
				t.Errorf("the other records lost: %d eod rows", n)
			}
		})
	}
}

func mustPyFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := ParsePyFloat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestS8CorrAutosJDOutOfRange: the same for hera_autos.time, floor(gps) of
// auto:timestamp's JD (hera-mc.md §3.17): a JD whose GPS time is beyond
// int64 skips the autos and is reported, not stored as a wrapped time.
func TestS8CorrAutosJDOutOfRange(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.Set("auto:timestamp", string(le64(1e300)))
	m.Set("auto:12e", string(make([]byte, 16)))
	rep := runAt(t, rc, db, testNow, "autos")
	if n := count(t, db, "SELECT count(*) FROM hera_autos"); n != 0 {
		t.Errorf("%d hera_autos rows from JD 1e300: %v", n, rowMaps(t, db, "SELECT time FROM hera_autos"))
	}
	found := false
	for _, s := range rep.Skipped {
		found = found || s.Key == "auto:timestamp"
	}
	if !found {
		t.Errorf("auto:timestamp not reported: %+v", rep.Skipped)
	}
}
