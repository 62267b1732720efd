package ingest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// s9JD is the autos timestamp of these tests and s9Time its hera_autos time.
const s9JD = 2461000.5

func s9Time(t *testing.T) int64 {
	gf, err := GPSFromJD(s9JD)
	if err != nil {
		t.Fatal(err)
	}
	return int64(math.Floor(gf))
}

// s9Autos fills m with auto:timestamp and n autos keys (antennas 0..n/2,
// both pols) of channels random float32 values each, and returns the
// decoded spectra by normalised key.
func s9Autos(m *miniredis.Miniredis, n, channels int, seed int64) map[string][]float32 {
	rng := rand.New(rand.NewSource(seed))
	m.Set("auto:timestamp", string(le64(s9JD)))
	specs := map[string][]float32{}
	for i := range n {
		key := fmt.Sprintf("auto:%d%s", i/2, "en"[i%2:i%2+1])
		v := make([]float32, channels)
		b := make([]byte, 4*channels)
		for j := range v {
			v[j] = float32(rng.NormFloat64() * 1e3)
			binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v[j]))
		}
		m.Set(key, string(b))
		specs[key] = v
	}
	return specs
}

// s9Gctx is the autos group's working state for one direct call of
// runAutos.
func s9Gctx(ctx context.Context, rc redis.UniversalClient, db *pgxpool.Pool, perRow bool) *gctx {
	return &gctx{pass: &pass{ctx: ctx, rdb: rc, db: db, opts: Options{perRowInserts: perRow}, rep: &Report{}},
		group: Group{Name: "autos"}, pending: map[string]int64{}}
}

