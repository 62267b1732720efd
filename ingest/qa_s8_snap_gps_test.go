package ingest

import (
	"testing"
	"time"
)

// TestQAS8LeapDayDatetimeNotStretched: astropy stretches a leap-second
// day only for unix and jd inputs. Datetimes (dateutil's, utcfromtimestamp's,
// Time.now()'s) and ISO strings go through erfa.dtf2d, which counts that
// day's seconds as SI seconds: Time(datetime(2016,12,31,23,59,59,500000)).gps
// is 1167264016.5 (astropy 5.2.1, checked against 7085 datetimes on every
// leap-second day since 1980), so floor() is 1167264016, not 1167264017.
func TestQAS8LeapDayDatetimeNotStretched(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want int64
	}{
		{time.Date(2016, 12, 31, 23, 59, 59, 500000000, time.UTC), 1167264016},
		{time.Date(2016, 12, 31, 23, 59, 59, 999999000, time.UTC), 1167264016},
		{time.Date(2016, 12, 31, 12, 0, 0, 600000000, time.UTC), 1167220817},
		{time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), 1167264018},
		{time.Date(1981, 6, 30, 23, 59, 59, 900000000, time.UTC), 46828799},
	} {
		if g, err := FloorGPSTime(c.t); err != nil || g != c.want {
			t.Errorf("FloorGPSTime(%v) = %d, %v; astropy's floor(Time(datetime).gps) = %d", c.t, g, err, c.want)
		}
	}
	// The unix form is stretched (§1.1): unchanged.
	if g, _ := FloorGPS(1483228799.5); g != 1167264017 {
		t.Errorf("FloorGPS(1483228799.5) = %d, want 1167264017", g)
	}
}
