package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

const corpusAll = "../testdata/corpus/all.rdb"

func opts(t testing.TB, addr string) *redis.Options {
	t.Helper()
	o, err := ParseURL("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// snapshotFile runs Snapshot into a file in a temp dir and checks it with redis-check-rdb.
func snapshotFile(t *testing.T, addr string, so SnapshotOptions) (string, *SnapshotStats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, err := Snapshot(context.Background(), opts(t, addr), f, so)
	if err != nil {
		t.Fatalf("snapshot (%s): %v (%s)", so.Method, err, stats)
	}
	if err := redistest.CheckRDB(t, path); err != nil {
		t.Fatal(err)
	}
	return path, stats
}

func functionCodes(t testing.TB, c *redis.Client) []string {
	t.Helper()
	libs, err := c.FunctionList(context.Background(), redis.FunctionListQuery{WithCode: true}).Result()
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, l := range libs {
		codes = append(codes, l.Code)
	}
	sort.Strings(codes)
	return codes
}

func TestSnapshotMatchesSource(t *testing.T) {
	src := redistest.Start(t, redistest.WithRDB(corpusAll), fastSync)
	want := src.Digest(t)
	wantFuncs := functionCodes(t, src.Client(t))
	if len(wantFuncs) == 0 {
		t.Fatal("corpus has no function library: the test would not cover functions")
	}
	for _, m := range []Method{MethodScan, MethodSync} {
		t.Run(string(m), func(t *testing.T) {
			path, stats := snapshotFile(t, src.Addr, SnapshotOptions{Method: m, Batch: 7})
			dst := redistest.Start(t, redistest.WithRDB(path))
			if got := dst.Digest(t); got != want {
				t.Fatalf("digest of the snapshot %s, source %s (%s)", got, want, stats)
			}
			if got := functionCodes(t, dst.Client(t)); fmt.Sprint(got) != fmt.Sprint(wantFuncs) {
				t.Fatalf("functions %q, want %q", got, wantFuncs)
			}
			if n := totalKeys(t, src); stats.Keys != n || stats.Functions != 1 {
				t.Fatalf("stats %s: want %d keys and 1 library", stats, n)
			}
		})
	}
}

func TestSnapshotFilters(t *testing.T) {
	src := redistest.Start(t, redistest.WithRDB(corpusAll), fastSync)
	ctx := context.Background()
	c := src.Client(t)
	// a marker that the size filter must drop and that is pruned in no other way
	blob := make([]byte, 100000) // incompressible, so that its RDB encoding stays large
	rand.Read(blob)
	if err := c.Set(ctx, "big:blob", blob, 0).Err(); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var pruned []string
	for _, k := range keys {
		if strings.HasPrefix(k, "h") || strings.HasPrefix(k, "s") {
			pruned = append(pruned, k)
		}
	}
	if len(pruned) == 0 || len(pruned) == len(keys) {
		t.Fatalf("prune globs select %d of %d keys: pick others", len(pruned), len(keys))
	}
	so := SnapshotOptions{DBs: []int{0}, Prune: []string{"h*", "s*"}, Persist: true, LargerThan: 50000}
	var paths []string
	for _, m := range []Method{MethodScan, MethodSync} {
		so.Method = m
		p, stats := snapshotFile(t, src.Addr, so)
		if stats.Pruned != int64(len(pruned)) || stats.TooLarge != 1 {
			t.Fatalf("%s: %s; want %d pruned, 1 too large", m, stats, len(pruned))
		}
		if m == MethodSync && stats.OtherDB != 3 {
			t.Fatalf("sync: %d keys of other databases, want 3", stats.OtherDB)
		}
		paths = append(paths, p)
	}
	// make the source what the snapshot should hold
	for db := 1; db <= 2; db++ {
		cdb := redis.NewClient(&redis.Options{Addr: src.Addr, DB: db})
		cdb.FlushDB(ctx)
		cdb.Close()
	}
	if err := c.Del(ctx, append(pruned, "big:blob")...).Err(); err != nil {
		t.Fatal(err)
	}
	keys, _ = c.Keys(ctx, "*").Result()
	for _, k := range keys {
		c.Persist(ctx, k)
	}
	want := src.Digest(t)
	for i, p := range paths {
		dst := redistest.Start(t, redistest.WithRDB(p))
		if got := dst.Digest(t); got != want {
			t.Fatalf("snapshot %d: digest %s, want %s", i, got, want)
		}
		n, err := dst.Client(t).Do(ctx, "INFO", "keyspace").Text()
		if err != nil || strings.Contains(n, "expires=1") || !strings.Contains(n, "expires=0") {
			t.Fatalf("snapshot %d keyspace %q: want no expiries", i, n)
		}
	}
}

func TestLoadMatchesNativeLoad(t *testing.T) {
	native := redistest.Start(t, redistest.WithRDB(corpusAll))
	want := native.Digest(t)
	dst := redistest.Start(t)
	stats := loadFile(t, dst.Addr, corpusAll, LoadOptions{BatchKeys: 5})
	if got := dst.Digest(t); got != want {
		t.Fatalf("digest after load %s, native load %s (%s)", got, want, stats)
	}
	if a, b := functionCodes(t, dst.Client(t)), functionCodes(t, native.Client(t)); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("functions %q, native %q", a, b)
	}
	n := totalKeys(t, native)
	if stats.Keys != n || stats.Functions != 1 || stats.Conflicts != 0 {
		t.Fatalf("stats: %s; want %d keys", stats, n)
	}

	// again: everything conflicts, nothing changes
	stats = loadFile(t, dst.Addr, corpusAll, LoadOptions{})
	if stats.Keys != 0 || stats.Conflicts != n || len(stats.FunctionsFailed) != 1 || len(stats.ConflictKeys) != min(int(n), maxListed) {
		t.Fatalf("second load without --replace: %s", stats)
	}
	if !strings.Contains(stats.String(), "conflicts") {
		t.Fatalf("summary does not list conflicts: %s", stats)
	}
	// --replace takes them all; --flush first gives the native state even after a change
	dst.Client(t).Set(context.Background(), "extra", "1", 0)
	stats = loadFile(t, dst.Addr, corpusAll, LoadOptions{Replace: true})
	if stats.Keys != n || stats.Conflicts != 0 || stats.Functions != 1 {
		t.Fatalf("load with --replace: %s", stats)
	}
	if dst.Digest(t) == want {
		t.Fatal("extra key not seen in the digest")
	}
	loadFile(t, dst.Addr, corpusAll, LoadOptions{Flush: true})
	if got := dst.Digest(t); got != want {
		t.Fatalf("digest after --flush load %s, want %s", got, want)
	}
}

func TestLoadMatch(t *testing.T) {
	dst := redistest.Start(t)
	stats := loadFile(t, dst.Addr, corpusAll, LoadOptions{Match: []string{"s*"}})
	keys, err := dst.Client(t).Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 || int64(len(keys)) != stats.Keys || stats.Unmatched == 0 {
		t.Fatalf("%d keys in db 0 after --match s*: %s", len(keys), stats)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "s") {
			t.Fatalf("key %q loaded despite --match s*", k)
		}
	}
}

