package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// ingestProcess runs `rdbtool args...` as a process and returns its exit
// code and stderr; kill, when set, runs once the process has started.
func ingestProcess(t *testing.T, kill func(*os.Process), args ...string) (int, string) {
	t.Helper()
	proc := startChild(t, args...)
	cmd, waited, stderr := proc.cmd, proc.done, &proc.stderr
	if kill != nil {
		kill(cmd.Process)
	}
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("rdbtool %s did not end within 20 s\n%s", strings.Join(args, " "), stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// waitForPass waits until a pass has written its daemon_status rows.
func waitForPass(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	waitFor(t, "no pass written", func() bool {
		var n int
		db.QueryRow(context.Background(), `SELECT count(*) FROM daemon_status`).Scan(&n)
		return n > 0
	})
}

// lastLine is the "rdbtool: ..." message main prints last.
func lastLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return lines[len(lines)-1]
}

// TestQAIngestOnceRedisUnreachable: a single pass whose Redis does not
// answer fails at once with one line naming the server (never the
// password), exit 2, and writes nothing: not one subsystem_error row per
// group, not go-redis's own log lines.
func TestQAIngestOnceRedisUnreachable(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	port := redistest.FreePort(t)
	start := time.Now()
	code, stderr := ingestProcess(t, nil, "ingest", "--redis", fmt.Sprintf("redis://:s3cret-pw@127.0.0.1:%d?max_retries=-1", port), "--db", dsn)
	if code != exitError || time.Since(start) > 10*time.Second {
		t.Errorf("exit %d after %v, want %d at once\n%s", code, time.Since(start), exitError, stderr)
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Errorf("%d lines, want one:\n%s", n+1, stderr)
	}
	msg := lastLine(stderr)
	if !strings.Contains(msg, fmt.Sprintf("127.0.0.1:%d", port)) || !strings.Contains(msg, "Redis") || strings.Contains(stderr, "s3cret-pw") {
		t.Errorf("message: %s", msg)
	}
	for _, table := range []string{"subsystem_error", "daemon_status"} {
		var n int
		if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows (%v), want none", table, n, err)
		}
	}
}

// cutProxy relays TCP connections to target until n bytes have come back
// from it, then closes every connection and stops accepting: a server that
// dies in the middle of a pass.
func cutProxy(t *testing.T, target string, n int64) string {
	return cutProxyTo(t, "tcp", target, n, 0)
}

// cutProxyTo is cutProxy to a server on network ("tcp", "unix"), cutting
// after down bytes from the server or up bytes to it (0: no limit).
func cutProxyTo(t *testing.T, network, target string, down, up int64) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		conns   []net.Conn
		fromSrv atomic.Int64
		toSrv   atomic.Int64
		once    sync.Once
	)
	cut := func() {
		once.Do(func() {
			l.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(cut)
	relay := func(dst, src net.Conn, count *atomic.Int64, limit int64) {
		defer dst.Close()
		buf := make([]byte, 4096)
		for {
			k, err := src.Read(buf)
			if k > 0 {
				if limit > 0 && count.Add(int64(k)) > limit {
					cut()
					return
				}
				dst.Write(buf[:k])
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(network, target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			go relay(s, c, &toSrv, up)
			go relay(c, s, &fromSrv, down)
		}
	}()
	return l.Addr().String()
}

// TestQAIngestRedisLostMidPass: Redis dies in the middle of a pass. The
// pass stops (the groups after the loss are not run one by one against a
// dead server), the groups written before stay, the summary is one line
// saying Redis was lost, and go-redis's log lines stay out of it.
func TestQAIngestRedisLostMidPass(t *testing.T) {
	m, _ := fixture.Load(t, siteDump)
	db, dsn := pgfixture.DBWithDSN(t)
	// about half the bytes a pass reads: after the correlator's first groups
	addr := cutProxy(t, m.Addr(), 40<<10)
	code, stderr := ingestProcess(t, nil, "ingest", "--redis", "redis://"+addr+"?max_retries=-1", "--db", dsn, "--only", "correlator,nodes,daemons")
	if code != exitFound {
		t.Fatalf("exit %d, want %d\n%s", code, exitFound, stderr)
	}
	if strings.Contains(stderr, "pool.go") || strings.Contains(stderr, "redis: 20") {
		t.Errorf("go-redis log lines on stderr:\n%s", stderr)
	}
	msg := lastLine(stderr)
	if !strings.HasPrefix(msg, "rdbtool: ingest:") || !strings.Contains(msg, "Redis") || !strings.Contains(msg, "not run") || len(msg) > 500 {
		t.Errorf("summary (%d chars): %s", len(msg), msg)
	}
	var errRows, fileRows int
	db.QueryRow(context.Background(), `SELECT count(*) FROM subsystem_error`).Scan(&errRows)
	db.QueryRow(context.Background(), `SELECT count(*) FROM correlator_file_queues`).Scan(&fileRows)
	if errRows != 1 || fileRows == 0 {
		t.Errorf("subsystem_error %d rows (want the one group that met the loss), file queues %d (want the groups before it)\n%s", errRows, fileRows, stderr)
	}
}

// TestQAIngestInterruptWhileLoading: SIGINT or SIGTERM while the dump is
// still being read (a pipe whose writer stalls) ends the command: exit
// 128+n for a single pass, 0 for the monitor loop, with one line saying
// nothing was written. Before, the signal was swallowed and the command
// hung.
func TestQAIngestInterruptWhileLoading(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
		args []string
	}{
		{syscall.SIGINT, 128 + int(syscall.SIGINT), nil},
		{syscall.SIGTERM, 128 + int(syscall.SIGTERM), nil},
		{syscall.SIGTERM, 0, []string{"--every", "1s"}},
	} {
		fifo := filepath.Join(t.TempDir(), "dump.rdb")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"ingest", "--rdb", fifo, "--db", dsn}, tc.args...)
		code, stderr := ingestProcess(t, func(p *os.Process) {
			time.Sleep(300 * time.Millisecond)
			p.Signal(tc.sig)
		}, args...)
		if code != tc.want {
			t.Errorf("%v %v: exit %d, want %d\n%s", tc.sig, tc.args, code, tc.want, stderr)
		}
		if msg := strings.TrimSpace(stderr); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "interrupted") || !strings.Contains(msg, "nothing was written") {
			t.Errorf("%v %v: stderr: %s", tc.sig, tc.args, stderr)
		}
	}
}

