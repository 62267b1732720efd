package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// Tests for the gaps audit-45 found in load: --flush before the file is
// known to be an RDB, a damaged file's summary, counted re-encoding
// warnings, /db in the URL, cluster errors naming the failing node.

// firstRecordOffset is the offset of the first key or function library
// of the file at path.
func firstRecordOffset(t *testing.T, path string) int64 {
	t.Helper()
	recs, err := rdbtest.ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		switch rec.(type) {
		case *rdb.Entry, *rdb.Function:
			return rec.Offset()
		}
	}
	t.Fatalf("%s: no key or library", path)
	return 0
}

func TestLoadFlushWaitsForAnRDB(t *testing.T) {
	ctx := context.Background()
	dst := redistest.Start(t)
	c := dst.Client(t)
	c.Set(ctx, "x", "1", 0)
	c3 := redis.NewClient(&redis.Options{Addr: dst.Addr, DB: 3})
	defer c3.Close()
	c3.Set(ctx, "y", "2", 0)
	want := dst.Digest(t)

	whole, err := os.ReadFile(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	first := firstRecordOffset(t, corpusAll)
	for name, data := range map[string][]byte{
		"not an RDB":             []byte("key,value\nx,1\n"),
		"empty":                  nil,
		"cut in the aux fields":  whole[:first-3],
		"cut in the first entry": whole[:first+3],
	} {
		stats, err := Load(ctx, opts(t, dst.Addr), rdb.NewReader(bytes.NewReader(data)), LoadOptions{Flush: true})
		if err == nil || !strings.HasPrefix(err.Error(), "reading the dump") {
			t.Fatalf("%s: %v (%s)", name, err, stats)
		}
		if stats.Flushed || stats.Keys != 0 {
			t.Fatalf("%s: %s (flushed %v)", name, stats, stats.Flushed)
		}
		if got := dst.Digest(t); got != want {
			t.Fatalf("%s: the target changed (digest %s, was %s): it was flushed before the file was known to be an RDB", name, got, want)
		}
	}
	// a good file is flushed, and says so
	stats := loadFile(t, dst.Addr, corpusAll, LoadOptions{Flush: true})
	if !stats.Flushed || c.Exists(ctx, "x").Val() != 0 {
		t.Fatalf("good file with --flush: %s (flushed %v)", stats, stats.Flushed)
	}
}

func TestLoadDamagedFileSaysRestNotLoaded(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t)
	if err := src.Client(t).Do(ctx, "DEBUG", "POPULATE", 3000, "key", 50).Err(); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(src.Save(t))
	if err != nil {
		t.Fatal(err)
	}
	dst := redistest.Start(t)
	for _, lo := range []LoadOptions{{}, {BatchKeys: 100, Workers: 1}} {
		dst.Client(t).FlushAll(ctx)
		stats, err := Load(ctx, opts(t, dst.Addr), rdb.NewReader(bytes.NewReader(whole[:len(whole)/2])), lo)
		var re *rdb.Error
		if err == nil || !errors.As(err, &re) {
			t.Fatalf("truncated file: %v (%s)", err, stats)
		}
		if !stats.Stopped || stats.FileError == "" || stats.Keys == 0 || stats.Keys >= 3000 {
			t.Fatalf("truncated file: stats %+v", stats)
		}
		if s := stats.String(); !strings.Contains(s, "the rest of it was NOT loaded") {
			t.Fatalf("summary %q does not say the rest of the file was not loaded", s)
		}
		if n := dst.Client(t).DBSize(ctx).Val(); n != stats.Keys {
			t.Fatalf("server holds %d keys, stats %s", n, stats)
		}
	}
}