func loadFile(t *testing.T, addr, path string, lo LoadOptions) *LoadStats {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, err := Load(context.Background(), opts(t, addr), rdb.NewReader(f), lo)
	if err != nil {
		t.Fatalf("load: %v (%s)", err, stats)
	}
	return stats
}

func TestFlushRefusedForRemoteTarget(t *testing.T) {
	// TEST-NET-1: nothing answers there, so a dial would hang until its timeout
	o, err := ParseURL("redis://:pw@192.0.2.1:6379")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Load(context.Background(), o, rdb.NewReader(strings.NewReader("")), LoadOptions{Flush: true})
	if err == nil || !strings.Contains(err.Error(), "--yes") || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Fatalf("flush of a remote target: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("refusal took %v: a connection was attempted", time.Since(start))
	}
	for _, u := range []string{"redis://localhost:1", "redis://127.0.0.2:1", "redis://[::1]:1", "unix:///tmp/x.sock"} {
		o, err := ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckFlush(o, LoadOptions{Flush: true}); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	if err := CheckFlush(o, LoadOptions{Flush: true, Yes: true}); err != nil {
		t.Fatalf("--yes: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"redis://user:pa:ss@h:1/2": "redis://user:xxxxx@h:1/2",
		"rediss://:pw@h":           "rediss://:xxxxx@h",
		"redis://pw@h:6379":        "redis://xxxxx@h:6379",
		"redis://h:6379/0":         "redis://h:6379/0",
		// passwords holding characters a URL parser ends the userinfo at
		"redis://:pa#ss99@127.0.0.1:6379":       "redis://:xxxxx@127.0.0.1:6379",
		"redis://:pa?ss99@h:1/0":                "redis://:xxxxx@h:1/0",
		"redis://u:pa/ss99@h:1":                 "redis://u:xxxxx@h:1",
		"redis://pa/s#s?99@h:1":                 "redis://xxxxx@h:1",
		"redis://h:1/0?password=WrongPW99":      "redis://h:1/0?password=xxxxx",
		"redis://h:1?db=1&Password=pw99&x=1#f":  "redis://h:1?db=1&Password=xxxxx&x=1#f",
		"unix://u:pw99@/tmp/r.sock?password=p2": "unix://u:xxxxx@/tmp/r.sock?password=xxxxx",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	_, err := ParseURL("redis://u:topsecret@h:1/notadb")
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("bad URL error %v", err)
	}
	// URLs that do not parse: no piece of the password in the error
	for _, u := range []string{"redis://:pa#ss99@127.0.0.1:1", "redis://:pa?ss99@127.0.0.1:1",
		"redis://:pa/ss99@127.0.0.1:1", "redis://:123/ss99@127.0.0.1:1", "redis://:pa%zzss99@127.0.0.1:1",
		"redis://127.0.0.1:1/0?password=WrongPW99", "redis://127.0.0.1:1/0?password=Wrong%20PW99"} {
		_, err := ParseURL(u)
		if err == nil {
			t.Fatalf("%s: parsed", u)
		}
		for _, piece := range []string{":pa", "ss99", "PW99", "123", "zz"} {
			if strings.Contains(err.Error(), piece) {
				t.Errorf("%s: error %q shows %q", u, err, piece)
			}
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("%s: error %q does not name the server", u, err)
		}
	}
}

func TestUnreachableAndWrongPassword(t *testing.T) {
	// a port with nothing listening
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	s := withPassword(t, redistest.Start(t), "s3cret")
	cases := map[string]string{
		"unreachable":    "redis://:s3cret@" + dead,
		"wrong password": "redis://:wrongpw@" + s.Addr,
	}
	for name, u := range cases {
		for _, m := range []Method{MethodScan, MethodSync} {
			o, err := ParseURL(u)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Snapshot(context.Background(), o, io.Discard, SnapshotOptions{Method: m})
			if err == nil {
				t.Fatalf("%s %s: no error", name, m)
			}
			msg := err.Error()
			if !strings.Contains(msg, o.Addr) || strings.Contains(msg, o.Password) {
				t.Fatalf("%s %s: error %q should name %s and hide the password", name, m, msg, o.Addr)
			}
		}
		o, _ := ParseURL(u)
		_, err := Load(context.Background(), o, rdb.NewReader(strings.NewReader("")), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), o.Addr) || strings.Contains(err.Error(), o.Password) {
			t.Fatalf("%s load: %v", name, err)
		}
	}
}

func TestConnectionCutMidway(t *testing.T) {
	src := redistest.Start(t, fastSync)
	ctx := context.Background()
	if err := src.Client(t).Do(ctx, "DEBUG", "POPULATE", 20000, "key", 100).Err(); err != nil {
		t.Fatal(err)
	}
	path := src.Save(t)
	// sync: the stream is cut after 300 KB
	proxy := nettest.Proxy(t, src.Addr, nettest.Cut(300<<10), nil)
	stats, err := Snapshot(ctx, opts(t, proxy), io.Discard, SnapshotOptions{Method: MethodSync})
	if err == nil || !strings.Contains(err.Error(), proxy) {
		t.Fatalf("sync through a cut connection: %v (%s)", err, stats)
	}
	t.Logf("sync: %v (%s)", err, stats)

	// scan: a cut connection is survived (SCAN is stateless, keys are fetched again) ...
	proxy = nettest.Proxy(t, src.Addr, nettest.Cut(300<<10), nil)
	stats, err = Snapshot(ctx, opts(t, proxy), io.Discard, SnapshotOptions{Method: MethodScan})
	if err != nil || stats.Keys != 20000 {
		t.Fatalf("scan through a cut connection: %v (%s)", err, stats)
	}
	// ... a killed server is not
	victim := redistest.Start(t, redistest.WithRDB(path))
	stats, err = Snapshot(ctx, opts(t, victim.Addr), io.Discard, SnapshotOptions{Method: MethodScan,
		Progress: func(s SnapshotStats) {
			if s.Keys > 0 {
				victim.Kill()
			}
		}})
	if err == nil || !strings.Contains(err.Error(), victim.Addr) || stats.Keys == 0 || stats.Keys >= 20000 {
		t.Fatalf("scan of a server killed midway: %v (%s)", err, stats)
	}
	t.Logf("scan: %v (%s)", err, stats)

	// load through a connection cut after 200 KB of RESTOREs
	dst := redistest.Start(t)
	proxy = nettest.Proxy(t, dst.Addr, nil, nettest.Cut(200<<10))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lstats, err := Load(ctx, opts(t, proxy), rdb.NewReader(f), LoadOptions{Workers: 1})
	var le *Error
	if err == nil || !errors.As(err, &le) || le.Key == nil || le.Server != proxy {
		t.Fatalf("load through a cut connection: %v (%s)", err, lstats)
	}
	n, _ := dst.Client(t).DBSize(ctx).Result()
	if n < lstats.Keys || n > lstats.Keys+lstats.Unconfirmed || lstats.Unconfirmed == 0 || !strings.Contains(lstats.String(), "unconfirmed") {
		t.Fatalf("lstats %s; server has %d keys", lstats, n)
	}
	t.Logf("load: %v (%s)", err, lstats)

	// load into a server killed midway
	victim = redistest.Start(t)
	f2, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	var once sync.Once
	lstats, err = Load(ctx, opts(t, victim.Addr), rdb.NewReader(f2), LoadOptions{Progress: func(LoadStats) {
		once.Do(victim.Kill)
	}})
	if err == nil || !errors.As(err, &le) || le.Server != victim.Addr || !lstats.Stopped || lstats.Keys == 0 || lstats.Keys >= 20000 {
		t.Fatalf("load into a server killed midway: %v (%s)", err, lstats)
	}
	t.Logf("killed load: %v (%s)", err, lstats)
}

func TestKeyTooLarge(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t, fastSync)
	c := src.Client(t)
	blob := make([]byte, 3<<20)
	rand.Read(blob)
	if err := c.Set(ctx, "huge", blob, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		c.Set(ctx, fmt.Sprintf("small:%d", i), i, 0)
	}
	path := src.Save(t)

	// load: the target takes at most 2 MB per argument
	dst := redistest.Start(t)
	if err := dst.Client(t).ConfigSet(ctx, "proto-max-bulk-len", "2mb").Err(); err != nil {
		t.Fatal(err)
	}
	stats := loadFile(t, dst.Addr, path, LoadOptions{})
	if stats.Keys != 100 || stats.Failed != 1 || len(stats.FailedKeys) != 1 || !strings.Contains(stats.FailedKeys[0], `"huge"`) {
		t.Fatalf("load of a too-large key: %s", stats)
	}

	// snapshot: the source cuts clients whose replies pass 1 MB
	if err := c.ConfigSet(ctx, "client-output-buffer-limit", "normal 1mb 1mb 0").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := Snapshot(ctx, opts(t, src.Addr), io.Discard, SnapshotOptions{Method: MethodScan})
	var le *Error
	if err == nil || !errors.As(err, &le) || string(le.Key) != "huge" || le.Server != src.Addr {
		t.Fatalf("snapshot with a key over the output buffer limit: %v", err)
	}
	t.Log(err)
}

