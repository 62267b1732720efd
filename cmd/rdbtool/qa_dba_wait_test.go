package main

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// ingest --every started before its PostgreSQL (a boot order, a restart):
// the wait used to print a line per retry, for ever if need be; it now
// says once that the server is not reachable and once that it answers.
func TestQADBAIngestStartWaitSaidOnce(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
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
			"--only", "nodes", "--every", "10ms", "--passes", "1", "--json"})
	}()
	// Once the first attempt failed: past the second (1 s later). The
	// third (3 s later) may fail too on a loaded machine: the count is
	// checked for at least 2, not exactly 2.
	waitFor(t, "no line for the first failed attempt: "+stderr.String(), func() bool {
		return strings.Contains(stderr.String(), "not reachable")
	})
	time.Sleep(2 * time.Second)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go proxyTo(l, fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ingest: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ingest did not finish after PostgreSQL came up\n%s", stderr.String())
	}
	out := stderr.String()
	failed := 0
	if m := regexp.MustCompile(`answers after \S+ and (\d+) failed attempt`).FindStringSubmatch(out); m != nil {
		failed, _ = strconv.Atoi(m[1])
	}
	if strings.Count(out, "not reachable") != 1 || strings.Count(out, "answers after") != 1 || failed < 2 {
		t.Fatalf("want one line when the wait starts and one when it ends (after 2 or more failed attempts):\n%s", out)
	}
}