// slowProxy relays TCP connections to target, holding each chunk from the
// server for delay; it returns its address and the bytes relayed so far.
func slowProxy(t *testing.T, target string, delay time.Duration) (string, *atomic.Int64) {
	t.Helper()
	var relayed atomic.Int64
	slow := func(dst, src net.Conn) {
		buf := make([]byte, 4096)
		for {
			k, err := src.Read(buf)
			if k > 0 {
				time.Sleep(delay)
				relayed.Add(int64(k))
				dst.Write(buf[:k])
			}
			if err != nil {
				return
			}
		}
	}
	return nettest.Proxy(t, target, slow, nil), &relayed
}

// TestQAIngestSignalDuringSinglePass: SIGINT in the middle of a single pass
// lets the pass finish, as in the loop: every group written, none recorded
// as failed, exit 0. Before, the running groups failed with "context
// canceled" and were recorded in daemon_status and subsystem_error.
func TestQAIngestSignalDuringSinglePass(t *testing.T) {
	m, _ := fixture.Load(t, siteDump)
	db, dsn := pgfixture.DBWithDSN(t)
	addr, relayed := slowProxy(t, m.Addr(), 5*time.Millisecond)
	code, stderr := ingestProcess(t, func(p *os.Process) {
		// well into the pass: the start-up's PING and handshake are a few bytes
		waitFor(t, "the pass did not start reading", func() bool { return relayed.Load() > 4<<10 })
		p.Signal(syscall.SIGINT)
	}, "ingest", "--redis", "redis://"+addr, "--db", dsn, "--only", "correlator,nodes")
	if code != 0 || !strings.Contains(stderr, "stopping after the current pass") {
		t.Fatalf("exit %d, want 0 after the pass\n%s", code, stderr)
	}
	for table, want := range map[string]bool{"subsystem_error": false, "node_white_rabbit_status": true, "snap_status": true} {
		var n int
		if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || (n > 0) != want {
			t.Errorf("%s: %d rows (%v)\n%s", table, n, err, stderr)
		}
	}
	var st string
	if err := db.QueryRow(context.Background(), `SELECT status FROM daemon_status WHERE name = 'mc_monitor_correlator'`).Scan(&st); err != nil || st != "good" {
		t.Errorf("daemon_status %q (%v), want good", st, err)
	}
}

