package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
	"github.com/redis/go-redis/v9"
)

// fullSite fills a miniredis with the benchmark's site: 30 nodes x 4
// SNAPs, 350 antennas x 2 polarisations, 6144-channel autos.
func fullSite(b *testing.B) *redis.Client {
	b.Helper()
	o := site.Full()
	o.Bad, o.Ignored, o.TTLs = false, false, false
	s := site.Build(o)
	m := miniredis.RunT(b)
	rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	b.Cleanup(func() { rc.Close() })
	if err := s.Apply(context.Background(), rc, true); err != nil {
		b.Fatal(err)
	}
	return rc
}

func truncateAll(b *testing.B, db *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`)
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if _, err := db.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")+" CASCADE"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngestFullSite times one pass over the full-size site into empty
// tables, and the same pass with every row written by its own INSERT (the
// baseline); x_vs_per_row is baseline time / pass time, measured in the
// same run (target >= 10).
func BenchmarkIngestFullSite(b *testing.B) {
	rc := fullSite(b)
	db := pgfixture.DB(b)
	ctx := context.Background()
	pass := func(perRow bool) (time.Duration, *Report) {
		truncateAll(b, db)
		start := time.Now()
		rep, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "bench", perRowInserts: perRow})
		if err != nil {
			b.Fatal(err)
		}
		if testing.Verbose() {
			for _, g := range rep.Groups {
				b.Logf("perRow=%v %s %v write %v", perRow, g.Name, g.Duration, g.WriteTime)
			}
		}
		return time.Since(start), rep
	}
	groupTime := func(rep *Report, autos bool) time.Duration {
		var d time.Duration
		for _, g := range rep.Groups {
			if (g.Name == "autos") == autos {
				d += g.Duration
			}
		}
		return d
	}
	pass(false) // warm up
	var bulk, perRow time.Duration
	var bulkAutos, perRowAutos, bulkOther, perRowOther, bulkWrite, perRowWrite time.Duration
	var rows int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d1, rep := pass(true)
		perRow += d1
		b.StartTimer()
		d2, rep2 := pass(false)
		bulk += d2
		rows = rep2.Total()
		bulkAutos += groupTime(rep2, true)
		bulkOther += groupTime(rep2, false)
		perRowAutos += groupTime(rep, true)
		perRowOther += groupTime(rep, false)
		for _, g := range rep.Groups {
			perRowWrite += g.WriteTime
		}
		for _, g := range rep2.Groups {
			bulkWrite += g.WriteTime
		}
		if rep.Total() != rep2.Total() {
			b.Fatalf("baseline wrote %d rows, bulk %d", rep.Total(), rep2.Total())
		}
		b.StopTimer()
	}
	b.ReportMetric(float64(rows), "rows/pass")
	b.ReportMetric(float64(bulk.Milliseconds())/float64(b.N), "ms/pass")
	b.ReportMetric(float64(perRow.Milliseconds())/float64(b.N), "ms/per-row-pass")
	b.ReportMetric(float64(perRow)/float64(bulk), "x_vs_per_row")
	// The autos group writes 700 spectra of 6144 floats (17 MB); the rest
	// are the other 27 tables.
	b.ReportMetric(float64(perRowAutos)/float64(bulkAutos), "x_autos")
	b.ReportMetric(float64(perRowOther)/float64(bulkOther), "x_other_groups")
	// The write transactions alone (reading Redis and converting is the
	// same work in both).
	b.ReportMetric(float64(perRowWrite)/float64(bulkWrite), "x_writes")
}
