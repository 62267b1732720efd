package ingest

import (
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8NodeJDDayLeapSecondDay: daemon_status.jd is floor(Time.now().jd)
// (hera-mc.md §1.1, §3.19). Time.now() is a datetime, which astropy reads
// through erfa.dtf2d: on a UTC day that ends in a leap second the day's
// fraction is seconds/86401, so the JD reaches the next integer at
// 12:00:00.5, not 12:00:00. Figures from astropy 5.2.1:
// floor(Time(datetime(2016,12,31,12,0,0,200000)).jd) = 2457753,
// with .600000 it is 2457754; 2017-06-30T12:00:00.2 gives 2457935.
func TestQAS8NodeJDDayLeapSecondDay(t *testing.T) {
	cases := []struct {
		at   time.Time
		want int64
	}{
		{time.Date(2016, 12, 31, 11, 59, 59, 0, time.UTC), 2457753},
		{time.Date(2016, 12, 31, 12, 0, 0, 200e6, time.UTC), 2457753},
		{time.Date(2016, 12, 31, 12, 0, 0, 600e6, time.UTC), 2457754},
		{time.Date(2015, 6, 30, 12, 0, 0, 499e6, time.UTC), 2457203},
		{time.Date(2017, 6, 30, 12, 0, 0, 200e6, time.UTC), 2457935},
	}
	for _, c := range cases {
		if got := JDDay(c.at); got != c.want {
			t.Errorf("JDDay(%v) = %d, want %d (astropy)", c.at, got, c.want)
		}
	}
	// The same through a pass's daemon_status rows.
	_, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	at := cases[1].at
	runAt(t, rc, db, at, "daemons")
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE jd <> $1`, cases[1].want); n != 0 {
		t.Errorf("%d daemon_status rows at %v with jd other than %d: %v", n, at, cases[1].want,
			rowMaps(t, db, `SELECT name, jd FROM daemon_status`))
	}
}
