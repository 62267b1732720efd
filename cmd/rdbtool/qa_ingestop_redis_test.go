package main

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestQAIngestOpRedisLoading: a redis-server still loading its dump (the
// site boots, or Redis restarts, with the daemon) answers -LOADING. That
// is a Redis not ready yet, not one that refuses us: the monitor loop
// waits for it and runs its passes once it has loaded (before, it exited
// 2 at once, "Redis refused: LOADING ...", and a service manager saw a
// crash), and a single pass exits 2 saying Redis is loading.
func TestQAIngestOpRedisLoading(t *testing.T) {
	srv := redistest.Start(t, redistest.WithRDB(siteDump),
		redistest.WithArgs("--loading-process-events-interval-bytes", "1024"))
	rc := srv.Client(t)
	ctx := context.Background()
	db, dsn := pgfixture.DBWithDSN(t)
	// DEBUG RELOAD with a delay per key: about 1.5 s of -LOADING.
	reload := func() chan error {
		if err := rc.ConfigSet(ctx, "key-load-delay", "6000").Err(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Client(t).Do(ctx, "DEBUG", "RELOAD").Err() }()
		waitFor(t, "Redis did not start loading", func() bool {
			err := rc.Ping(ctx).Err()
			return err != nil && strings.HasPrefix(err.Error(), "LOADING")
		})
		return done
	}
	loaded := func(done chan error) {
		if err := <-done; err != nil {
			t.Fatalf("DEBUG RELOAD: %v", err)
		}
		rc.ConfigSet(ctx, "key-load-delay", "0")
	}

	done := reload()
	code, stderr := ingestProcess(t, nil, "ingest", "--redis", "redis://"+srv.Addr, "--db", dsn, "--only", "daemons")
	if msg := lastLine(stderr); code != exitError || !strings.Contains(msg, "loading") || strings.Contains(msg, "refused") {
		t.Errorf("single pass: exit %d, %q", code, msg)
	}
	loaded(done)

	done = reload()
	code, stderr = ingestProcess(t, func(p *os.Process) {
		waitFor(t, "no pass after Redis loaded", func() bool {
			var n int
			db.QueryRow(ctx, `SELECT count(*) FROM daemon_status`).Scan(&n)
			return n > 0
		})
		p.Signal(syscall.SIGTERM)
	}, "ingest", "--redis", "redis://"+srv.Addr, "--db", dsn, "--only", "daemons", "--every", "100ms")
	loaded(done)
	if code != 0 || !strings.Contains(stderr, "LOADING") || strings.Contains(stderr, "refused") {
		t.Errorf("loop: exit %d\n%s", code, stderr)
	}
}