// TestQAIngestOldSchema: a database migrated to an older version than this
// rdbtool writes is refused before the pass, saying what to run (exit 2),
// instead of a pass whose groups fail one by one on missing tables and are
// recorded as errors; --migrate brings it up to date.
func TestQAIngestOldSchema(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	mustRun(t, 0, nil, "migrate", "down", "--db", dsn)
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", dsn)
	if r.code != exitError || r.err == nil || !strings.Contains(r.err.Error(), "migrate up") || !strings.Contains(r.err.Error(), "version") ||
		!strings.HasPrefix(r.err.Error(), `ingest: database "`) {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	for _, table := range []string{"subsystem_error", "daemon_status", "snap_status"} {
		var n int
		if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows (%v), want none", table, n, err)
		}
	}
	mustRun(t, 0, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--migrate")
}

// TestQAIngestOnlyNothing: --only naming no group at all (",", " ") is a
// usage error, not a pass that writes nothing and exits 0.
func TestQAIngestOnlyNothing(t *testing.T) {
	for _, only := range []string{",", " , ", ""} {
		r := run(t, nil, "ingest", "--rdb", siteDump, "--db", "postgres://127.0.0.1:1/x", "--only", only)
		if r.code != exitError || r.err == nil || !strings.Contains(r.err.Error(), "--only") {
			t.Errorf("--only %q: exit %d, %v", only, r.code, r.err)
		}
	}
}

// TestQAIngestLoopQuietStop: SIGTERM ends a healthy --json monitor loop
// with status 0 and nothing on stderr (what a service manager and the
// soak expect).
func TestQAIngestLoopQuietStop(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	code, stderr := ingestProcess(t, func(p *os.Process) {
		waitForPass(t, db)
		p.Signal(syscall.SIGTERM)
	}, "ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes", "--every", "50ms", "--json")
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestQAMigrateInterrupt: SIGINT or SIGTERM while migrate waits for a
// server that does not answer ends it at once with status 128+n and one
// line saying nothing was changed (the exit convention of every command),
// not "cannot connect ...: context canceled", exit 2 (SIGINT) or death by
// the signal (SIGTERM).
func TestQAMigrateInterrupt(t *testing.T) {
	addr, _ := nettest.Silent(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		start := time.Now()
		code, stderr := ingestProcess(t, func(p *os.Process) {
			time.Sleep(500 * time.Millisecond)
			p.Signal(sig)
		}, "migrate", "up", "--db", "postgres://mc:s3cret@"+addr+"/hera_mc")
		if code != 128+int(sig) || time.Since(start) > 5*time.Second {
			t.Errorf("%v: exit %d after %v, want %d at once\n%s", sig, code, time.Since(start), 128+int(sig), stderr)
		}
		if msg := strings.TrimSpace(stderr); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "interrupted") ||
			!strings.Contains(msg, "nothing was changed") || strings.Contains(msg, "s3cret") {
			t.Errorf("%v: stderr %q", sig, stderr)
		}
	}
}

// TestQAIngestRedisRefuses: a Redis that answers but refuses us (a wrong
// password) is not retried forever by the loop, as if it were down: like
// a wrong PostgreSQL password, both modes exit 2 at once with one line
// saying Redis refused, never the password.
func TestQAIngestRedisRefuses(t *testing.T) {
	m, _ := fixture.Load(t, siteDump)
	m.RequireAuth("right-pw")
	_, dsn := pgfixture.DBWithDSN(t)
	for _, extra := range [][]string{nil, {"--every", "1s"}} {
		args := append([]string{"ingest", "--redis", "redis://:wr0ng-pw@" + m.Addr(), "--db", dsn}, extra...)
		start := time.Now()
		code, stderr := ingestProcess(t, nil, args...)
		if code != exitError || time.Since(start) > 10*time.Second {
			t.Errorf("%v: exit %d after %v, want %d at once\n%s", extra, code, time.Since(start), exitError, stderr)
		}
		msg := strings.TrimSpace(stderr)
		if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "refused") || !strings.Contains(msg, m.Addr()) ||
			strings.Contains(msg, "wr0ng-pw") || strings.Contains(msg, "does not answer") {
			t.Errorf("%v: stderr %q", extra, stderr)
		}
	}
}

