package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestS8CorrTimeoutFilterKeepsEarlierOutages: deviation 2 (hera-mc.md
// §3.2, quirk 2) applies the intended filter time > new_start: a
// stop_timeout of an earlier, real outage (before the start that comes
// back) is kept, where the original deletes or moves every stop_timeout
// row. Each step is repeated to show a second pass changes nothing.
func TestS8CorrTimeoutFilterKeepsEarlierOutages(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ev := func(e string, s int) string { return fmt.Sprintf("%s@%d", e, base.Unix()+int64(s)-315964782) }
	start := func(s int) {
		m.HSet("corr:is_taking_data", "state", "True", "time", fmt.Sprint(base.Unix()+int64(s)))
	}
	step := func(pass int, want ...string) {
		t.Helper()
		for i := 0; i < 2; i++ {
			runAt(t, rc, db, at(pass+i), "event_time")
			if got := events(t, db); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("pass at +%ds (%d): %v, want %v", pass+i, i+1, got, want)
			}
		}
	}
	start(0)
	step(10, ev("start", 0))
	m.Del("corr:is_taking_data")
	step(100, ev("start", 0), ev("stop_timeout", 100))
	start(200) // a real restart after the outage
	step(210, ev("start", 0), ev("stop_timeout", 100), ev("start", 200))
	m.Del("corr:is_taking_data")
	step(400, ev("start", 0), ev("stop_timeout", 100), ev("start", 200), ev("stop_timeout", 400))
	start(200) // the key only lapsed: the spurious timeout goes, the real one stays
	step(410, ev("start", 0), ev("stop_timeout", 100), ev("start", 200))
	m.Del("corr:is_taking_data")
	step(500, ev("start", 0), ev("stop_timeout", 100), ev("start", 200), ev("stop_timeout", 500))
	start(450) // restarted before the timeout was seen: moved to 1 s before it
	step(510, ev("start", 0), ev("stop_timeout", 100), ev("start", 200), ev("stop_timeout", 449), ev("start", 450))
}
