package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
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

// BenchmarkIngestFullSite times one pass over the full-size site (30 nodes
// x 4 SNAPs, 350 antennas x 2 polarisations, 6144-channel autos) into empty
// tables, against the baseline: the same pass with every row written the
// way hera_mc writes it (baseline.go: one INSERT ... ON CONFLICT (pk) DO
// NOTHING per row with psycopg 3's parameter formats, spectra as text
// float8[] literals, prepared after 5 runs, one transaction per group,
// server-default TOAST compression, the groups one after another as the
// original daemon runs them). Reading Redis and converting is the same code
// in both. Each iteration runs benchPairs rounds of baseline, baseline with
// the autos group beside the others (as the pass runs it), and pass, in the
// same process and database, each round starting one further in that
// order; the metrics are medians over all rounds:
//
//	ms/pass, ms/per-row-pass   whole pass (Redis reads, conversion, writes)
//	x_vs_per_row               median baseline pass / median pass (target >= 10)
//	x_vs_per_row_beside        the same against the baseline with autos beside
//	x_writes                   baseline / pass, write transactions alone
//	x_autos, x_other_groups    whole-group time of the autos group / of the rest
//	server-cpu-ms/...          CPU of the database's backends (local server only)
//	go-cpu-ms/...              CPU of this process (ingest + in-process miniredis)
//	ms/spectra-copy-floor      the spectra alone, encoded beforehand, one COPY
//	x_ceiling                  median baseline pass / that floor
//	ms/floor-beside-others     that COPY beside a pass of the other groups
//	x_ceiling_beside           median baseline pass / that: the best a whole
//	                           pass could do if the autos' Redis reads,
//	                           decoding and encoding cost nothing
//
// Where the time goes (2-core machine): the pass is CPU-bound, about 110 ms
// of server CPU, nearly all of it one backend storing the 700 spectra, and
// 60-70 ms here (the miniredis server, conversions, COPY encoding,
// medians). A binary COPY of the same 700 rows, already encoded, with
// nothing else running, takes 85-95 ms: array_recv of 4.3 M float4 is
// about 45% of it, TOAST, relation extension and WAL most of the rest. The
// pass keeps that backend busy from its start (streamAutos: a deep socket
// buffer, rows stored as they arrive, medians taken while it stores), so
// it ends within a few ms of that COPY run beside a pass of the other
// groups (floor-beside-others). The baseline must do the same storing,
// plus parsing 4.3 M text floats, pglz attempts on every spectrum and one
// round trip per row: about 680 ms of server CPU and 430 ms here. On a
// shared 2-core machine a pass varies by about 10% from one run to the
// next, hence benchPairs rounds.
func BenchmarkIngestFullSite(b *testing.B) {
	const benchPairs = 9
	rc := fullSite(b)
	db := pgfixture.DB(b)
	ctx := context.Background()
	type sample struct{ pass, write, autos, other, server, self time.Duration }
	measure := func(perRow, beside bool) (sample, int64) {
		truncateAll(b, db)
		runtime.GC() // not the garbage of the run before
		srv0, self0 := backendCPU(db), processCPU()
		start := time.Now()
		rep, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "bench", perRowInserts: perRow, perRowBeside: beside})
		if err != nil {
			b.Fatal(err)
		}
		s := sample{pass: time.Since(start)}
		s.server, s.self = backendCPU(db)-srv0, processCPU()-self0
		for _, g := range rep.Groups {
			s.write += g.WriteTime
			if g.Name == "autos" {
				s.autos += g.Duration
			} else {
				s.other += g.Duration
			}
			if testing.Verbose() {
				b.Logf("perRow=%v beside=%v %s %v write %v", perRow, beside, g.Name, g.Duration, g.WriteTime)
			}
		}
		return s, rep.Total()
	}
	measure(false, false) // warm up: statement caches, buffers
	measure(true, false)
	var base, beside, bulk []sample
	var rows int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < benchPairs; k++ {
			// The three runs of a round in turn, starting one further
			// each round: each kind follows each other kind as often, so
			// none always pays for the one before it (a baseline leaves
			// the server more WAL to flush than a pass).
			var s [3]sample
			var n [3]int64
			for j := range 3 {
				r := (k + j) % 3
				s[r], n[r] = measure(r < 2, r == 1)
			}
			if n[0] != n[2] || n[1] != n[2] {
				b.Fatalf("baselines wrote %d and %d rows, pass %d", n[0], n[1], n[2])
			}
			base, beside, bulk, rows = append(base, s[0]), append(beside, s[1]), append(bulk, s[2]), n[2]
		}
	}
	b.StopTimer()
	med := func(ss []sample, f func(sample) time.Duration) time.Duration {
		ds := make([]time.Duration, len(ss))
		for i, s := range ss {
			ds[i] = f(s)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	ratio := func(f func(sample) time.Duration) float64 {
		return float64(med(base, f)) / float64(med(bulk, f))
	}
	pass := func(s sample) time.Duration { return s.pass }
	b.ReportMetric(float64(rows), "rows/pass")
	b.ReportMetric(float64(med(bulk, pass).Microseconds())/1000, "ms/pass")
	b.ReportMetric(float64(med(base, pass).Microseconds())/1000, "ms/per-row-pass")
	b.ReportMetric(ratio(pass), "x_vs_per_row")
	b.ReportMetric(float64(med(beside, pass))/float64(med(bulk, pass)), "x_vs_per_row_beside")
	b.ReportMetric(ratio(func(s sample) time.Duration { return s.write }), "x_writes")
	b.ReportMetric(ratio(func(s sample) time.Duration { return s.autos }), "x_autos")
	// CPU: the database's backends (when the server runs on this machine)
	// and this process (the ingest and the in-process miniredis).
	if server := func(s sample) time.Duration { return s.server }; med(bulk, server) > 0 {
		b.ReportMetric(float64(med(bulk, server).Microseconds())/1000, "server-cpu-ms/pass")
		b.ReportMetric(float64(med(base, server).Microseconds())/1000, "server-cpu-ms/per-row-pass")
	}
	self := func(s sample) time.Duration { return s.self }
	b.ReportMetric(float64(med(bulk, self).Microseconds())/1000, "go-cpu-ms/pass")
	b.ReportMetric(float64(med(base, self).Microseconds())/1000, "go-cpu-ms/per-row-pass")
	b.ReportMetric(ratio(func(s sample) time.Duration { return s.other }), "x_other_groups")
	// The floor: the spectra alone, already encoded, in one COPY with
	// nothing else running; x_ceiling is the best any pass with one
	// transaction for them could do against this baseline.
	floor, floorBeside := spectraCopyFloor(b, rc, db)
	b.ReportMetric(float64(floor.Microseconds())/1000, "ms/spectra-copy-floor")
	b.ReportMetric(float64(med(base, pass))/float64(floor), "x_ceiling")
	b.ReportMetric(float64(floorBeside.Microseconds())/1000, "ms/floor-beside-others")
	b.ReportMetric(float64(med(base, pass))/float64(floorBeside), "x_ceiling_beside")
}

// spectraCopyFloor times, median of 5 each, the binary COPY of every
// spectrum of the site, encoded beforehand, into an empty
// hera_auto_spectrum, with the pass's lz4 setting, send buffer and
// row-by-row clause, committed: alone, and beside a pass of every other
// group (the time until both are done). The
// second is what a pass would take if reading, decoding and encoding the
// autos cost nothing.
func spectraCopyFloor(b *testing.B, rc *redis.Client, db *pgxpool.Pool) (alone, besideOthers time.Duration) {
	b.Helper()
	ctx := context.Background()
	keys, err := rc.Keys(ctx, "auto:*").Result()
	if err != nil {
		b.Fatal(err)
	}
	var list []autoKey
	var raw [][]byte
	for _, k := range keys {
		m := autoKeyRE.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		ant, err := ParsePyInt32(m[1])
		if err != nil {
			b.Fatal(err)
		}
		v, err := rc.Get(ctx, k).Bytes()
		if err != nil {
			b.Fatal(err)
		}
		list, raw = append(list, autoKey{ant, m[2], k, k}), append(raw, v)
	}
	ok := make([]bool, len(list))
	for i := range ok {
		ok[i] = true
	}
	fetched := make(chan int, 1)
	fetched <- len(list)
	close(fetched)
	payload, err := io.ReadAll(&spectraReader{list: list, raw: raw, valid: ok, t: 1, fetched: fetched,
		sent: make(chan struct{}), failed: func() error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	var others []string
	for _, g := range Groups() {
		if g.Set != "autos" {
			others = append(others, g.Name)
		}
	}
	copyOnce := func() error {
		return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, lz4ToastSQL); err != nil {
				return err
			}
			defer deepSendBuffer(tx.Conn().PgConn().Conn())()
			tag, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(payload),
				"COPY hera_auto_spectrum (time, antenna_number, antenna_feed_pol, spectrum) FROM STDIN (FORMAT binary)"+
					rowByRow(tx.Conn().PgConn().ParameterStatus("server_version")))
			if err == nil && tag.RowsAffected() != int64(len(list)) {
				err = fmt.Errorf("copied %d spectra, want %d", tag.RowsAffected(), len(list))
			}
			return err
		})
	}
	median := func(beside bool) time.Duration {
		var ds []time.Duration
		for range 5 {
			truncateAll(b, db)
			start := time.Now()
			othersDone := make(chan error, 1)
			if beside {
				go func() {
					_, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "bench", Only: others})
					othersDone <- err
				}()
			} else {
				othersDone <- nil
			}
			err := copyOnce()
			if e := <-othersDone; err == nil {
				err = e
			}
			if err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	return median(false), median(true)
}

// backendCPU sums the CPU time of the database's server processes from
// /proc/<pid>/schedstat; 0 when they are not visible (remote server).
func backendCPU(db *pgxpool.Pool) time.Duration {
	rows, err := db.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return 0
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// processCPU is this process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
