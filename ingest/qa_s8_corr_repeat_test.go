package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestS8CorrSecondPassSite: over the unchanged site dump, a pass a minute
// later adds rows only where the reference stamps them with the current
// time (issue 7: idempotent): the seven correlator_file_queues rows. The
// EOD times, the catcher bookkeeping and the config status stay as they
// were.
func TestS8CorrSecondPassSite(t *testing.T) {
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	first, err := Run(context.Background(), rc, db, Options{Now: fixedNow, Hostname: "h", Only: corrGroups})
	if err != nil {
		t.Fatal(err)
	}
	queues := first.Rows("correlator_file_queues")
	if queues == 0 || first.Rows("correlator_file_eod") == 0 || first.Rows("correlator_config_status") == 0 {
		t.Fatalf("the site gave no rows to check: %+v", first.Tables)
	}
	before := map[string]int{}
	for tb := range corrTables {
		before[tb] = count(t, db, "SELECT count(*) FROM "+tb)
	}
	eod := rowMaps(t, db, `SELECT * FROM correlator_file_eod ORDER BY jd`)
	second, err := Run(context.Background(), rc, db, Options{Now: func() time.Time { return testNow.Add(time.Minute) }, Hostname: "h", Only: corrGroups})
	if err != nil {
		t.Fatal(err)
	}
	for tb, n := range before {
		want := 0
		if tb == "correlator_file_queues" {
			want = int(queues)
		}
		if got := count(t, db, "SELECT count(*) FROM "+tb) - n; got != want || second.Rows(tb) != int64(want) {
			t.Errorf("%s: second pass added %d rows (report %d), want %d", tb, got, second.Rows(tb), want)
		}
	}
	if after := rowMaps(t, db, `SELECT * FROM correlator_file_eod ORDER BY jd`); len(after) != len(eod) {
		t.Errorf("eod rows %d, then %d", len(eod), len(after))
	} else {
		for i := range eod {
			for c, v := range eod[i] {
				if after[i][c] != v {
					t.Errorf("eod jd %v %s: %v, then %v", eod[i]["jd"], c, v, after[i][c])
				}
			}
		}
	}
}
