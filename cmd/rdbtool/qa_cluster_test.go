package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// qaCluster is a three-master Redis Cluster made with redis-cli --cluster
// create, as an operator makes one.
type qaCluster struct {
	nodes   []*redistest.Server
	clients []*redis.Client
}

func startQACluster(t *testing.T) *qaCluster {
	t.Helper()
	cli := redistest.Binary(t, "redis-cli")
	cl := &qaCluster{}
	args := []string{"--cluster", "create"}
	for i := 0; i < 3; i++ {
		s := redistest.Start(t, redistest.WithArgs("--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
			"--repl-diskless-sync-delay", "0"))
		cl.nodes = append(cl.nodes, s)
		cl.clients = append(cl.clients, s.Client(t))
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, n := range cl.nodes {
		n.WaitClusterOK(t)
	}
	return cl
}

// flush empties every master.
func (cl *qaCluster) flush(t *testing.T) {
	t.Helper()
	for _, c := range cl.clients {
		if err := c.FlushAll(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// keys is the number of keys on each master.
func (cl *qaCluster) keys(t *testing.T) []int64 {
	t.Helper()
	var n []int64
	for _, c := range cl.clients {
		n = append(n, c.DBSize(context.Background()).Val())
	}
	return n
}

func sum(n []int64) (s int64) {
	for _, v := range n {
		s += v
	}
	return s
}

// TestQACluster runs the README's cluster examples against one cluster
// (it takes ~2.5 s to form, so the cases share it).
func TestQACluster(t *testing.T) {
	cl := startQACluster(t)
	ctx := context.Background()
	seed := "redis://" + cl.nodes[0].Addr

	// A node of a cluster reached without --cluster: load used to flush
	// that one node (a third of the cluster) and then stop at the first
	// key another master owns; snapshot silently wrote that node's third.
	t.Run("node without --cluster", func(t *testing.T) {
		cl.flush(t)
		for i, c := range cl.clients {
			// a key of a slot each node owns: {a} 15495, {b} 3300, {c} 7365
			c.Set(ctx, map[int]string{0: "{b}keep", 1: "{c}keep", 2: "{a}keep"}[i], "x", 0)
		}
		before := cl.keys(t)
		_, stderr, code := liveRun(t, "load", siteDump, "--to", seed, "--flush")
		if code != 2 || !strings.Contains(stderr, "--cluster") || !strings.Contains(stderr, cl.nodes[0].Addr) {
			t.Errorf("load into a cluster node without --cluster: exit %d (want 2): %s", code, stderr)
		}
		if after := cl.keys(t); sum(after) != sum(before) || after[0] != before[0] {
			t.Errorf("keys per master %v before, %v after a refused load: it flushed or loaded", before, after)
		}
		dir := t.TempDir()
		for _, m := range []string{"scan", "sync"} {
			_, stderr, code := liveRun(t, "snapshot", "--from", seed, "-o", filepath.Join(dir, m+".rdb"), "--method", m)
			if code != 2 || !strings.Contains(stderr, "--cluster") {
				t.Errorf("snapshot --method %s of one cluster node without --cluster: exit %d (want 2): %s", m, code, stderr)
			}
		}
		assertOnly(t, dir)
	})

	// A snapshot while a slot is being resharded: a key can be on both
	// nodes (MIGRATE has copied it, or sync read the source before and the
	// target after it moved). The sync snapshot wrote it twice, a dump
	// redis-server refuses to start with ("Duplicated key found in RDB
	// file"); the scan one stopped on a bare "DUMP: MOVED 1234 host:port".
	t.Run("snapshot during a slot migration", func(t *testing.T) {
		cl.flush(t)
		if _, stderr, code := liveRun(t, "load", siteDump, "--to", seed, "--cluster"); code != 0 {
			t.Fatalf("load: exit %d: %s", code, stderr)
		}
		const key = "corr:current_file" // a key of the dump
		slot := cl.clients[0].ClusterKeySlot(ctx, key).Val()
		from, to := -1, -1
		for i, c := range cl.clients {
			if c.Exists(ctx, key).Val() == 1 {
				from, to = i, (i+1)%3
			}
		}
		if from < 0 {
			t.Fatalf("no master holds %q", key)
		}
		id := func(i int) string { return cl.clients[i].Do(ctx, "CLUSTER", "MYID").Val().(string) }
		for _, step := range []struct {
			node int
			args []any
		}{
			{to, []any{"CLUSTER", "SETSLOT", slot, "IMPORTING", id(from)}},
			{from, []any{"CLUSTER", "SETSLOT", slot, "MIGRATING", id(to)}},
			{from, []any{"MIGRATE", "127.0.0.1", cl.nodes[to].Port, key, 0, 5000, "COPY"}},
		} {
			if err := cl.clients[step.node].Do(ctx, step.args...).Err(); err != nil {
				t.Fatalf("%v: %v", step.args, err)
			}
		}
		dir := t.TempDir()
		for _, m := range []string{"scan", "sync"} {
			_, stderr, code := liveRun(t, "snapshot", "--from", seed, "--cluster", "-o", filepath.Join(dir, m+".rdb"), "--method", m)
			if code != 2 || !strings.Contains(stderr, fmt.Sprintf("slot %d", slot)) || !strings.Contains(stderr, "--cluster check") {
				t.Errorf("snapshot --cluster --method %s while slot %d migrates: exit %d (want 2): %s", m, slot, code, stderr)
			}
		}
		assertOnly(t, dir)

		// the migration done: every key once, in both methods
		for _, step := range []struct {
			node int
			args []any
		}{
			{from, []any{"DEL", key}},
			{to, []any{"CLUSTER", "SETSLOT", slot, "NODE", id(to)}},
			{from, []any{"CLUSTER", "SETSLOT", slot, "NODE", id(to)}},
			{(to + 1) % 3, []any{"CLUSTER", "SETSLOT", slot, "NODE", id(to)}},
		} {
			if err := cl.clients[step.node].Do(ctx, step.args...).Err(); err != nil {
				t.Fatalf("%v: %v", step.args, err)
			}
		}
		for _, m := range []string{"scan", "sync"} {
			out := filepath.Join(dir, m+".rdb")
			stdout, stderr, code := liveRun(t, "snapshot", "--from", seed, "--cluster", "-o", out, "--method", m, "--json")
			var rep struct {
				Keys    int64
				Servers []string
			}
			if err := json.Unmarshal([]byte(stdout), &rep); code != 0 || err != nil {
				t.Fatalf("snapshot --cluster --method %s: exit %d, %v: %s%s", m, code, err, stdout, stderr)
			}
			if rep.Keys != 232 || len(rep.Servers) != 3 {
				t.Errorf("snapshot --cluster --method %s: %+v, want 232 keys from 3 servers", m, rep)
			}
			if d, derr, code := liveRun(t, "diff", out, siteDump); code != 0 {
				t.Errorf("snapshot --cluster --method %s differs from the dump loaded: exit %d\n%s%s", m, code, d, derr)
			}
		}
	})

	// Keys with hash tags land on the master owning the tag's slot (and
	// keys of one tag together), checked against each node's CLUSTER
	// KEYSLOT and the slot map, as redis-cli -c would find them.
	t.Run("hash tags", func(t *testing.T) {
		cl.flush(t)
		var keys []string
		for i := 0; i < 50; i++ {
			keys = append(keys, fmt.Sprintf("{user1}:f%d", i), fmt.Sprintf("{}x%d", i), fmt.Sprintf("a{b}{c}%d", i),
				fmt.Sprintf("{h%d}:h%d", i%7, i), fmt.Sprintf("x{%d", i))
		}
		path := filepath.Join(t.TempDir(), "tags.rdb")
		dump := make([]rdbtest.Key, len(keys))
		for i, k := range keys {
			dump[i] = rdbtest.Key{Name: k, Value: &rdb.Value{Kind: "string", String: []byte("v")}}
		}
		if err := os.WriteFile(path, rdbtest.Dump(t, 10, dump...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := liveRun(t, "load", path, "--to", seed, "--cluster"); code != 0 {
			t.Fatalf("load: exit %d: %s", code, stderr)
		}
		slots, err := cl.clients[0].ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		owner := func(slot int64) string {
			for _, s := range slots {
				if int64(s.Start) <= slot && slot <= int64(s.End) {
					return s.Nodes[0].Addr
				}
			}
			return ""
		}
		total := 0
		tagNode := map[string]string{}
		for i, c := range cl.clients {
			held, err := c.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			total += len(held)
			for _, k := range held {
				slot := c.ClusterKeySlot(ctx, k).Val()
				if owner(slot) != cl.nodes[i].Addr {
					t.Errorf("key %q (slot %d) is on %s, owner %s", k, slot, cl.nodes[i].Addr, owner(slot))
				}
				if strings.HasPrefix(k, "{user1}") {
					tagNode["{user1}"+cl.nodes[i].Addr] = k
				}
			}
		}
		if total != len(keys) || len(tagNode) != 1 {
			t.Errorf("%d keys held, want %d; {user1} keys on %d masters, want 1", total, len(keys), len(tagNode))
		}
	})

	// A library already on one master only: the load puts it on the
	// others, and says so, instead of "not loaded: already present".
	t.Run("library on one master", func(t *testing.T) {
		cl.flush(t)
		for _, c := range cl.clients {
			c.FunctionFlush(ctx)
		}
		code := "#!lua name=mylib\nredis.register_function('other', function() return 1 end)"
		if err := cl.clients[1].FunctionLoad(ctx, code).Err(); err != nil {
			t.Fatal(err)
		}
		_, stderr, exit := liveRun(t, "load", liveCorpus, "--to", seed, "--cluster")
		want := `"mylib": already present on ` + cl.nodes[1].Addr + ` (conflict, not replaced there); loaded on the 2 other masters`
		if exit != 1 || !strings.Contains(stderr, want) {
			t.Errorf("load --cluster of a library one master has: exit %d, want 1 and %q:\n%s", exit, want, stderr)
		}
		for i, c := range cl.clients {
			if libs := c.FunctionList(ctx, redis.FunctionListQuery{LibraryNamePattern: "mylib"}).Val(); len(libs) != 1 {
				t.Errorf("master %d holds %d mylib libraries", i, len(libs))
			}
		}
	})

	// The README's example, as written (host and port adapted).
	t.Run("load --cluster --match --replace", func(t *testing.T) {
		cl.flush(t)
		stdout, stderr, code := liveRun(t, "load", siteDump, "--to", seed, "--cluster", "--match", "corr:*", "--replace", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep struct {
			Keys, Unmatched int64
			Server          string
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("load --json: %v\n%s", err, stdout)
		}
		if rep.Keys != 15 || rep.Unmatched != 232-15 || sum(cl.keys(t)) != 15 {
			t.Fatalf("load --json %+v, keys per master %v; want 15 corr:* keys loaded", rep, cl.keys(t))
		}
	})

	// A cluster running with cluster-require-full-coverage no and a slot
	// served by no node: its keys are refused one by one ("CLUSTERDOWN Hash
	// slot not served") and listed as not loaded, exit 1; the other keys
	// load. It stopped the whole load as if the cluster were down. Last:
	// it leaves the slot unserved.
	t.Run("slot not served", func(t *testing.T) {
		cl.flush(t)
		const key = "corr:current_file"
		slot := cl.clients[0].ClusterKeySlot(ctx, key).Val()
		for _, c := range cl.clients {
			if err := c.ConfigSet(ctx, "cluster-require-full-coverage", "no").Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Do(ctx, "CLUSTER", "DELSLOTS", slot).Err(); err != nil && !strings.Contains(err.Error(), "already unassigned") {
				t.Fatal(err)
			}
		}
		stdout, stderr, code := liveRun(t, "load", siteDump, "--to", seed, "--cluster", "--json")
		var rep struct {
			Keys, Failed int64
			FailedKeys   []string `json:"failed_keys"`
			Stopped      bool
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("load --json: %v: %s%s", err, stdout, stderr)
		}
		if code != 1 || rep.Stopped || rep.Failed != 1 || rep.Keys != 231 || len(rep.FailedKeys) != 1 ||
			!strings.Contains(rep.FailedKeys[0], key) || sum(cl.keys(t)) != 231 {
			t.Errorf("load --cluster with slot %d unserved: exit %d, %+v, keys per master %v:\n%s", slot, code, rep, cl.keys(t), stderr)
		}
	})
}
