package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// CLI tests for the gaps audit-45 found in snapshot, load and serve.

func TestLiveBadURLHidesPassword(t *testing.T) {
	for _, u := range []string{"redis://:pa#ss99@127.0.0.1:1", "redis://:pa?ss99@127.0.0.1:1",
		"redis://:pa/ss99@127.0.0.1:1", "redis://127.0.0.1:1/0?password=WrongPW99"} {
		for _, args := range [][]string{
			{"snapshot", "--from", u, "-o", filepath.Join(t.TempDir(), "q.rdb")},
			{"load", liveCorpus, "--to", u},
		} {
			_, stderr, code := liveRun(t, args...)
			if code != 2 || strings.Contains(stderr, "ss99") || strings.Contains(stderr, "PW99") || !strings.Contains(stderr, "127.0.0.1:1") {
				t.Fatalf("%s: exit %d, stderr %q: want exit 2, the server named, no password", strings.Join(args, " "), code, stderr)
			}
		}
	}
}

func TestLiveLoadFlushNotRDB(t *testing.T) {
	ctx := context.Background()
	dst := redistest.Start(t)
	dst.Client(t).Set(ctx, "x", "1", 0)
	path := filepath.Join(t.TempDir(), "notrdb.txt")
	if err := os.WriteFile(path, []byte("x,1\ny,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := liveRun(t, "load", path, "--to", "redis://"+dst.Addr, "--flush")
	if code != 2 || !strings.Contains(stderr, "nothing was flushed") {
		t.Fatalf("load of a non-RDB file with --flush: exit %d: %s", code, stderr)
	}
	if n := dst.Client(t).DBSize(ctx).Val(); n != 1 {
		t.Fatalf("the target holds %d keys after a refused load, want 1: it was flushed", n)
	}
}

// startOneNodeCluster starts a redis-server in cluster mode owning every slot.
func startOneNodeCluster(t *testing.T) *redistest.Server {
	t.Helper()
	s := redistest.Start(t, redistest.WithArgs("--cluster-enabled", "yes"))
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	s.WaitClusterOK(t)
	return s
}

func TestLiveLoadClusterOtherDBExit1(t *testing.T) {
	s := startOneNodeCluster(t)
	_, stderr, code := liveRun(t, "load", liveCorpus, "--to", "redis://"+s.Addr, "--cluster")
	if code != 1 || !strings.Contains(stderr, "in databases other than 0") {
		t.Fatalf("load --cluster of a dump with keys in other databases: exit %d (want 1): %s", code, stderr)
	}
	if n := s.Client(t).DBSize(context.Background()).Val(); n == 0 {
		t.Fatalf("nothing loaded: %s", stderr)
	}
}

func TestLiveURLDatabase(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t, redistest.WithArgs("--repl-diskless-sync-delay", "0"))
	for db, key := range map[int]string{0: "zero", 3: "three"} {
		c := redis.NewClient(&redis.Options{Addr: src.Addr, DB: db, Protocol: 2})
		c.Set(ctx, key, "v", 0)
		c.Close()
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "db3.rdb")
	for _, method := range []string{"scan", "sync"} {
		_, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+src.Addr+"/3", "-o", out, "--method", method)
		if code != 0 {
			t.Fatalf("snapshot of /3 (%s): exit %d: %s", method, code, stderr)
		}
		if got := entryDBs(t, out); got != "3:three" {
			t.Fatalf("snapshot of redis://host/3 (%s) holds %s, want only db 3", method, got)
		}
	}
	// the same database twice is fine, another is refused
	if _, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+src.Addr+"/3", "-o", out, "--db", "3"); code != 0 {
		t.Fatalf("/3 with --db 3: exit %d: %s", code, stderr)
	}
	other := filepath.Join(dir, "other.rdb")
	_, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+src.Addr+"/3", "-o", other, "--db", "0")
	if code != 2 || !strings.Contains(stderr, "database 3") || !strings.Contains(stderr, "--db") {
		t.Fatalf("/3 with --db 0: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused snapshot left %s: %v", other, err)
	}
	// no database in the URL: every database
	if _, stderr, code := liveRun(t, "snapshot", "--from", "redis://"+src.Addr, "-o", other); code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, stderr)
	}
	if got := entryDBs(t, other); got != "0:zero 3:three" {
		t.Fatalf("snapshot without /db holds %s", got)
	}

	// load refuses /5: the keys would go to the file's databases, not 5
	dst := redistest.Start(t)
	_, stderr, code = liveRun(t, "load", out, "--to", "redis://"+dst.Addr+"/5")
	if code != 2 || !strings.Contains(stderr, "database 5") {
		t.Fatalf("load --to /5: exit %d: %s", code, stderr)
	}
	if n := dst.Client(t).DBSize(ctx).Val(); n != 0 {
		t.Fatalf("refused load wrote %d keys", n)
	}
	// /0 is the default and accepted
	if _, stderr, code := liveRun(t, "load", other, "--to", "redis://"+dst.Addr+"/0"); code != 0 {
		t.Fatalf("load --to /0: exit %d: %s", code, stderr)
	}
}

// entryDBs lists "db:key" of every key in the file, sorted by file order.
func entryDBs(t *testing.T, path string) string {
	t.Helper()
	var got []string
	for _, e := range readEntries(t, path) {
		got = append(got, fmt.Sprintf("%d:%s", e.DB, e.Key))
	}
	return strings.Join(got, " ")
}

func TestLiveServeListsSkipped(t *testing.T) {
	// 25 keys expired long ago and one live key
	const expired = 25
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 10)
	for i := 0; i <= expired; i++ {
		e, err := rdb.NewEntry(0, []byte(fmt.Sprintf("old%02d", i)), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if i < expired {
			e.ExpireMs = 1000
		} else {
			e.Key = []byte("live")
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "expired.rdb")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// serve stops as soon as it has loaded and printed: its context is done
	app := newApp()
	var stdout, stderr bytes.Buffer
	app.Writer, app.ErrWriter = &stdout, &stderr
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := app.RunContext(ctx, []string{"rdbtool", "serve", path, "--addr", "127.0.0.1:0", "--expiry", "wallclock"}); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	out := stderr.String()
	if !strings.Contains(out, fmt.Sprintf("1 keys (expiry wallclock), %d items skipped", expired)) {
		t.Fatalf("serve summary: %q", out)
	}
	for i := 0; i < 20; i++ {
		if !strings.Contains(out, fmt.Sprintf("expired db 0 \"old%02d\"", i)) {
			t.Fatalf("skipped key old%02d not named:\n%s", i, out)
		}
	}
	if strings.Contains(out, "old20") || !strings.Contains(out, fmt.Sprintf("... and %d more", expired-20)) {
		t.Fatalf("want the first 20 skipped items then a count:\n%s", out)
	}
}
