package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestQAJQTextconvStable: the same data saved by redis-server 7.0 after
// being written in another order (keys, hash fields, set members, zset
// members of equal score, stream groups and consumers), and in another
// encoding (listpack against hashtable/skiplist), prints the same
// textconv text, so a git diff of two saves shows nothing; LFU counters,
// which change on every read, are not printed.
func TestQAJQTextconvStable(t *testing.T) {
	s := redistest.Start(t, redistest.WithArgs("--maxmemory-policy", "allkeys-lfu"))
	c := s.Client(t)
	ctx := context.Background()
	dir := t.TempDir()
	save := func(name string, reverse bool, small string) string {
		t.Helper()
		c.FlushAll(ctx)
		c.ConfigSet(ctx, "hash-max-listpack-entries", small)
		c.ConfigSet(ctx, "zset-max-listpack-entries", small)
		c.ConfigSet(ctx, "set-max-intset-entries", small)
		n := 20
		for j := 0; j < n; j++ {
			i := j
			if reverse {
				i = n - 1 - j
			}
			k := strconv.Itoa(i)
			for _, cmd := range [][]any{
				{"SET", "str:" + k, "v" + k},
				{"HSET", "hash", "f" + k, k},
				{"SADD", "set:int", k},
				{"SADD", "set", "m" + k},
				{"ZADD", "zset", strconv.Itoa(i % 3), "m" + k},
				{"RPUSH", "list", "e"},
			} {
				if err := c.Do(ctx, cmd...).Err(); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, cmd := range [][]any{
			{"XADD", "stream", "1-1", "a", "1"},
			{"XADD", "stream", "2-1", "b", "2"},
		} {
			c.Do(ctx, cmd...)
		}
		groups := []string{"g1", "g2"}
		consumers := []string{"alice", "bob"}
		if reverse {
			groups, consumers = []string{"g2", "g1"}, []string{"bob", "alice"}
		}
		for _, g := range groups {
			c.Do(ctx, "XGROUP", "CREATE", "stream", g, "0")
			for _, co := range consumers {
				c.Do(ctx, "XGROUP", "CREATECONSUMER", "stream", g, co)
			}
		}
		for i := 0; i < 3; i++ {
			c.Get(ctx, "str:1") // LFU counter moves
		}
		data, err := os.ReadFile(s.Save(t))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := save("a.rdb", false, "128")
	b := save("b.rdb", true, "1")
	if ka, kb := mustRun(t, 0, nil, "keys", a).stdout, mustRun(t, 0, nil, "keys", b).stdout; ka == kb || !strings.Contains(ka, "listpack") || !strings.Contains(kb, "skiplist") {
		t.Fatalf("the two saves should differ in encoding:\n%s\n---\n%s", ka, kb)
	}
	ta := mustRun(t, 0, nil, "textconv", a).stdout
	tb := mustRun(t, 0, nil, "textconv", b).stdout
	if ta != tb {
		t.Fatalf("textconv differs for the same data:\n%s\n---\n%s", ta, tb)
	}
	if strings.Contains(ta, "freq") || strings.Contains(ta, "idle") {
		t.Fatalf("LFU/LRU data in textconv:\n%s", ta)
	}
	mustRun(t, 0, nil, "diff", a, b)
}
