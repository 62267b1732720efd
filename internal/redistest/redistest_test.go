package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestStartSaveLoad(t *testing.T) {
	s := Start(t)
	c := s.Client(t)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.RPush(ctx, "l", "a", "b", "c").Err(); err != nil {
		t.Fatal(err)
	}
	d1 := s.Digest(t)
	if strings.Trim(d1, "0") == "" {
		t.Fatalf("digest of a non-empty keyspace is zero: %q", d1)
	}
	path := s.Save(t)
	if filepath.Dir(path) != s.Dir {
		t.Fatalf("dump %s not in server dir %s", path, s.Dir)
	}
	if err := CheckRDB(t, path); err != nil {
		t.Fatal(err)
	}

	s2 := Start(t, WithRDB(path))
	if s2.Port == s.Port {
		t.Fatalf("two servers on one port %d", s.Port)
	}
	if d2 := s2.Digest(t); d2 != d1 {
		t.Fatalf("digest after load %s, want %s", d2, d1)
	}
	v, err := s2.Client(t).Get(ctx, "k").Result()
	if err != nil || v != "v" {
		t.Fatalf("GET k after load = %q, %v", v, err)
	}
}

func TestNoPersistenceByDefault(t *testing.T) {
	s := Start(t)
	cfg, err := s.Client(t).ConfigGet(context.Background(), "save").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["save"] != "" {
		t.Fatalf("save = %q, want empty", cfg["save"])
	}
	cfg, err = s.Client(t).ConfigGet(context.Background(), "appendonly").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["appendonly"] != "no" {
		t.Fatalf("appendonly = %q", cfg["appendonly"])
	}
}

func TestWithArgs(t *testing.T) {
	s := Start(t, WithArgs("--maxmemory-policy", "allkeys-lfu"))
	cfg, err := s.Client(t).ConfigGet(context.Background(), "maxmemory-policy").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["maxmemory-policy"] != "allkeys-lfu" {
		t.Fatalf("maxmemory-policy = %q", cfg["maxmemory-policy"])
	}
}

func TestKillAndStop(t *testing.T) {
	s := Start(t)
	s.Kill()
	if !s.Exited() {
		t.Fatal("process alive after Kill")
	}
	if _, err := net.Dial("tcp", s.Addr); err == nil {
		t.Fatal("port still answers after Kill")
	}
	s.Stop() // must not block or panic after Kill

	s2 := Start(t)
	s2.Stop()
	if !s2.Exited() {
		t.Fatal("process alive after Stop")
	}
	s2.Stop()
}

func TestPortCollisionRetried(t *testing.T) {
	Binary(t, "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken, nil
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()
	s := Start(t)
	if calls < 2 || s.Port == taken {
		t.Fatalf("collision not retried: calls %d, port %d (taken %d)", calls, s.Port, taken)
	}
	if s.Digest(t) == "" {
		t.Fatal("no digest")
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	bin := Binary(t, "redis-server")
	major, err := serverMajor(bin)
	if err != nil {
		t.Fatal(err)
	}
	_, retry, err := tryStart(bin, major, t.TempDir(), config{args: []string{"--no-such-option", "x"}, timeout: 5e9})
	if err == nil {
		t.Fatal("server started with a bad option")
	}
	if retry {
		t.Fatal("a config error must not be retried")
	}
	if !strings.Contains(err.Error(), "no-such-option") {
		t.Fatalf("error does not show the server's complaint: %v", err)
	}
}

func TestCheckRDBRejects(t *testing.T) {
	s := Start(t)
	if err := s.Client(t).Set(context.Background(), "key", strings.Repeat("x", 100), 0).Err(); err != nil {
		t.Fatal(err)
	}
	path := s.Save(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.rdb")
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	err = CheckRDB(t, bad)
	if err == nil {
		t.Fatal("truncated file accepted")
	}
	if !strings.Contains(err.Error(), "redis-check-rdb") {
		t.Fatalf("error lacks the tool's output: %v", err)
	}
	if err := CheckRDB(t, filepath.Join(t.TempDir(), "missing.rdb")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestBinaryFound(t *testing.T) {
	for _, n := range []string{"redis-server", "redis-check-rdb", "redis-cli"} {
		if p := Binary(t, n); p == "" {
			t.Fatalf("%s: empty path", n)
		}
	}
}

// recTB records Skipf/Fatalf and ends its goroutine like the real ones do.
type recTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recTB) Helper() {}
func (r *recTB) Skipf(f string, a ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recTB) Fatalf(f string, a ...any) {
	r.failed, r.msg = true, fmt.Sprintf(f, a...)
	runtime.Goexit()
}

func runBinary(t *testing.T, name string) *recTB {
	r := &recTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Binary(r, name)
	}()
	<-done
	return r
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	r := runBinary(t, "redis-server")
	if !r.skipped || r.failed || !strings.Contains(r.msg, "apt-get install redis-server") {
		t.Fatalf("without CI: skipped=%v failed=%v msg=%q", r.skipped, r.failed, r.msg)
	}
	t.Setenv("CI", "true")
	r = runBinary(t, "redis-check-rdb")
	if !r.failed || r.skipped || !strings.Contains(r.msg, "redis-check-rdb") {
		t.Fatalf("under CI: skipped=%v failed=%v msg=%q", r.skipped, r.failed, r.msg)
	}
}
