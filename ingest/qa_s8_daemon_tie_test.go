package ingest

import (
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// A daemon last seen live on two hosts in the same pass, then on none, is
// errored under one of them, the same one every time (the first by name),
// not whichever row the database happens to return first.
func TestQAS8DaemonMissingHostTieBreak(t *testing.T) {
	for _, hosts := range [][2]string{{"zhost", "ahost"}, {"ahost", "zhost"}} {
		m, rc := emptyRedis(t)
		db := pgfixture.DB(t)
		base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		for _, h := range hosts {
			m.Set("status:script:"+h+":/opt/hera_node_receiver.py", "alive")
		}
		runAt(t, rc, db, base, "daemons")
		for _, h := range hosts {
			m.Del("status:script:" + h + ":/opt/hera_node_receiver.py")
		}
		runAt(t, rc, db, base.Add(24*time.Hour), "daemons")
		rows := rowMaps(t, db, `SELECT hostname FROM daemon_status WHERE name = 'hera_node_receiver.py' AND status = 'errored'`)
		if len(rows) != 1 || rows[0]["hostname"] != "ahost" {
			t.Errorf("hosts %v: errored rows %v, want one under ahost", hosts, rows)
		}
	}
}