func TestLoadCountsEveryWarning(t *testing.T) {
	// a v12 file whose 25 hashes have field expiries: redis-server 7.0
	// (RDB 10) takes them without, one warning each
	const n = 25
	future := time.Now().Add(time.Hour).UnixMilli()
	keys := make([]rdbtest.Key, n)
	for i := range keys {
		keys[i] = rdbtest.Key{Name: fmt.Sprintf("h%02d", i), Value: &rdb.Value{Kind: "hash", Hash: []rdb.HashField{
			{Field: []byte("f"), Value: []byte("v"), ExpireMs: future}, {Field: []byte("g"), Value: []byte("w"), ExpireMs: -1}}}}
	}
	buf := bytes.NewReader(rdbtest.Dump(t, 12, keys...))
	dst := redistest.Start(t)
	stats, err := Load(context.Background(), opts(t, dst.Addr), rdb.NewReader(buf), LoadOptions{})
	if err != nil {
		t.Fatalf("%v (%s)", err, stats)
	}
	if stats.TargetVersion >= 12 {
		t.Skipf("redis-server loads RDB %d: no re-encoding to count", stats.TargetVersion)
	}
	if stats.Keys != n || stats.WarningsTotal != n || len(stats.Warnings) != maxListed {
		t.Fatalf("%d warnings listed, %d counted: %s", len(stats.Warnings), stats.WarningsTotal, stats)
	}
	if s := stats.String(); !strings.Contains(s, fmt.Sprintf("... and %d more", n-maxListed)) {
		t.Fatalf("summary does not count the warnings it does not list:\n%s", s)
	}
}

func TestLoadRefusesURLDatabase(t *testing.T) {
	// nothing listens on port 1: the refusal comes before any connection
	o, err := ParseURL("redis://127.0.0.1:1/5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), o, rdb.NewReader(strings.NewReader("")), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "database 5") || !strings.Contains(err.Error(), "the file gives it") {
		t.Fatalf("load to a URL naming database 5: %v", err)
	}
	if o, _ = ParseURL("redis://127.0.0.1:1/0"); CheckDB(o) != nil {
		t.Fatalf("/0 refused: %v", CheckDB(o))
	}
}

func TestClusterErrorsNameTheNode(t *testing.T) {
	nodes := startCluster(t)
	ctx := context.Background()
	seed, victim := nodes[0], nodes[2]
	src := redistest.Start(t)
	if err := src.Client(t).Do(ctx, "DEBUG", "POPULATE", 20000, "key", 100).Err(); err != nil {
		t.Fatal(err)
	}
	path := src.Save(t)

	// a master killed during the load: the error names it, not the seed
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var once sync.Once
	stats, err := Load(ctx, opts(t, seed.Addr), rdb.NewReader(f), LoadOptions{Cluster: true, BatchKeys: 100,
		Progress: func(LoadStats) { once.Do(victim.Kill) }})
	var le *Error
	if err == nil || !errors.As(err, &le) || le.Server != victim.Addr || le.Key == nil || !stats.Stopped {
		t.Fatalf("load into a cluster whose master %s (seed %s) was killed: %v (%s)", victim.Addr, seed.Addr, err, stats)
	}
	slot := seed.Client(t).ClusterKeySlot(ctx, string(le.Key)).Val()
	if owner := slotOwner(t, seed, slot); owner != victim.Addr {
		t.Fatalf("error names key %q of slot %d, owned by %s, not by the killed %s", le.Key, slot, owner, victim.Addr)
	}
	t.Logf("killed master: %v", err)

	// connecting with that master down: the error names it too
	_, err = Load(ctx, opts(t, seed.Addr), rdb.NewReader(strings.NewReader("")), LoadOptions{Cluster: true})
	if err == nil || !errors.As(err, &le) || le.Server != victim.Addr {
		t.Fatalf("connect to a cluster with master %s down (seed %s): %v", victim.Addr, seed.Addr, err)
	}
	t.Logf("dead master: %v", err)
}

func slotOwner(t *testing.T, s *redistest.Server, slot int64) string {
	t.Helper()
	slots, err := s.Client(t).ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range slots {
		if int64(r.Start) <= slot && slot <= int64(r.End) {
			return r.Nodes[0].Addr
		}
	}
	return ""
}
