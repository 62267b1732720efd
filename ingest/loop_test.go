package ingest

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
	"github.com/redis/go-redis/v9"
)

// ownCluster starts a PostgreSQL of the test's own (so it can be
// restarted) with a migrated database.
func ownCluster(t *testing.T) (*pgfixture.Cluster, *pgxpool.Pool) {
	t.Helper()
	pgfixture.NeedServer(t)
	ctx := context.Background()
	c, err := pgfixture.StartCluster(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	if err := c.CreateDatabase(ctx, "mc"); err != nil {
		t.Fatal(err)
	}
	db, err := pgxpool.New(ctx, c.DSN("mc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	m, err := migrations.NewFromPool(db)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return c, db
}

// TestLoop: passes with an injected clock; between passes PostgreSQL is
// restarted, the catcher's key disappears (its TTL ran out), a table goes
// missing (that group fails alone) and Redis goes away for a while.
func TestLoop(t *testing.T) {
	ctx := context.Background()
	c, db := ownCluster(t)
	m, _ := loadSite(t)
	// A client that fails fast while Redis is away.
	rc := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })

	now := testNow
	var reports []*Report
	var passErrs []error
	var pingFailures, sleeps int
	redisDown := false
	lo := LoopOptions{
		Options: Options{Now: func() time.Time { return now }, Hostname: "loop-test"},
		Every:   time.Minute,
		Passes:  4,
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps++
			if redisDown {
				redisDown = false
				if err := m.Restart(); err != nil { // Redis comes back during the backoff
					t.Error(err)
				}
			}
			return ctx.Err()
		},
		OnPass: func(n int, rep *Report, err error) {
			if rep == nil {
				if !errors.Is(err, ErrConnection) {
					t.Errorf("pass %d could not start: %v", n, err)
				}
				pingFailures++
				return
			}
			reports = append(reports, rep)
			passErrs = append(passErrs, err)
			if n == 3 { // the autos group failed: its daemon is recorded errored, the others good
				for d, want := range map[string]string{DaemonCorrelator: "errored", DaemonNodes: "good", DaemonDaemons: "good"} {
					var st string
					if err := db.QueryRow(ctx, `SELECT status FROM daemon_status WHERE name = $1 AND hostname = 'loop-test'`, d).Scan(&st); err != nil || st != want {
						t.Errorf("pass 3: daemon_status %s = %q (%v), want %s", d, st, err, want)
					}
				}
			}
		},
		BeforePass: func(n int) {
			now = testNow.Add(time.Duration(n-1) * time.Minute)
			switch n {
			case 2:
				if err := c.Restart(ctx); err != nil {
					t.Fatal(err)
				}
				m.Del("corr:is_taking_data")
			case 3:
				if _, err := db.Exec(ctx, `ALTER TABLE hera_autos RENAME TO hera_autos_away`); err != nil {
					t.Fatal(err)
				}
			case 4:
				if _, err := db.Exec(ctx, `ALTER TABLE hera_autos_away RENAME TO hera_autos`); err != nil {
					t.Fatal(err)
				}
				m.Close()
				redisDown = true
			}
		},
	}
	if err := Loop(ctx, rc, db, lo); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 4 {
		t.Fatalf("%d passes, want 4", len(reports))
	}
	if pingFailures == 0 {
		t.Error("closing Redis did not stop a pass from starting")
	}

	// Pass 2, after the restart: no failed group, the catcher timed out.
	if passErrs[1] != nil {
		t.Errorf("pass after the PostgreSQL restart: %v", passErrs[1])
	}
	g2, _ := GPSFromUnix(timeUnix(testNow.Add(time.Minute)))
	var st float64
	if err := db.QueryRow(ctx, `SELECT time FROM correlator_component_event_time WHERE event = 'stop_timeout'`).Scan(&st); err != nil || st != g2 {
		t.Errorf("stop_timeout row: %v %v, want time %v", st, err, g2)
	}
	if reports[1].Rows("correlator_component_event_time") != 1 {
		t.Errorf("pass 2 wrote %d event rows, want the stop_timeout only", reports[1].Rows("correlator_component_event_time"))
	}

	// Pass 3: the autos group failed alone, rolled back and recorded.
	if passErrs[2] == nil || len(reports[2].Failed()) != 1 || reports[2].Failed()[0].Name != "autos" {
		t.Errorf("pass 3: %v, failed %v", passErrs[2], reports[2].Failed())
	}
	if reports[2].Rows("correlator_file_queues") == 0 {
		t.Error("pass 3: the other groups were not written")
	}
	var sev int
	var log string
	if err := db.QueryRow(ctx, `SELECT severity, log FROM subsystem_error WHERE subsystem = 'mc_correlator_monitor'`).Scan(&sev, &log); err != nil || sev != 2 || !strings.Contains(log, "hera_autos") {
		t.Errorf("subsystem_error: %d %q %v", sev, log, err)
	}
	// Pass 4 (after Redis came back): all good again, the autos written.
	if passErrs[3] != nil {
		t.Errorf("pass 4: %v", passErrs[3])
	}
	var status string
	var tm int64
	if err := db.QueryRow(ctx, `SELECT status, time FROM daemon_status WHERE name = 'mc_monitor_correlator' AND hostname = 'loop-test'`).Scan(&status, &tm); err != nil ||
		status != "good" || tm != int64(math.Floor(float64(testNow.Add(3*time.Minute).Unix())))-315964782 {
		t.Errorf("daemon_status after pass 4: %s %d %v", status, tm, err)
	}
	if n := count(t, db, `SELECT count(DISTINCT time) FROM correlator_file_queues`); n != 4 {
		t.Errorf("file queue rows of %d passes, want 4", n)
	}
}