// TestScanSurvivesTableShrink: a table shrinking during SCAN makes it
// return keys again; the snapshot must hold each once (a dump with a key
// twice does not load) and equal the source.
func TestScanSurvivesTableShrink(t *testing.T) {
	src := redistest.Start(t, redistest.WithArgs("--hz", "100"))
	ctx := context.Background()
	c := src.Client(t)
	if err := c.Do(ctx, "DEBUG", "POPULATE", 20000, "key", 10).Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shrunk := false
	stats, err := Snapshot(ctx, opts(t, src.Addr), f, SnapshotOptions{Batch: 100, Progress: func(s SnapshotStats) {
		if shrunk || s.Keys < 5000 {
			return
		}
		shrunk = true
		// delete all but every 50th key: the table shrinks (serverCron) mid-scan
		p := c.Pipeline()
		for i := 0; i < 20000; i++ {
			if i%50 != 0 {
				p.Del(ctx, fmt.Sprintf("key:%d", i))
			}
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Error(err)
		}
		time.Sleep(300 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", stats)
	// keys deleted after being written stay in the snapshot: compare the
	// snapshot with the source plus those
	dst := redistest.Start(t, redistest.WithRDB(path))
	n, err := dst.Client(t).DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != stats.Keys {
		t.Fatalf("snapshot loads %d keys, wrote %d", n, stats.Keys)
	}
	left, _ := c.DBSize(ctx).Result()
	if n < left {
		t.Fatalf("snapshot has %d keys, source still %d", n, left)
	}
}

func TestSinkDropsRepeatedKeys(t *testing.T) {
	st := &SnapshotStats{}
	sk := newSink(io.Discard, &SnapshotOptions{}, st)
	if !sk.firstTime(0, "a") || sk.firstTime(0, "a") || !sk.firstTime(1, "a") || !sk.firstTime(256, "a") || !sk.firstTime(0, "b") {
		t.Fatal("fingerprints confuse keys or databases")
	}
}

// totalKeys counts the keys of every database of s.
func totalKeys(t testing.TB, s *redistest.Server) int64 {
	t.Helper()
	info, err := s.Client(t).Info(context.Background(), "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		if i := strings.Index(line, ":keys="); i > 0 {
			var k int64
			fmt.Sscanf(line[i+len(":keys="):], "%d", &k)
			n += k
		}
	}
	return n
}

// TestScanLargeValues: DUMP pipelines shrink for large values (memory stays
// near chunkBytes) and the snapshot is still whole and in order.
func TestScanLargeValues(t *testing.T) {
	src := redistest.Start(t)
	ctx := context.Background()
	c := src.Client(t)
	blob := make([]byte, 1<<20)
	for i := 0; i < 40; i++ {
		rand.Read(blob)
		if err := c.Set(ctx, fmt.Sprintf("blob:%d", i), blob, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	path, stats := snapshotFile(t, src.Addr, SnapshotOptions{Batch: 20})
	if stats.Keys != 40 {
		t.Fatalf("%s", stats)
	}
	if got, want := redistest.Start(t, redistest.WithRDB(path)).Digest(t), src.Digest(t); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	mk := func(sizes ...int) []*redis.StringCmd {
		var cmds []*redis.StringCmd
		for _, n := range sizes {
			cmd := redis.NewStringCmd(ctx)
			cmd.SetVal(strings.Repeat("x", n))
			cmds = append(cmds, cmd)
		}
		return cmds
	}
	if n := nextChunk(4, 4, mk(8<<20, 8<<20, 8<<20, 8<<20), 1000); n != 2 {
		t.Fatalf("after 32 MB in 4 keys: chunk %d, want 2", n)
	}
	if n := nextChunk(2, 2, mk(10, 10), 1000); n != 4 {
		t.Fatalf("after small values: chunk %d, want 4", n)
	}
	if n := nextChunk(1, 1, mk(100<<20), 1000); n != 1 {
		t.Fatalf("after one huge value: chunk %d, want 1", n)
	}
}
