package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// runResult is what an in-process rdbtool run printed and returned.
type runResult struct {
	stdout, stderr string
	code           int
	err            error
}

// run runs rdbtool in-process with stdin, capturing stdout and stderr.
func run(t *testing.T, stdin io.Reader, args ...string) runResult {
	t.Helper()
	var out bytes.Buffer
	r := runTo(t, &out, stdin, args...)
	r.stdout = out.String()
	return r
}

// runTo runs rdbtool in-process with stdin and stdout (a terminal, say),
// capturing stderr.
func runTo(t *testing.T, stdout io.Writer, stdin io.Reader, args ...string) runResult {
	t.Helper()
	app := newApp()
	var errb bytes.Buffer
	app.Writer, app.ErrWriter = stdout, &errb
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	app.Reader = stdin
	err := app.Run(append([]string{"rdbtool"}, args...))
	_, code := exitStatus(err)
	return runResult{stderr: errb.String(), code: code, err: err}
}

// mustRun fails the test unless rdbtool exits with want.
func mustRun(t *testing.T, want int, stdin io.Reader, args ...string) runResult {
	t.Helper()
	r := run(t, stdin, args...)
	if r.code != want {
		t.Fatalf("rdbtool %s: exit %d, want %d\nerr: %v\nstderr: %s\nstdout: %.2000s", strings.Join(args, " "), r.code, want, r.err, r.stderr, r.stdout)
	}
	return r
}

// assertOnly fails unless dir holds exactly the named files.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

// writePolicy writes text as the policy file dir/p.policy and returns its
// path.
func writePolicy(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "p.policy")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/corpus/*.rdb")
	if len(files) == 0 {
		t.Fatal("no corpus files in testdata/corpus")
	}
	return files
}

// header reads a file's magic and version.
func header(t *testing.T, path string) (string, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec, err := rdb.NewReader(f).Next()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	h := rec.(*rdb.Header)
	return h.Magic, h.Version
}

// readEntries reads every entry of a file.
func readEntries(t *testing.T, path string) []*rdb.Entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rdbtest.Entries(t, data)
}

// loader is one redis-server shared by the package's tests; files are
// loaded into it with DEBUG RELOAD NOSAVE (a full load from disk, dropping
// keys already expired, like a start).
type loader struct {
	mu  sync.Mutex
	srv *redistest.Server
	dir string
}

var shared loader

func (l *loader) server(t *testing.T) *redistest.Server {
	t.Helper()
	redistest.Binary(t, "redis-server")
	if l.srv != nil && !l.srv.Exited() {
		return l.srv
	}
	if l.dir == "" {
		d, err := os.MkdirTemp("", "rdbtool-cmd-test-*")
		if err != nil {
			t.Fatal(err)
		}
		l.dir = d
	}
	s, err := redistest.Launch(l.dir)
	if err != nil {
		t.Fatal(err)
	}
	l.srv = s
	return s
}

// load loads path into the shared server and returns a client on it (the
// caller holds the loader's lock until done is called). A file the server
// refuses gives an error.
func (l *loader) load(t *testing.T, path string) (c *redis.Client, done func(), err error) {
	t.Helper()
	l.mu.Lock()
	ok := false
	defer func() {
		// t.Fatal/t.Skip inside (Goexit) must not leave the lock held.
		if !ok {
			l.mu.Unlock()
		}
	}()
	s := l.server(t)
	data, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, redistest.DumpName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	c = redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	ctx := context.Background()
	if err := c.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
		c.Close()
		if s.Exited() {
			l.srv = nil
		}
		return nil, nil, fmt.Errorf("redis-server refused %s: %v", filepath.Base(path), err)
	}
	ok = true
	return c, func() { c.Close(); l.mu.Unlock() }, nil
}

// digest loads path and returns DEBUG DIGEST.
func (l *loader) digest(t *testing.T, path string) (string, error) {
	t.Helper()
	c, done, err := l.load(t, path)
	if err != nil {
		return "", err
	}
	defer done()
	return c.Do(context.Background(), "DEBUG", "DIGEST").Text()
}

// keyspace returns INFO keyspace as db -> (keys, expires).
func keyspace(t *testing.T, c *redis.Client) map[int][2]int {
	t.Helper()
	info, err := c.Info(context.Background(), "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][2]int{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "db") {
			continue
		}
		name, rest, _ := strings.Cut(line, ":")
		db, _ := strconv.Atoi(strings.TrimPrefix(name, "db"))
		var keys, expires int
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.Atoi(v)
			switch k {
			case "keys":
				keys = n
			case "expires":
				expires = n
			}
		}
		out[db] = [2]int{keys, expires}
	}
	return out
}

// loadable is the corpus files a redis-server 7.0 loads: RDB <= 10 with the
// REDIS magic and no module values (those need the module).
func loadable(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, f := range corpusFiles(t) {
		magic, v := header(t, f)
		if magic != "REDIS" || v > 10 {
			continue
		}
		mod := false
		for _, e := range readEntries(t, f) {
			if e.Type == rdb.TypeModule2 {
				mod = true
			}
		}
		if !mod {
			out = append(out, f)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d corpus files load in redis 7.0", len(out))
	}
	return out
}

func TestMain(m *testing.M) {
	if os.Getenv("RDBTOOL_TEST_MAIN") == "1" {
		main() // the test binary acting as rdbtool (TestCtrlC)
		return
	}
	code := m.Run()
	pgfixture.Release() // the shared PostgreSQL stops as soon as its last user is done
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
