package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/ingest"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// waitFor polls cond every 20 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %s", what)
		}
	}
}

// proxyTo serves TCP connections on l by relaying them to the PostgreSQL
// unix socket sock, so a test can make a server appear on a port later or
// look remote. It returns when l is closed.
func proxyTo(l net.Listener, sock string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			s, err := net.Dial("unix", sock)
			if err != nil {
				return
			}
			defer s.Close()
			go io.Copy(s, c)
			io.Copy(c, s)
		}()
	}
}

// TestIngestLoopWaitsForPostgreSQL: with --every, a PostgreSQL that is not
// up yet is waited for with backoff (never an exit a service manager would
// restart in a loop); once it answers, the pass runs.
func TestIngestLoopWaitsForPostgreSQL(t *testing.T) {
	db, dsn := pgfixture.DBWithDSN(t)
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	port := redistest.FreePort(t)
	tcpDSN := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", cfg.User, port, cfg.Database)

	app := newApp()
	var stdout, stderr liveBuffer
	app.Writer, app.ErrWriter = &stdout, &stderr
	done := make(chan error, 1)
	go func() {
		done <- app.Run([]string{"rdbtool", "ingest", "--rdb", siteDump, "--db", tcpDSN,
			"--only", "nodes", "--every", "10ms", "--passes", "1", "--json", "--hostname", "late-db"})
	}()
	waitFor(t, "no retry message while PostgreSQL is down: "+stderr.String(), func() bool {
		select {
		case err := <-done:
			t.Fatalf("ingest ended while PostgreSQL was down: %v\n%s", err, stderr.String())
		default:
		}
		return strings.Contains(stderr.String(), "not reachable")
	})
	if !strings.Contains(stderr.String(), "retrying in") || !strings.Contains(stderr.String(), `database "`+cfg.Database+`"`) {
		t.Errorf("retry message: %s", stderr.String())
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go proxyTo(l, fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ingest after PostgreSQL came up: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ingest did not finish after PostgreSQL came up\n%s", stderr.String())
	}
	var rep ingest.Report
	if err := json.Unmarshal(bytes.TrimSpace([]byte(stdout.String())), &rep); err != nil || rep.Rows("node_sensor") == 0 {
		t.Errorf("report %v: %s", err, stdout.String())
	}
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM daemon_status WHERE hostname = 'late-db' AND status = 'good'`).Scan(&n); err != nil || n == 0 {
		t.Errorf("the pass after the wait left no daemon_status row (%v)", err)
	}
}

// TestIngestOnceUnreachableDB: a single pass against a database that does
// not answer fails at once, naming the database and host, never the
// password.
func TestIngestOnceUnreachableDB(t *testing.T) {
	dsn := fmt.Sprintf("postgres://mc:s3cret-pw@127.0.0.1:%d/hera_mc?connect_timeout=2", redistest.FreePort(t))
	start := time.Now()
	r := run(t, nil, "ingest", "--rdb", siteDump, "--db", dsn)
	if r.code != exitError || time.Since(start) > 15*time.Second {
		t.Fatalf("exit %d after %v: %v", r.code, time.Since(start), r.err)
	}
	msg := r.err.Error() + r.stderr
	if !strings.Contains(msg, `database "hera_mc"`) || !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "s3cret-pw") {
		t.Errorf("error: %s", msg)
	}
}

// TestIngestLoopSignal: SIGTERM (and SIGINT) end the monitor loop after
// the running pass, with exit status 0 and every started pass reported.
func TestIngestLoopSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		_, dsn := pgfixture.DBWithDSN(t)
		cmd := exec.Command(binary(t), "ingest", "--rdb", siteDump, "--db", dsn, "--only", "nodes",
			"--every", "50ms", "--json", "--hostname", "signal-test")
		cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
		var stdout, stderr liveBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "no pass reported", func() bool { return strings.Count(stdout.String(), "\n") >= 2 })
		cmd.Process.Signal(sig)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("%v: exit %v, want 0\n%s", sig, err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: the loop did not stop", sig)
		}
		for i, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var rep ingest.Report
			if err := json.Unmarshal([]byte(line), &rep); err != nil || i == 0 && rep.Rows("node_sensor") == 0 {
				t.Errorf("%v: pass %d report %v: %s", sig, i+1, err, line)
			}
		}
	}
}
