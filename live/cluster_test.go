package live

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// startCluster starts three masters and joins them with redis-cli --cluster create.
func startCluster(t *testing.T) []*redistest.Server {
	t.Helper()
	cli := redistest.Binary(t, "redis-cli")
	var nodes []*redistest.Server
	args := []string{"--cluster", "create"}
	for i := 0; i < 3; i++ {
		s := redistest.Start(t, fastSync, redistest.WithArgs("--cluster-enabled", "yes", "--cluster-node-timeout", "5000"))
		nodes = append(nodes, s)
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range nodes {
		for {
			info, err := n.Client(t).ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok: %v %s", n.Addr, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nodes
}

func TestCluster(t *testing.T) {
	nodes := startCluster(t)
	ctx := context.Background()
	seed := nodes[1].Addr

	// what a server loading the file holds in db 0
	native := redistest.Start(t, redistest.WithRDB(corpusAll))
	for db := 1; db <= 2; db++ {
		c := redis.NewClient(&redis.Options{Addr: native.Addr, DB: db})
		c.FlushDB(ctx)
		c.Close()
	}
	n0 := totalKeys(t, native)

	stats := loadFile(t, seed, corpusAll, LoadOptions{Cluster: true, BatchKeys: 9})
	if stats.OtherDB == 0 || stats.Keys != n0 || stats.Functions != 1 {
		t.Fatalf("cluster load: %s; want %d keys of db 0, some of other databases, 1 library", stats, n0)
	}

	// every key sits on the master owning its slot
	slots, err := nodes[0].Client(t).ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	owner := map[int64]string{}
	for _, s := range slots {
		for slot := s.Start; slot <= s.End; slot++ {
			owner[int64(slot)] = s.Nodes[0].Addr
		}
	}
	total, used := 0, map[string]int{}
	for _, n := range nodes {
		c := n.Client(t)
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			slot, err := c.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if owner[slot] != n.Addr {
				t.Fatalf("key %q (slot %d) is on %s, slot owner %s", k, slot, n.Addr, owner[slot])
			}
		}
		total += len(keys)
		used[n.Addr] = len(keys)
		if got := functionCodes(t, c); len(got) != 1 {
			t.Fatalf("master %s has %d libraries, want 1", n.Addr, len(got))
		}
	}
	if int64(total) != n0 || len(used) != 3 || used[nodes[0].Addr]*used[nodes[1].Addr]*used[nodes[2].Addr] == 0 {
		t.Fatalf("keys per master %v, want %d spread over all three", used, n0)
	}

	// the cluster snapshot holds what a server loading the file's db 0 holds
	want := native.Digest(t)
	for _, m := range []Method{MethodScan, MethodSync} {
		path, st := snapshotFile(t, seed, SnapshotOptions{Method: m, Cluster: true})
		if len(st.Servers) != 3 || st.Keys != n0 || st.Functions != 1 {
			t.Fatalf("%s: %s", m, st)
		}
		dst := redistest.Start(t, redistest.WithRDB(path))
		if got := dst.Digest(t); got != want {
			t.Fatalf("%s: digest of the cluster snapshot %s, want %s", m, got, want)
		}
	}

	// a second load conflicts on every key, on whichever master holds it
	stats = loadFile(t, seed, corpusAll, LoadOptions{Cluster: true})
	if stats.Conflicts != n0 || stats.Keys != 0 {
		t.Fatalf("second cluster load: %s", stats)
	}
}
