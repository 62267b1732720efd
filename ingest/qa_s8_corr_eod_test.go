package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestS8CorrEODOneStatusPerJD: hera-mc.md §3.5 reads corr:files:jds as
// {int(field): int(value)}, a dict: two fields that spell the same JD
// ("2461000" and "+2461000", " 2461000") give that JD one status, not one
// per spelling. The canonical spelling is kept and the others reported.
func TestS8CorrEODOneStatusPerJD(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	m.HSet("corr:files:jds", "2461000", "0", "+2461000", "1", " 2461000", "2", "2_461_001", "1", "2461002", "-1")
	rep := runAt(t, rc, db, base, "file_eod")
	rows := rowMaps(t, db, `SELECT * FROM correlator_file_eod ORDER BY jd`)
	if len(rows) != 3 {
		t.Fatalf("rows %v", rows)
	}
	now := base.Unix() - 315964782
	if r := rows[0]; r["time_start"] != now || r["time_converted"] != nil || r["time_uploaded"] != nil {
		t.Errorf("jd 2461000 (status 0 under its own spelling): %v", r)
	}
	if r := rows[1]; r["jd"] != int64(2461001) || r["time_converted"] != now {
		t.Errorf("jd 2461001 (a single spelling, with underscores): %v", r)
	}
	if r := rows[2]; r["time_launch_failed"] != now {
		t.Errorf("jd 2461002: %v", r)
	}
	skipped := map[string]bool{}
	for _, s := range rep.Skipped {
		skipped[s.Field] = s.Action == "skipped"
	}
	if !skipped["+2461000"] || !skipped[" 2461000"] || len(rep.Skipped) != 2 {
		t.Errorf("the other spellings not reported (only): %+v", rep.Skipped)
	}
	// A second pass over the same hash changes nothing.
	rep = runAt(t, rc, db, base.Add(time.Minute), "file_eod")
	if n := rep.Rows("correlator_file_eod"); n != 0 {
		t.Errorf("second pass wrote %d rows", n)
	}
}

// TestS8CorrEODHugeStatusIsUnknown: int() of a status beyond int64 is a
// Python int like any other, and not one of 0, 1, 2, -1: an unknown status,
// which inserts a row with no times for a new JD (hera-mc.md §3.5), not a
// skipped record.
func TestS8CorrEODHugeStatusIsUnknown(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("corr:files:jds", "2461005", "99999999999999999999", "2461006", "-99999999999999999999")
	rep := runAt(t, rc, db, testNow, "file_eod")
	rows := rowMaps(t, db, `SELECT * FROM correlator_file_eod WHERE time_start IS NULL AND time_converted IS NULL
		AND time_uploaded IS NULL AND time_launch_failed IS NULL ORDER BY jd`)
	if len(rows) != 2 {
		t.Errorf("rows with no times: %v", rows)
	}
	nulls := 0
	for _, s := range rep.Skipped {
		if s.Action == "null" && strings.Contains(s.Reason, "unknown status") {
			nulls++
		}
	}
	if nulls != 2 {
		t.Errorf("unknown statuses not reported as rows with no times: %+v", rep.Skipped)
	}
}
