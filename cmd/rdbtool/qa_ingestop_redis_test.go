package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

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
	// DEBUG RELOAD with 100 ms a key (some 20 s for the site dump): Redis
	// stays loading until the test ends it by taking the delay away, which
	// it may do while loading, so no timing decides what rdbtool meets.
	reload := func() chan error {
		if err := rc.ConfigSet(ctx, "key-load-delay", "100000").Err(); err != nil {
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
		if err := rc.ConfigSet(ctx, "key-load-delay", "0").Err(); err != nil {
			t.Fatalf("CONFIG SET key-load-delay 0 while loading: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("DEBUG RELOAD: %v", err)
		}
	}

	done := reload()
	code, stderr := ingestProcess(t, nil, "ingest", "--redis", "redis://"+srv.Addr, "--db", dsn, "--only", "daemons")
	loaded(done)
	if msg := lastLine(stderr); code != exitError || !strings.Contains(msg, "loading") || strings.Contains(msg, "refused") {
		t.Errorf("single pass: exit %d, %q", code, msg)
	}

	done = reload()
	proc := startChild(t, "ingest", "--redis", "redis://"+srv.Addr, "--db", dsn, "--only", "daemons", "--every", "100ms")
	waitFor(t, "the loop did not say Redis is loading", func() bool {
		return strings.Contains(proc.stderr.String(), "LOADING")
	})
	loaded(done)
	waitForPass(t, db)
	proc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-proc.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the loop did not stop on SIGTERM\n%s", proc.stderr.String())
	}
	if code, stderr := proc.cmd.ProcessState.ExitCode(), proc.stderr.String(); code != 0 || strings.Contains(stderr, "refused") {
		t.Errorf("loop: exit %d\n%s", code, stderr)
	}
}
