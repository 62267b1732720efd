package main

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/migrations"
)

// migrateCLI runs `rdbtool migrate args...` in-process and returns its
// output (stdout, stderr, then the error message) and exit code.
func migrateCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := run(t, nil, append([]string{"migrate"}, args...)...)
	out := r.stdout + r.stderr
	if msg, _ := exitStatus(r.err); msg != "" {
		out += msg + "\n"
	}
	return out, r.code
}

func expect(t *testing.T, out string, code, wantCode int, wants ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d; output:\n%s", code, wantCode, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func cliVersion(t *testing.T, dsn string) string {
	t.Helper()
	out, code := migrateCLI(t, "version", "--db", dsn)
	expect(t, out, code, 0)
	return strings.TrimSpace(out)
}

func TestMigrateCLIUpDownStatus(t *testing.T) {
	_, dsn := pgfixture.DBWithDSN(t, fstest.MapFS{})
	latest := fmt.Sprint(latestVersion(t))

	out, code := migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, 0, "up   00001_correlator.sql", "at version "+latest)
	out, code = migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, 0, "nothing to do; at version "+latest)
	// --db before the subcommand, and DATABASE_URL, work too.
	out, code = migrateCLI(t, "--db", dsn, "version")
	expect(t, out, code, 0, latest)
	t.Setenv("DATABASE_URL", dsn)
	if v := cliVersion(t, dsn); v != latest {
		t.Fatalf("version %s, want %s", v, latest)
	}
	out, code = migrateCLI(t, "status")
	expect(t, out, code, 0, "00001    applied", "00001_correlator.sql", "current version "+latest)

	out, code = migrateCLI(t, "down", "--steps", "2")
	expect(t, out, code, 0, "down ")
	want := fmt.Sprint(latestVersion(t) - 2)
	if v := cliVersion(t, dsn); v != want {
		t.Fatalf("after down 2: version %s, want %s", v, want)
	}
	out, code = migrateCLI(t, "status")
	expect(t, out, code, 0, "pending")

	// Back to 0 needs --yes, both ways; without it nothing changes.
	out, code = migrateCLI(t, "down", "--steps", "100")
	expect(t, out, code, exitError, "version 0", "--yes", "nothing was changed")
	out, code = migrateCLI(t, "to", "0")
	expect(t, out, code, exitError, "--yes")
	if v := cliVersion(t, dsn); v != want {
		t.Fatalf("refused rollbacks changed the version to %s", v)
	}
	out, code = migrateCLI(t, "to", "1")
	expect(t, out, code, 0, "at version 1")
	out, code = migrateCLI(t, "to", "0", "--yes")
	expect(t, out, code, 0, "at version 0")
	out, code = migrateCLI(t, "to", "x")
	expect(t, out, code, exitError, "VERSION must be a number")
	out, code = migrateCLI(t, "down", "--steps", "0")
	expect(t, out, code, exitError, "--steps")
}

func latestVersion(t *testing.T) int64 {
	t.Helper()
	ents, err := fs.ReadDir(migrations.FS, ".")
	if err != nil || len(ents) == 0 {
		t.Fatal(err)
	}
	var v int64
	fmt.Sscanf(ents[len(ents)-1].Name(), "%d_", &v)
	return v
}

