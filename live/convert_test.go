package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// TestLoadIntoOlderServer loads files newer than redis-server 7.0 (RDB 10):
// their values are re-encoded, and what the server holds equals the
// decoded file.
func TestLoadIntoOlderServer(t *testing.T) {
	dst := redistest.Start(t)
	ctx := context.Background()
	for _, name := range []string{"legacy_v11_set_listpack", "legacy_v12_stream3", "legacy_v12_hash_listpack_hfe", "legacy_v12_hash_hfe"} {
		path := "../testdata/corpus/" + name + ".rdb"
		dst.Client(t).FlushAll(ctx)
		stats := loadFile(t, dst.Addr, path, LoadOptions{})
		if stats.FileVersion <= 10 || stats.TargetVersion != 10 {
			t.Fatalf("%s: file version %d, target %d: not a conversion case", name, stats.FileVersion, stats.TargetVersion)
		}
		if stats.Converted == 0 || stats.Keys == 0 || stats.Failed != 0 {
			t.Fatalf("%s: %s", name, stats)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := rdb.NewReader(f)
		n := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := rec.(*rdb.Entry); ok {
				c := redis.NewClient(&redis.Options{Addr: dst.Addr, DB: e.DB})
				checkValue(t, c, e)
				c.Close()
				n++
			}
		}
		f.Close()
		if int64(n) != stats.Keys {
			t.Fatalf("%s: %d entries in the file, %d loaded", name, n, stats.Keys)
		}
	}
}

// checkValue compares a key on the server with the decoded entry.
func checkValue(t *testing.T, c *redis.Client, e *rdb.Entry) {
	t.Helper()
	ctx := context.Background()
	v, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	k := string(e.Key)
	sorted := func(b [][]byte) []string {
		s := make([]string, len(b))
		for i := range b {
			s[i] = string(b[i])
		}
		sort.Strings(s)
		return s
	}
	same := func(a, b []string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	switch v.Kind {
	case "string":
		got, err := c.Get(ctx, k).Result()
		if err != nil || got != string(v.String) {
			t.Fatalf("key %q: %q, %v; want %q", k, got, err, v.String)
		}
	case "set":
		got, err := c.SMembers(ctx, k).Result()
		sort.Strings(got)
		if err != nil || !same(got, sorted(v.Set)) {
			t.Fatalf("set %q: %q, %v; want %q", k, got, err, sorted(v.Set))
		}
	case "hash":
		got, err := c.HGetAll(ctx, k).Result()
		if err != nil || len(got) != len(v.Hash) {
			t.Fatalf("hash %q: %v, %v; want %d fields", k, got, err, len(v.Hash))
		}
		for _, f := range v.Hash {
			if got[string(f.Field)] != string(f.Value) {
				t.Fatalf("hash %q field %q = %q, want %q", k, f.Field, got[string(f.Field)], f.Value)
			}
		}
	case "stream":
		n, err := c.XLen(ctx, k).Result()
		if err != nil || uint64(n) != v.Stream.Length {
			t.Fatalf("stream %q: XLEN %d, %v; want %d", k, n, err, v.Stream.Length)
		}
		groups, err := c.XInfoGroups(ctx, k).Result()
		if err != nil || len(groups) != len(v.Stream.Groups) {
			t.Fatalf("stream %q: %d groups, %v; want %d", k, len(groups), err, len(v.Stream.Groups))
		}
	default:
		t.Fatalf("key %q: add a check for %s", k, v.Kind)
	}
}

// TestLoadKeepsIdleAndFreq: IDLETIME and FREQ reach the server; ABSTTL keeps
// the absolute expiry.
func TestLoadKeepsIdleAndFreq(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/idle.rdb"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := rdb.NewWriter(f, 10)
	expire := time.Now().Add(time.Hour).UnixMilli()
	for i, mod := range []func(*rdb.Entry){
		func(e *rdb.Entry) { e.Idle = 5000 },
		func(e *rdb.Entry) { e.Freq = 77 },
		func(e *rdb.Entry) { e.ExpireMs = expire },
	} {
		e, err := rdb.NewEntry(0, []byte(fmt.Sprintf("k%d", i)), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
		if err != nil {
			t.Fatal(err)
		}
		mod(e)
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	lru := redistest.Start(t)
	loadFile(t, lru.Addr, path, LoadOptions{})
	c := lru.Client(t)
	if idle, err := c.ObjectIdleTime(ctx, "k0").Result(); err != nil || idle < 5000*time.Second {
		t.Fatalf("OBJECT IDLETIME k0 = %v, %v; want >= 5000s", idle, err)
	}
	if ms, err := c.PExpireTime(ctx, "k2").Result(); err != nil || ms.Milliseconds() != expire {
		t.Fatalf("PEXPIRETIME k2 = %v, %v; want %d", ms.Milliseconds(), err, expire)
	}
	lfu := redistest.Start(t, redistest.WithArgs("--maxmemory-policy", "allkeys-lfu"))
	loadFile(t, lfu.Addr, path, LoadOptions{})
	if freq, err := lfu.Client(t).ObjectFreq(ctx, "k1").Result(); err != nil || freq != 77 {
		t.Fatalf("OBJECT FREQ k1 = %d, %v; want 77", freq, err)
	}
}