// TestLoopStopsOnCancel: a cancelled context ends the loop after the pass.
func TestLoopStopsOnCancel(t *testing.T) {
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	passes := 0
	err := Loop(ctx, rc, db, LoopOptions{
		Options: Options{Now: fixedNow, Only: []string{"file_queues"}},
		Every:   time.Hour,
		OnPass: func(n int, rep *Report, err error) {
			passes++
			cancel() // a signal arriving during the pass
		},
	})
	if err != nil || passes != 1 {
		t.Errorf("loop: %v after %d passes", err, passes)
	}
	if n := count(t, db, `SELECT count(*) FROM correlator_file_queues`); n == 0 {
		t.Error("the interrupted pass was not finished")
	}
}

// TestLoopUnknownGroup: a group name no pass can run is refused before
// the first pass, not failed and retried on every pass for ever.
func TestLoopUnknownGroup(t *testing.T) {
	passes := 0
	err := Loop(context.Background(), nil, nil, LoopOptions{
		Options: Options{Now: fixedNow, Only: []string{"file_queus"}},
		Every:   time.Millisecond, Passes: 3,
		OnPass: func(int, *Report, error) { passes++ },
	})
	if err == nil || !strings.Contains(err.Error(), `"file_queus"`) || passes != 0 {
		t.Fatalf("loop with an unknown group: %v after %d passes", err, passes)
	}
}

// failScan makes SCAN fail for one pattern, as a Redis that errors on
// that command would.
type failScan struct{ match string }

func (failScan) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f failScan) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "scan" && strings.Contains(cmd.String(), f.match) {
			err := errors.New("injected SCAN failure")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (failScan) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestDaemonsGroupFailure: when the liveness check fails, its daemon is
// recorded errored in daemon_status and the error in subsystem_error,
// like any other group's.
func TestDaemonsGroupFailure(t *testing.T) {
	ctx := context.Background()
	_, rc := loadSite(t)
	rc.AddHook(failScan{"status:script:*"})
	db := pgfixture.DB(t)
	rep, err := Run(ctx, rc, db, Options{Now: func() time.Time { return testNow }, Hostname: "fail-test", Only: []string{"daemons"}})
	if err == nil || len(rep.Failed()) != 1 || !strings.Contains(err.Error(), "injected SCAN failure") {
		t.Fatalf("pass error %v, failed groups %v", err, rep.Failed())
	}
	var st string
	if err := db.QueryRow(ctx, `SELECT status FROM daemon_status WHERE name = $1 AND hostname = 'fail-test'`, DaemonDaemons).Scan(&st); err != nil || st != "errored" {
		t.Errorf("daemon_status %s = %q (%v), want errored", DaemonDaemons, st, err)
	}
	if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name <> $1`, DaemonDaemons); n != 0 {
		t.Errorf("%d liveness rows written by a failed group", n)
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error WHERE subsystem = $1 AND severity = 2 AND log LIKE '%injected SCAN failure%'`, DaemonDaemons); n != 1 {
		t.Errorf("%d subsystem_error rows for the failed group, want 1", n)
	}
}
