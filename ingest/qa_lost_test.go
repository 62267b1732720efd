package ingest

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// killOnScan closes the in-process Redis when SCAN for match is sent, as a
// Redis server that dies in the middle of a pass.
type killOnScan struct {
	m     *miniredis.Miniredis
	match string
}

func (killOnScan) DialHook(next redis.DialHook) redis.DialHook { return next }
func (k killOnScan) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "scan" && strings.Contains(cmd.String(), k.match) {
			k.m.Close()
		}
		return next(ctx, cmd)
	}
}
func (killOnScan) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestRunStopsWhenRedisIsLost: when Redis goes away in the middle of a pass,
// the groups already committed stay, the failing group is recorded once,
// and the groups after it are not run one by one against a dead server
// (each would fail the same way, be recorded as a subsystem error of its
// own and cost a dial timeout): they are reported as not run, their
// daemons errored.
func TestRunStopsWhenRedisIsLost(t *testing.T) {
	ctx := context.Background()
	m, _ := loadSite(t)
	rc := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })
	rc.AddHook(killOnScan{m, "status:snap:*"})
	db := pgfixture.DB(t)

	rep, err := Run(ctx, rc, db, Options{Now: func() time.Time { return testNow }, Hostname: "lost-test",
		Only: []string{"correlator", "nodes", "daemons"}})
	if err == nil || rep == nil {
		t.Fatalf("pass: %v", err)
	}
	if !strings.Contains(err.Error(), "Redis") || !strings.Contains(err.Error(), "not run") {
		t.Errorf("pass error does not say Redis was lost and what was not run: %v", err)
	}
	status := map[string]string{}
	for _, g := range rep.Groups {
		status[g.Name] = g.Status
	}
	if status["file_queues"] != "good" || rep.Rows("correlator_file_queues") == 0 {
		t.Errorf("a group before the loss was not written: %v", status)
	}
	if status["snap_status"] != "errored" {
		t.Errorf("snap_status: %q, want errored", status["snap_status"])
	}
	for _, g := range []string{"feng_init", "versions", "antenna_status", "node_sensor", "daemons"} {
		if status[g] != StatusNotRun {
			t.Errorf("group %s after the loss: %q, want %q", g, status[g], StatusNotRun)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 1 {
		t.Errorf("%d subsystem_error rows, want 1 (the group that met the loss)", n)
	}
	for d, want := range map[string]string{DaemonCorrelator: "errored", DaemonNodes: "errored", DaemonDaemons: "errored"} {
		var st string
		if err := db.QueryRow(ctx, `SELECT status FROM daemon_status WHERE name = $1 AND hostname = 'lost-test'`, d).Scan(&st); err != nil || st != want {
			t.Errorf("daemon_status %s = %q (%v), want %s", d, st, err, want)
		}
	}
	if len(rep.Failed()) < 2 {
		t.Errorf("Failed() = %v: the groups not run must count as failed", rep.Failed())
	}
}

// TestRunGoesOnAfterAGroupError: a group that fails while both servers
// still answer does not stop the pass (the one-group rule).
func TestRunGoesOnAfterAGroupError(t *testing.T) {
	_, rc := loadSite(t)
	rc.AddHook(failScan{"status:snap:*"})
	db := pgfixture.DB(t)
	rep, err := Run(context.Background(), rc, db, Options{Now: func() time.Time { return testNow }, Only: []string{"correlator", "nodes"}})
	if err == nil || errors.Is(err, ErrConnection) {
		t.Fatalf("pass: %v", err)
	}
	if f := rep.Failed(); len(f) != 1 || f[0].Name != "snap_status" {
		t.Errorf("failed groups %v, want snap_status alone", f)
	}
	if rep.Rows("node_sensor") == 0 || rep.Rows("antenna_status") == 0 {
		t.Error("the groups after the failing one were not written")
	}
}

// TestLoopLostPostgreSQLOneLine: the loop's "connection lost" error for a
// PostgreSQL that does not answer is one line naming the cause, without
// pgconn's multi-line wrapper that repeats the settings.
func TestLoopLostPostgreSQLOneLine(t *testing.T) {
	_, rc := loadSite(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	db, err := pgxpool.New(context.Background(), "postgres://mc@"+addr+"/hera_mc?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got error
	Loop(context.Background(), rc, db, LoopOptions{Every: time.Hour, Passes: 1,
		Sleep: func(ctx context.Context, d time.Duration) error { return errors.New("stop") },
		OnPass: func(_ int, rep *Report, err error) {
			if rep == nil {
				got = err
			}
		}})
	if got == nil || !errors.Is(got, ErrConnection) {
		t.Fatalf("loop error %v, want a connection error", got)
	}
	msg := got.Error()
	if strings.Contains(msg, "\n") || strings.Contains(msg, "failed to connect to") || strings.Count(msg, "connection refused") != 1 {
		t.Errorf("message: %q", msg)
	}
}
