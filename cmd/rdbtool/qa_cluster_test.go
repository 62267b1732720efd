package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
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
}