func TestMigrateCLIRemoteRollbackNeedsYes(t *testing.T) {
	pool, dsn := pgfixture.DBWithDSN(t)
	ip := nonLoopbackIP(t)
	addr := proxyToSocket(t, ip, dsn)
	u, _ := url.Parse(dsn)
	u.Host = addr
	q := u.Query()
	q.Del("host")
	q.Del("port")
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	remote := u.String()
	before := cliVersion(t, remote) // reachable through the proxy
	out, code := migrateCLI(t, "down", "--db", remote)
	expect(t, out, code, exitError, "host "+ip, "not this machine", "--yes", "nothing was changed")
	out, code = migrateCLI(t, "to", "1", "--db", remote)
	expect(t, out, code, exitError, "host "+ip, "--yes")
	if v := cliVersion(t, dsn); v != before {
		t.Fatalf("refused remote rollbacks changed the version %s -> %s", before, v)
	}
	out, code = migrateCLI(t, "down", "--db", remote, "--yes")
	expect(t, out, code, 0, "down ")
	var n int
	pool.QueryRow(context.Background(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&n)
	if fmt.Sprint(n) == before {
		t.Fatal("down --yes on the remote host changed nothing")
	}
	// Going up needs no confirmation anywhere.
	out, code = migrateCLI(t, "up", "--db", remote)
	expect(t, out, code, 0, "at version "+before)
}

// nonLoopbackIP is an address of this machine that is not loopback.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no non-loopback IPv4 address to test remote rollbacks with")
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

// proxyToSocket listens on ip and forwards each connection to the unix
// socket the fixture DSN names, so the server looks remote.
func proxyToSocket(t *testing.T, ip, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Query().Get("port")
	if port == "" {
		port = "5432"
	}
	sock := filepath.Join(u.Query().Get("host"), ".s.PGSQL."+port)
	if !strings.HasPrefix(sock, "/") {
		t.Skip("DATABASE_URL server is not on a unix socket; cannot fake a remote host")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go proxyTo(ln, sock)
	return ln.Addr().String()
}

func TestMigrateCLIStampAndNewer(t *testing.T) {
	ctx := context.Background()
	// A database built by hand at version 2: the tables, no version table.
	first2 := fstest.MapFS{}
	for _, n := range []string{"00001_correlator.sql", "00002_snap.sql"} {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		first2[n] = &fstest.MapFile{Data: b}
	}
	pool, dsn := pgfixture.DBWithDSN(t, first2)
	if _, err := pool.Exec(ctx, "DROP TABLE goose_db_version"); err != nil {
		t.Fatal(err)
	}
	out, code := migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, exitError, "already exists") // without a stamp, 00001 runs again
	out, code = migrateCLI(t, "stamp", "2", "--db", dsn)
	expect(t, out, code, 0, "version 2")
	out, code = migrateCLI(t, "up", "--db", dsn)
	expect(t, out, code, 0, "up   00003_node.sql")
	if strings.Contains(out, "00002") {
		t.Fatalf("up after stamp 2 ran 00002:\n%s", out)
	}

	// A newer rdbtool was here: refused, unchanged.
	if _, err := pool.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"up"}, {"down", "--yes"}, {"to", "1", "--yes"}, {"stamp", "1"}, {"status"}} {
		out, code = migrateCLI(t, append(args, "--db", dsn)...)
		expect(t, out, code, exitError, "999", "upgrade rdbtool")
		if strings.Contains(out, "nothing to do") {
			t.Errorf("migrate %v: a refusal also said %q", args, out)
		}
	}
	expect(t, out, code, exitError, "UNKNOWN")
	if v := cliVersion(t, dsn); v != "999" {
		t.Fatalf("version %s after refused operations", v)
	}
}

func TestMigrateCLILintAndCreate(t *testing.T) {
	out, code := migrateCLI(t, "lint")
	expect(t, out, code, 0)
	dir := t.TempDir()
	out, code = migrateCLI(t, "create", "drop old stuff", "--dir", dir)
	expect(t, out, code, 0, filepath.Join(dir, "00001_drop_old_stuff.sql"))
	p := strings.TrimSpace(out)
	os.WriteFile(p, []byte("-- +goose Up\nCREATE TABLE a (x int);\n\nDROP TABLE old_stuff;\n-- +goose Down\nDROP TABLE a;\n"), 0o644)
	out, code = migrateCLI(t, "lint", "--dir", dir)
	expect(t, out, code, exitFound, p+":4: up migration: DROP TABLE", "rdbtool:allow-drop")
	os.WriteFile(p, []byte("-- +goose Up\nCREATE TABLE a (x int);\n\nDROP TABLE old_stuff; -- rdbtool:allow-drop\n-- +goose Down\nDROP TABLE a;\n"), 0o644)
	out, code = migrateCLI(t, "lint", "--dir", dir)
	expect(t, out, code, 0)
	out, code = migrateCLI(t, "lint", "--dir", filepath.Join(dir, "nope"))
	expect(t, out, code, exitError, "not a directory")
}

func TestMigrateCLIConnectErrors(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	out, code := migrateCLI(t, "up")
	expect(t, out, code, exitError, "--db", "DATABASE_URL")
	start := time.Now()
	out, code = migrateCLI(t, "status", "--db", "postgres://alice:pa55word@127.0.0.1:1/hera_mc?connect_timeout=3")
	expect(t, out, code, exitError, "127.0.0.1", "hera_mc")
	if strings.Contains(out, "pa55word") {
		t.Fatalf("the password is shown:\n%s", out)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v to give up", el)
	}
}

// Every migrate subcommand's --help says what it does with an example, as
// the other commands' do.
func TestMigrateSubcommandHelp(t *testing.T) {
	for _, sub := range []string{"up", "down", "to", "status", "version", "stamp", "create", "lint"} {
		r := mustRun(t, 0, nil, "migrate", sub, "--help")
		if !strings.Contains(r.stdout, "DESCRIPTION:") || !strings.Contains(r.stdout, "rdbtool migrate "+sub+" ") ||
			!strings.Contains(r.stdout, "Example") {
			t.Errorf("migrate %s --help has no description with an example:\n%s", sub, r.stdout)
		}
	}
	if r := mustRun(t, 0, nil, "migrate", "create", "--help"); !strings.Contains(r.stdout, "--dir DIR") {
		t.Errorf("create --help:\n%s", r.stdout)
	}
}
