package ingest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// switchProxy forwards TCP connections on a fixed loopback port to the
// fixture's unix socket; down closes the listener and every relayed
// connection (a PostgreSQL restarting, as its clients see it), up listens
// again on the same port.
type switchProxy struct {
	t     *testing.T
	addr  string
	sock  string
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newSwitchProxy(t *testing.T, dsn string) *switchProxy {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.Query().Get("host"), "/") {
		t.Skip("DATABASE_URL server is not on a unix socket")
	}
	port := u.Query().Get("port")
	if port == "" {
		port = "5432"
	}
	p := &switchProxy{t: t, sock: filepath.Join(u.Query().Get("host"), ".s.PGSQL."+port)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *switchProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("unix", p.sock)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *switchProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *switchProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// A PostgreSQL that goes away between passes, for several retries: the
// loop used to log one line per retry (an hour's outage: dozens of the
// same line, a day's: hundreds); now it says once that the connection is
// lost and once that it is back, then the passes resume.
func TestQADBALoopOutageSaidOnce(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t)
	_, rc := loadSite(t)
	p := newSwitchProxy(t, dsn)
	u, _ := url.Parse(dsn)
	db, err := pgxpool.New(context.Background(), fmt.Sprintf("postgres://%s@%s%s?sslmode=disable&connect_timeout=2", u.User.Username(), p.addr, u.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var logs []string
	failedPings, passes := 0, 0
	clock := testNow
	lo := LoopOptions{
		Options: Options{Now: func() time.Time { return testNow }, Only: []string{"nodes"},
			Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }},
		Every: time.Minute, Passes: 2, clock: func() time.Time { return clock },
		Sleep: func(ctx context.Context, d time.Duration) error {
			clock = clock.Add(d)
			if failedPings == 4 {
				p.up()
			}
			return ctx.Err()
		},
		BeforePass: func(n int) {
			if n == 2 {
				p.down()
			}
		},
		OnPass: func(n int, rep *Report, err error) {
			if rep == nil {
				failedPings++
				return
			}
			passes++
			if err != nil {
				t.Errorf("pass %d: %v", n, err)
			}
		},
	}
	if err := Loop(context.Background(), rc, db, lo); err != nil {
		t.Fatal(err)
	}
	if passes != 2 || failedPings != 4 {
		t.Fatalf("%d passes, %d failed pings; want 2 and 4 (logs %q)", passes, failedPings, logs)
	}
	var lost, back int
	for _, l := range logs {
		switch {
		case strings.Contains(l, "connection back"):
			back++
			if !strings.Contains(l, "4 failed attempt") || !strings.Contains(l, "connection refused") {
				t.Errorf("recovery line does not count the attempts and give the last error: %q", l)
			}
		case strings.Contains(l, "connection lost"):
			lost++
		}
	}
	if lost != 1 || back != 1 || len(logs) != 2 {
		t.Fatalf("want one line for the loss and one for the recovery, got %d lines:\n%s", len(logs), strings.Join(logs, "\n"))
	}
}