// s9CheckAutos checks that the two tables hold exactly the spectra of want
// at time ts, each with its float32 median.
func s9CheckAutos(t *testing.T, db *pgxpool.Pool, ts int64, want map[string][]float32) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT s.antenna_number, s.antenna_feed_pol, a.value, a.measurement_type, s.spectrum
		FROM hera_auto_spectrum s FULL JOIN hera_autos a USING (time, antenna_number, antenna_feed_pol) WHERE time = $1`, ts)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		var ant *int32
		var pol, mt *string
		var value *float64
		var spec []float32
		if err := rows.Scan(&ant, &pol, &value, &mt, &spec); err != nil {
			t.Fatal(err)
		}
		got++
		if ant == nil || pol == nil || value == nil || spec == nil || mt == nil || *mt != "median" {
			t.Errorf("a row in one table only, or incomplete: ant %v pol %v value %v type %v spectrum nil %v", ant, pol, value, mt, spec == nil)
			continue
		}
		key := fmt.Sprintf("auto:%d%s", *ant, *pol)
		w, ok := want[key]
		if !ok {
			t.Errorf("%s: stored, not wanted", key)
			continue
		}
		if med := float64(sortedMedian(w)); *value != med && !(math.IsNaN(med) && math.IsNaN(*value)) {
			t.Errorf("%s: median %v, want %v", key, *value, med)
		}
		if len(spec) != len(w) {
			t.Errorf("%s: %d channels, want %d", key, len(spec), len(w))
			continue
		}
		for i := range w {
			if math.Float32bits(spec[i]) != math.Float32bits(w[i]) {
				t.Errorf("%s channel %d: %v, want %v", key, i, spec[i], w[i])
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Errorf("%d rows stored, want %d", got, len(want))
	}
}

// s9Empty checks that a failed group left both tables empty.
func s9Empty(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	for _, table := range []string{"hera_autos", "hera_auto_spectrum"} {
		if n := count(t, db, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%s: %d rows after the group failed", table, n)
		}
	}
}

// s9NoAutosGoroutines waits (briefly) until no goroutine runs the autos
// group's code any more: a goroutine of streamAutos, copyAutos or a
// spectraReader still alive after the group returned is a leak.
func s9NoAutosGoroutines(t *testing.T) {
	t.Helper()
	var stacks string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		leaked := false
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "ingest.(*gctx).streamAutos") || strings.Contains(g, "ingest.(*gctx).copyAutos") ||
				strings.Contains(g, "ingest.(*spectraReader).Read") {
				if !strings.Contains(g, "qa_s9_autos_test.go") { // not the test itself
					leaked = true
				}
			}
		}
		if !leaked {
			return
		}
	}
	t.Fatalf("autos goroutines still running after the group returned:\n%s", stacks)
}

// pipeHook runs fn before each pipeline of GETs of autos keys, numbered
// from 1; an error from fn fails that pipeline's commands.
type pipeHook struct {
	n  *atomic.Int32
	fn func(n int32, cmds []redis.Cmder) error
}

func (pipeHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (pipeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h pipeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "get" && strings.HasPrefix(fmt.Sprint(cmds[0].Args()[1]), "auto:") {
			if err := h.fn(h.n.Add(1), cmds); err != nil {
				for _, c := range cmds {
					c.SetErr(err)
				}
				return err
			}
		}
		return next(ctx, cmds)
	}
}

// TestS9AutosPartlyStored: pairs already stored in one table or the other
// at the same time are left as they are and the rest written, in both
// tables, exactly as the per-row baseline's ON CONFLICT DO NOTHING does,
// with the same counts; a second pass adds nothing.
func TestS9AutosPartlyStored(t *testing.T) {
	ctx := context.Background()
	m, rc := emptyRedis(t)
	specs := s9Autos(m, 130, 33, 1)
	ts := s9Time(t)
	dumps := map[bool]string{}
	for _, perRow := range []bool{false, true} {
		db := pgfixture.DB(t)
		// Antenna 3 e only in hera_autos, 4 n only in hera_auto_spectrum,
		// 5 e in both, with values a pass would not write; 6 e in both at
		// another time.
		for _, sql := range []string{
			`INSERT INTO hera_autos VALUES ($1, 3, 'e', 'median', -7), ($1, 5, 'e', 'median', -8), ($1 + 1, 6, 'e', 'median', -9)`,
			`INSERT INTO hera_auto_spectrum VALUES ($1, 4, 'n', '{1,2}'), ($1, 5, 'e', '{3}'), ($1 - 1, 6, 'e', '{4}')`,
		} {
			if _, err := db.Exec(ctx, sql, ts); err != nil {
				t.Fatal(err)
			}
		}
		g := s9Gctx(ctx, rc, db, perRow)
		if err := runAutos(g); err != nil {
			t.Fatalf("perRow=%v: %v", perRow, err)
		}
		if a, s := g.pending["hera_autos"], g.pending["hera_auto_spectrum"]; a != 128 || s != 128 {
			t.Errorf("perRow=%v: counted %d autos and %d spectra, want 128 each", perRow, a, s)
		}
		if len(g.skips) != 0 {
			t.Errorf("perRow=%v: skips %+v", perRow, g.skips)
		}
		got := fmt.Sprint(rowMaps(t, db, `SELECT time - $1 AS dt, antenna_number, antenna_feed_pol, value FROM hera_autos
			WHERE antenna_number BETWEEN 3 AND 6 ORDER BY 1, 2, 3`, ts),
			rowMaps(t, db, `SELECT time - $1 AS dt, antenna_number, antenna_feed_pol, array_length(spectrum, 1) AS n FROM hera_auto_spectrum
			WHERE antenna_number BETWEEN 3 AND 6 ORDER BY 1, 2, 3`, ts))
		dumps[perRow] = fmt.Sprint(got, dumpTables(t, db))
		for _, want := range []string{
			"map[antenna_feed_pol:e antenna_number:3 dt:0 value:-7]",
			"map[antenna_feed_pol:e antenna_number:5 dt:0 value:-8]",
			"map[antenna_feed_pol:e antenna_number:6 dt:1 value:-9]",
			"map[antenna_feed_pol:n antenna_number:4 dt:0 n:2]",
			"map[antenna_feed_pol:e antenna_number:5 dt:0 n:1]",
			"map[antenna_feed_pol:e antenna_number:6 dt:-1 n:1]",
			"map[antenna_feed_pol:e antenna_number:6 dt:0 n:33]",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("perRow=%v: %s missing from %s", perRow, want, got)
			}
		}
		g = s9Gctx(ctx, rc, db, perRow)
		if err := runAutos(g); err != nil {
			t.Fatal(err)
		}
		if a, s := g.pending["hera_autos"], g.pending["hera_auto_spectrum"]; a != 0 || s != 0 {
			t.Errorf("perRow=%v: a second pass wrote %d autos and %d spectra", perRow, a, s)
		}
	}
	if dumps[false] != dumps[true] {
		t.Errorf("the stream and the baseline differ:\n%s", firstDiff(dumps[false], dumps[true]))
	}
	_ = specs
}

// TestS9AutosBadKeys: in the streaming pass, a key of the wrong type and a
// key deleted between the SCAN and its GET (in a later pipeline) are
// reported and skipped, the others written with their medians, as the
// baseline does.
func TestS9AutosBadKeys(t *testing.T) {
	for _, perRow := range []bool{false, true} {
		m, rc := emptyRedis(t)
		specs := s9Autos(m, 120, 20, 2)
		m.Del("auto:7e")
		m.HSet("auto:7e", "a", "b")
		delete(specs, "auto:7e")
		var n atomic.Int32
		rc.AddHook(pipeHook{&n, func(n int32, cmds []redis.Cmder) error {
			m.Del("auto:55n") // after the SCAN; in the third pipeline of a stream
			return nil
		}})
		delete(specs, "auto:55n")
		db := pgfixture.DB(t)
		g := s9Gctx(context.Background(), rc, db, perRow)
		if err := runAutos(g); err != nil {
			t.Fatalf("perRow=%v: %v", perRow, err)
		}
		got := fmt.Sprint(g.skips)
		want := fmt.Sprint([]Skip{
			{Group: "autos", Table: "hera_autos", Key: "auto:7e", Action: "skipped", Reason: "wrong Redis type: hash, want string"},
			{Group: "autos", Table: "hera_autos", Key: "auto:55n", Action: "skipped", Reason: "key vanished before it was read"},
		})
		if got != want {
			t.Errorf("perRow=%v: skips %s, want %s", perRow, got, want)
		}
		s9CheckAutos(t, db, s9Time(t), specs)
	}
}

// TestS9AutosScanFails: a SCAN error fails the group, named, with nothing
// written and nothing left running.
func TestS9AutosScanFails(t *testing.T) {
	m, rc := emptyRedis(t)
	s9Autos(m, 10, 8, 3)
	rc.AddHook(failScan{"auto*"})
	db := pgfixture.DB(t)
	err := runAutos(s9Gctx(context.Background(), rc, db, false))
	if err == nil || !strings.Contains(err.Error(), "SCAN auto*: injected SCAN failure") {
		t.Fatalf("error %v, want the SCAN failure", err)
	}
	s9Empty(t, db)
	s9NoAutosGoroutines(t)
}

// TestS9AutosRedisFailsMidRead: a Redis error in a later pipeline of
// GETs, while the spectra COPY is under way, fails the group with that
// error (not a COPY error), rolled back; and a Redis server that goes away
// there does the same.
func TestS9AutosRedisFailsMidRead(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		m, rc := emptyRedis(t)
		s9Autos(m, 160, 300, 4)
		var n atomic.Int32
		rc.AddHook(pipeHook{&n, func(n int32, cmds []redis.Cmder) error {
			if n == 3 {
				return errors.New("injected connection reset")
			}
			return nil
		}})
		db := pgfixture.DB(t)
		err := runAutos(s9Gctx(context.Background(), rc, db, false))
		if err == nil || !strings.HasPrefix(err.Error(), "GET auto:50e: injected connection reset") {
			t.Fatalf("error %v, want the GET of auto:50e failing", err)
		}
		s9Empty(t, db)
		s9NoAutosGoroutines(t)
	})
	t.Run("server gone", func(t *testing.T) {
		m := miniredis.RunT(t)
		rc := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
		t.Cleanup(func() { rc.Close() })
		s9Autos(m, 160, 300, 5)
		var n atomic.Int32
		rc.AddHook(pipeHook{&n, func(n int32, cmds []redis.Cmder) error {
			if n == 2 {
				m.Close()
			}
			return nil
		}})
		db := pgfixture.DB(t)
		err := runAutos(s9Gctx(context.Background(), rc, db, false))
		if err == nil || !strings.HasPrefix(err.Error(), "GET auto:25e: ") {
			t.Fatalf("error %v, want the GET of auto:25e failing", err)
		}
		s9Empty(t, db)
		s9NoAutosGoroutines(t)
	})
}

// TestS9AutosCopyRejected: a row the server refuses in the middle of the
// spectra COPY fails the group with the server's error, both tables
// rolled back, no goroutine left; a refused hera_autos row does the same.
func TestS9AutosCopyRejected(t *testing.T) {
	for _, c := range []struct{ table, want string }{
		{"hera_auto_spectrum", "hera_auto_spectrum: copy: "},
		{"hera_autos", "hera_autos: copy: "},
	} {
		t.Run(c.table, func(t *testing.T) {
			m, rc := emptyRedis(t)
			s9Autos(m, 160, 100, 6)
			db := pgfixture.DB(t)
			if _, err := db.Exec(context.Background(), `ALTER TABLE `+c.table+` ADD CONSTRAINT s9_no_70 CHECK (antenna_number <> 70)`); err != nil {
				t.Fatal(err)
			}
			err := runAutos(s9Gctx(context.Background(), rc, db, false))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || !strings.Contains(err.Error(), "s9_no_70") {
				t.Fatalf("error %v, want %q and the constraint", err, c.want)
			}
			s9Empty(t, db)
			s9NoAutosGoroutines(t)
		})
	}
}

// TestS9AutosBeginFails: when the transaction cannot start, the group
// fails with that error and the Redis reads already started are stopped.
func TestS9AutosBeginFails(t *testing.T) {
	m, rc := emptyRedis(t)
	s9Autos(m, 160, 50, 7)
	db := pgfixture.DB(t)
	cfg := db.Config().Copy()
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = "127.0.0.1", 1 // nothing listens there
	cfg.ConnConfig.ConnectTimeout = time.Second
	cfg.ConnConfig.Fallbacks = nil
	bad, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	err = runAutos(s9Gctx(context.Background(), rc, bad, false))
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("error %v, want the connection failure", err)
	}
	s9NoAutosGoroutines(t)
}

// TestS9AutosCancelled: a pass cancelled while the spectra are being read
// and copied rolls the group back with the cancellation, and leaves no
// goroutine running. Run under -race, it also checks that nothing of the
// COPY's reader is read while pgconn's copy goroutine may still write it.
func TestS9AutosCancelled(t *testing.T) {
	m := miniredis.RunT(t)
	s9Autos(m, 200, 400, 8)
	db := pgfixture.DB(t)
	for i := range 8 {
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
		at := int32(2 + i%3)
		rc.AddHook(pipeHook{&n, func(n int32, cmds []redis.Cmder) error {
			if n == at {
				s9WaitCopy(t, db)
				cancel()
				if i%2 == 0 {
					return errors.New("injected failure after the cancel")
				}
			}
			return nil
		}})
		err := runAutos(s9Gctx(ctx, rc, db, false))
		cancel()
		rc.Close()
		if err == nil || !(errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "injected failure after the cancel")) {
			t.Fatalf("round %d: error %v, want the cancellation", i, err)
		}
		s9Empty(t, db)
		s9NoAutosGoroutines(t)
	}
}

// s9WaitCopy waits until the spectra COPY is running on the server.
func s9WaitCopy(t *testing.T, db *pgxpool.Pool) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE query LIKE 'COPY hera_auto_spectrum%' AND state = 'active'`).Scan(&n); err != nil {
			t.Error(err)
			return
		}
		if n > 0 {
			return
		}
	}
	t.Error("the spectra COPY did not start")
}
