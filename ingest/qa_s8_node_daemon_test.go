package ingest

import (
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8NodeDaemonUpsertPerJD: daemon_status holds one row per daemon,
// host and JD day, upserted with the latest time and status (hera-mc.md
// §3.19); the JD day changes at 12:00 UTC. A daemon alive on two hosts
// gets a row for each (deviation 5); one that goes away within the same
// JD day turns its row 'errored' without adding one.
func TestQAS8NodeDaemonUpsertPerJD(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.Set("status:script:hostA:/opt/hera_node_receiver.py", "alive")
	m.Set("status:script:hostB:/usr/bin/hera_node_receiver.py", "alive")
	m.Set("status:script:hostC:/opt/hera_snap_redis_monitor.py", "alive")
	// A key without a host part does not match status:script:*:*<name>.
	m.Set("status:script:hera_cmd_handler.py", "alive")

	before := time.Date(2026, 11, 20, 11, 59, 59, 900e6, time.UTC)
	runAt(t, rc, db, before, "daemons")
	rows := func() int { return count(t, db, `SELECT count(*) FROM daemon_status`) }
	// 7 daemons, hera_node_receiver.py on two hosts, and the pass's own row.
	if n := rows(); n != 9 {
		t.Fatalf("%d rows after the first pass, want 9: %v", n, rowMaps(t, db, `SELECT * FROM daemon_status`))
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = 'hera_cmd_handler.py' AND status = 'errored'`); n != 1 {
		t.Errorf("hera_cmd_handler.py with only a host-less key: %d errored rows, want 1", n)
	}
	// Past 12:00 UTC: a new JD day, a new set of rows; hostC's daemon is
	// gone, so its new row is errored (under the host it was last seen on).
	m.Del("status:script:hostC:/opt/hera_snap_redis_monitor.py")
	runAt(t, rc, db, before.Add(time.Hour), "daemons")
	if n := rows(); n != 9+9 {
		t.Fatalf("%d rows after a pass past 12:00 UTC, want 18", n)
	}
	// floor(Time(...).jd) in astropy 5.2.1: 2461364 at 11:59:59.9, 2461365 an hour later.
	const jdBefore, jdAfter = 2461364, 2461365
	for _, jd := range []int64{jdBefore, jdAfter} {
		if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE jd = $1`, jd); n != 9 {
			t.Errorf("%d rows for JD %d, want 9", n, jd)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = 'hera_snap_redis_monitor.py' AND hostname = 'hostC' AND jd = $1 AND status = 'errored'`, jdAfter); n != 1 {
		t.Errorf("hera_snap_redis_monitor.py gone: %d errored rows on hostC for JD %d, want 1", n, jdAfter)
	}
	// Another pass in the same JD day adds nothing and updates the time.
	last := before.Add(3 * time.Hour)
	runAt(t, rc, db, last, "daemons")
	if n := rows(); n != 18 {
		t.Errorf("%d rows after a second pass in the same JD day, want 18", n)
	}
	want, _ := FloorGPSTime(last)
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE jd = $1 AND time <> $2`, jdAfter, want); n != 0 {
		t.Errorf("%d rows of JD %d not updated to the latest time %d", n, jdAfter, want)
	}
}
