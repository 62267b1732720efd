//go:build soak

package ingest

// The soak test (make soak): the monitor loop every second for
// RDBTOOL_SOAK (default 30m) against a live loopback redis-server whose keys
// a writer keeps changing, with the mc-log-channel listener running. It
// checks that goroutines and heap do not grow between the first and the
// last minute, and that every pass is accounted for in the database.
//
//	go test -tags soak -run TestSoak -timeout 45m ./ingest
//	RDBTOOL_SOAK=2m go test -tags soak -run TestSoak ./ingest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
	"github.com/redis/go-redis/v9"
)

type usage struct {
	goroutines int
	heap       uint64
}

func measure() usage {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{runtime.NumGoroutine(), ms.HeapAlloc}
}

// writer changes the site's keys the way the site's daemons do, until ctx
// ends: SNAP and node status timestamps, autos, the file queue, the
// catcher's expiring key (which sometimes lapses), log messages.
func writer(ctx context.Context, rc *redis.Client, s *site.Site) {
	r := rand.New(rand.NewSource(7))
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var catcherStart int64
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now().UTC()
		u := float64(now.UnixMicro()) / 1e6
		pipe := rc.Pipeline()
		for _, h := range s.SnapHosts[:8] {
			pipe.HSet(ctx, "status:snap:"+h, "timestamp", now.Format("2006-01-02T15:04:05.000000"),
				"temp", fmt.Sprintf("%.3f", 50+r.Float64()*10))
		}
		for n := 1; n <= 4; n++ {
			pipe.HSet(ctx, fmt.Sprintf("status:node:%d", n), "timestamp", fmt.Sprintf("%.6f", u))
			pipe.HSet(ctx, fmt.Sprintf("status:wr:heraNode%dwr", n), "timestamp", now.Format("2006-01-02T15:04:05.000000"))
		}
		jd := u/86400 + 2440587.5
		ts := make([]byte, 8)
		binary.LittleEndian.PutUint64(ts, math.Float64bits(jd))
		pipe.Set(ctx, "auto:timestamp", ts, 0)
		spec := make([]byte, 4*s.Opts.Channels)
		for c := 0; c < s.Opts.Channels; c++ {
			binary.LittleEndian.PutUint32(spec[4*c:], math.Float32bits(float32(r.Float64()*1e6)))
		}
		pipe.Set(ctx, fmt.Sprintf("auto:%de", s.Antennas[i%len(s.Antennas)]), spec, 0)
		pipe.RPush(ctx, "corr:files:raw", fmt.Sprintf("%d/zen.%.5f.sum.dat", int64(jd), jd))
		pipe.LTrim(ctx, "corr:files:raw", -200, -1)
		if i%50 == 0 {
			catcherStart = now.Unix() // the catcher (re)starts
		}
		if i%50 < 40 { // ... runs for 8 s, then is gone for 2 s
			pipe.HSet(ctx, "corr:is_taking_data", "state", "True", "time", fmt.Sprint(catcherStart))
			pipe.Expire(ctx, "corr:is_taking_data", time.Second)
		}
		if i%25 == 0 {
			pipe.Publish(ctx, LogChannel, fmt.Sprintf(`{"subsystem": "correlator", "levelno": 30, "severity": 3, "message": "soak %d", "logtime": %f}`, i, u))
		}
		if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
			panic(err)
		}
	}
}

func TestSoak(t *testing.T) {
	d := 30 * time.Minute
	if s := os.Getenv("RDBTOOL_SOAK"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	if d < 2*time.Minute {
		t.Fatalf("RDBTOOL_SOAK=%v: the soak compares its first and last minute, give at least 2m", d)
	}
	srv := redistest.Start(t) // loopback only
	rc := srv.Client(t)
	o := site.Small()
	o.Now = time.Now().UTC()
	o.TTLs = false
	s := site.Build(o)
	ctx := context.Background()
	if err := s.Apply(ctx, rc, true); err != nil {
		t.Fatal(err)
	}
	db := pgfixture.DB(t)

	runCtx, stop := context.WithTimeout(ctx, d)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); writer(runCtx, rc, s) }()
	go func() {
		defer wg.Done()
		if err := ListenLog(runCtx, rc, db, Options{Hostname: "soak"}); err != nil {
			t.Error(err)
		}
	}()

	start := time.Now()
	var first, last usage
	var firstTaken bool
	passes, failed, unaccounted := 0, 0, 0
	var lastPass time.Time
	err := Loop(runCtx, rc, db, LoopOptions{
		Options: Options{Hostname: "soak", Now: func() time.Time { lastPass = time.Now(); return lastPass }},
		Every:   time.Second,
		OnPass: func(n int, rep *Report, err error) {
			if rep == nil {
				t.Errorf("pass %d did not start: %v", n, err)
				return
			}
			passes++
			if err != nil {
				failed++
				t.Errorf("pass %d: %v", n, err)
			}
			// Every pass is accounted for: daemon_status holds this pass.
			want, _ := FloorGPSTime(lastPass)
			var got int64
			var status string
			if err := db.QueryRow(ctx, `SELECT time, status FROM daemon_status WHERE name = $1 AND hostname = 'soak' AND jd = $2`,
				DaemonCorrelator, JDDay(lastPass)).Scan(&got, &status); err != nil || got != want || status != "good" {
				unaccounted++
				t.Errorf("pass %d: daemon_status time %d %s (%v), want %d good", n, got, status, err, want)
			}
			if !firstTaken && time.Since(start) > time.Minute {
				first, firstTaken = measure(), true
			}
			if time.Until(start.Add(d)) < 30*time.Second {
				last = measure()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	t.Logf("%d passes in %v, %d failed; after 1 min: %d goroutines, %d KB heap; last: %d goroutines, %d KB heap",
		passes, d, failed, first.goroutines, first.heap/1024, last.goroutines, last.heap/1024)

	if passes < int(d/time.Second)*8/10 {
		t.Errorf("only %d passes in %v at 1 s", passes, d)
	}
	if last.goroutines > first.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	if last.heap > first.heap*3/2+8<<20 {
		t.Errorf("heap grew from %d KB to %d KB", first.heap/1024, last.heap/1024)
	}
	if unaccounted > 0 {
		t.Errorf("%d of %d passes not in daemon_status", unaccounted, passes)
	}
	// One set of file queue rows per pass (two passes less than a second
	// apart share a GPS second, so a few may coincide).
	if n := count(t, db, `SELECT count(DISTINCT time) FROM correlator_file_queues`); n < passes*95/100 || n > passes {
		t.Errorf("%d passes stamped file queue rows, %d passes ran", n, passes)
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error WHERE log LIKE 'soak %'`); n == 0 {
		t.Error("no log channel messages stored")
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_component_event_time WHERE event = 'stop_timeout'`); n == 0 {
		t.Error("the lapsing catcher key produced no stop_timeout")
	}
}