// TestQAIngestLoopNewerSchema: --migrate against a database a newer
// rdbtool migrated is refused at once in the loop too (exit 2, saying to
// upgrade), not retried forever as "PostgreSQL not reachable".
func TestQAIngestLoopNewerSchema(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	if _, err := db.Exec(context.Background(), `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, stderr := ingestProcess(t, nil, "ingest", "--rdb", siteDump, "--db", dsn, "--migrate", "--every", "1s")
	if code != exitError || time.Since(start) > 10*time.Second || strings.Contains(stderr, "not reachable") || !strings.Contains(stderr, "upgrade rdbtool") {
		t.Errorf("exit %d after %v, want %d at once\n%s", code, time.Since(start), exitError, stderr)
	}
}

// TestQAMigrateStrayArgument: `migrate up 3` or `migrate down 2` (alembic
// users type `upgrade <rev>`, `downgrade -2`) must not silently apply every
// pending migration or roll back one: an argument these commands do not
// take is a usage error that points at `to VERSION` / `--steps N`, and
// nothing changes.
func TestQAMigrateStrayArgument(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	mustRun(t, 0, nil, "migrate", "to", "2", "--db", dsn, "--yes")
	for _, args := range [][]string{{"up", "3"}, {"down", "2"}, {"status", "x"}, {"version", dsn}} {
		r := run(t, nil, append(append([]string{"migrate"}, args...), "--db", dsn)...)
		if r.code != exitError || r.err == nil {
			t.Errorf("migrate %v: exit %d, %v", args, r.code, r.err)
			continue
		}
		if args[0] == "up" || args[0] == "down" {
			if msg := r.err.Error(); !strings.Contains(msg, "to VERSION") {
				t.Errorf("migrate %v: %s", args, msg)
			}
		}
		if v := strings.TrimSpace(mustRun(t, 0, nil, "migrate", "version", "--db", dsn).stdout); v != "2" {
			t.Fatalf("after migrate %v the version is %s, want 2 (unchanged)", args, v)
		}
	}
}

// TestQAIngestSecondSignal: a second SIGINT during a pass (one stuck on a
// slow server, say) stops the command at once with status 130; the group
// running is not committed.
func TestQAIngestSecondSignal(t *testing.T) {
	m, _ := fixture.Load(t, siteDump)
	db, dsn := pgfixture.DBWithDSN(t)
	addr, relayed := slowProxy(t, m.Addr(), 50*time.Millisecond) // the pass would take seconds
	start := time.Now()
	code, stderr := ingestProcess(t, func(p *os.Process) {
		waitFor(t, "the pass did not start reading", func() bool { return relayed.Load() > 1<<10 })
		p.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond)
		p.Signal(syscall.SIGINT)
	}, "ingest", "--redis", "redis://"+addr, "--db", dsn, "--only", "nodes")
	if code != 130 || time.Since(start) > 10*time.Second || !strings.Contains(stderr, "stopping now") {
		t.Errorf("exit %d after %v, want 130 at once\n%s", code, time.Since(start), stderr)
	}
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM node_white_rabbit_status`).Scan(&n); err != nil || n != 0 {
		t.Errorf("node_white_rabbit_status: %d rows (%v): the last group ran to the end", n, err)
	}
}

// TestQAIngestPostgreSQLLostMidPass: PostgreSQL goes away in the middle of
// a pass (here: its connections are cut while the spectra are being
// written). The command ends with one line naming what failed and what
// was not run, exit 1, and nothing is half-written: every group's tables
// are either complete or empty.
func TestQAIngestPostgreSQLLostMidPass(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sock := fmt.Sprintf("%s/.s.PGSQL.%s", q.Get("host"), q.Get("port"))
	// the dump's spectra are about 0.9 MB: cut a third of the way in
	addr := cutProxyTo(t, "unix", sock, 0, 300<<10)
	q.Del("host")
	q.Del("port")
	q.Set("sslmode", "disable")
	u.Host, u.RawQuery = addr, q.Encode()

	code, stderr := ingestProcess(t, nil, "ingest", "--rdb", siteDump, "--db", u.String())
	msg := lastLine(stderr)
	if code != exitFound || !strings.HasPrefix(msg, "rdbtool: ingest:") || len(msg) > 500 || !strings.Contains(msg, "rolled back") {
		t.Errorf("exit %d, summary (%d chars): %s\n%s", code, len(msg), msg, stderr)
	}
	ctx := context.Background()
	count := func(table string) int {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, s := count("hera_autos"), count("hera_auto_spectrum"); a != s {
		t.Errorf("hera_autos %d rows, hera_auto_spectrum %d: half-written", a, s)
	}
	if count("hera_auto_spectrum") != 0 {
		t.Error("the spectra whose write was cut were committed")
	}
	for _, group := range [][]string{{"snap_status", "snap_input"}, {"correlator_config_file", "correlator_config_params", "correlator_config_active_snap"}} {
		empty := 0
		for _, table := range group {
			if count(table) == 0 {
				empty++
			}
		}
		if empty != 0 && empty != len(group) {
			t.Errorf("group %v is half-written", group)
		}
	}
}
