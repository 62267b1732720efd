package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// snapshotKillKeys is the keyspace of the kill tests: DEBUG POPULATE makes
// key:0 .. key:N-1 with 100-byte values, about 25 MB of RDB.
const snapshotKillKeys = 200000

// snapshotWhenWriting runs `rdbtool snapshot ARGS -o dir/out.rdb` in the
// background and calls act once the temporary output file in dir holds at
// least atLeast bytes: the snapshot is then certainly under way. It returns
// what the run printed and its exit code, and whether act ran before the
// snapshot ended.
func snapshotWhenWriting(t *testing.T, dir string, atLeast int64, act func(), args ...string) (stderr string, code int, acted bool) {
	t.Helper()
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, code := liveRun(t, append([]string{"snapshot", "-o", filepath.Join(dir, "out.rdb")}, args...)...)
		done <- result{stderr, code}
	}()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-done:
			return r.stderr, r.code, false
		case <-deadline:
			t.Fatal("the snapshot neither wrote nor ended in 20 s")
		case <-time.After(time.Millisecond):
		}
		if tempFileSize(dir) >= atLeast {
			act()
			r := <-done
			return r.stderr, r.code, true
		}
	}
}

// tempFileSize is the size of the largest file in dir.
func tempFileSize(dir string) int64 {
	ents, _ := os.ReadDir(dir)
	var size int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Size() > size {
			size = fi.Size()
		}
	}
	return size
}

// TestSnapshotServerKilled kills the redis-server while `rdbtool snapshot`
// reads it, with either method: exit 2, an error naming the server and the
// key, and nothing at all left in the output directory.
func TestSnapshotServerKilled(t *testing.T) {
	for _, tc := range []struct {
		method string
		args   []string // for redis-server
		// the error names the key being read, or the last one read when the
		// connection died between two
		keyRE string
	}{
		// SCAN fails with no key to name; a DUMP (or PTTL) names its key
		{"scan", nil, `(, key "key:\d+": (DUMP|PTTL) \(db 0\): |: SCAN db 0: )`},
		// the server's fork writes slowly (50 µs a key), so the kill falls mid-stream
		{"sync", []string{"--repl-diskless-sync-delay", "0", "--rdb-key-save-delay", "50"},
			`(, key "key:\d+": sync: RDB offset \d+: |: sync: RDB offset \d+, after key "key:\d+" \(db 0\): )`},
	} {
		t.Run(tc.method, func(t *testing.T) {
			src := redistest.Start(t, redistest.WithArgs(tc.args...))
			n := snapshotKillKeys
			if tc.method == "sync" {
				n = 40000 // 2 s of saving at 50 µs a key
			}
			if err := src.Client(t).Do(context.Background(), "DEBUG", "POPULATE", n, "key", 100).Err(); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			start := time.Now()
			stderr, code, killed := snapshotWhenWriting(t, dir, 512<<10, src.Kill,
				"--from", "redis://"+src.Addr, "--method", tc.method)
			if !killed {
				t.Fatalf("the snapshot ended (exit %d) before the server was killed: %s", code, stderr)
			}
			t.Logf("killed after %v: %s", time.Since(start), stderr)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr)
			}
			re := regexp.MustCompile(`rdbtool: server ` + regexp.QuoteMeta(src.Addr) + tc.keyRE)
			if !re.MatchString(stderr) {
				t.Fatalf("the error does not name the server %s and the key (%s):\n%s", src.Addr, tc.keyRE, stderr)
			}
			if !strings.Contains(stderr, "nothing written to "+filepath.Join(dir, "out.rdb")) {
				t.Fatalf("the summary does not say that nothing was written:\n%s", stderr)
			}
			assertOnly(t, dir) // no out.rdb and no temporary file either
		})
	}
}

// TestSnapshotScanVanished empties the server while a scan snapshot runs:
// the keys SCAN returned but that were gone before their DUMP are counted
// and reported, and the file holds the rest.
func TestSnapshotScanVanished(t *testing.T) {
	src := redistest.Start(t)
	c := src.Client(t)
	ctx := context.Background()
	if err := c.Do(ctx, "DEBUG", "POPULATE", snapshotKillKeys, "key", 100).Err(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stderr, code, flushed := snapshotWhenWriting(t, dir, 512<<10, func() {
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Error(err)
		}
	}, "--from", "redis://"+src.Addr, "--method", "scan")
	if !flushed {
		t.Fatalf("the snapshot ended (exit %d) before the keys were deleted: %s", code, stderr)
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`snapshot: (\d+) keys, .*; (\d+) deleted while scanning`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no count of deleted keys in the summary:\n%s", stderr)
	}
	kept, _ := strconv.Atoi(m[1])
	vanished, _ := strconv.Atoi(m[2])
	if vanished == 0 || kept == 0 || kept+vanished > snapshotKillKeys {
		t.Fatalf("%d keys written and %d vanished of %d:\n%s", kept, vanished, snapshotKillKeys, stderr)
	}
	t.Logf("%d written, %d vanished", kept, vanished)
	out := filepath.Join(dir, "out.rdb")
	assertOnly(t, dir, "out.rdb")
	if err := redistest.CheckRDB(t, out); err != nil {
		t.Fatal(err)
	}
	// the file holds exactly the keys written, each once
	dst := redistest.Start(t, redistest.WithRDB(out))
	if got, err := dst.Client(t).DBSize(ctx).Result(); err != nil || got != int64(kept) {
		t.Fatalf("the snapshot loads %d keys (%v), the summary says %d", got, err, kept)
	}
}
