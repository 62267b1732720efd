package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
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
	for _, n := range nodes {
		n.WaitClusterOK(t)
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

	// a load without --cluster stops with a hint at the first key another master owns
	f, err := os.Open(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(ctx, opts(t, seed), rdb.NewReader(f), LoadOptions{Replace: true})
	f.Close()
	if err == nil || !strings.Contains(err.Error(), "--cluster") {
		t.Fatalf("load into a cluster node without --cluster: %v", err)
	}

	clusterSlotsMove(t, nodes)
	clusterInterrupted(t, nodes)
	clusterRedirects(t, nodes, n0)
}

// clusterInterrupted cancels a cluster load after its first batch (Ctrl-C):
// the load stops with the context's error, as for one server. It used to
// read the rest of the file, count it as not loaded and return no error,
// so rdbtool load reported success (exit 0 or 1, not 130).
func clusterInterrupted(t *testing.T, nodes []*redistest.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, n := range nodes {
		n.Client(t).FlushAll(ctx)
	}
	f, err := os.Open(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, err := Load(ctx, opts(t, nodes[0].Addr), rdb.NewReader(f), LoadOptions{Cluster: true, Replace: true, BatchKeys: 5, Workers: 1,
		Progress: func(LoadStats) { cancel() }})
	if !errors.Is(err, context.Canceled) || !stats.Stopped || stats.Keys == 0 || stats.NotLoaded == 0 {
		t.Fatalf("cluster load cancelled after its first batch: %v (%s)", err, stats)
	}
	if stats.Keys+stats.NotLoaded+stats.Unconfirmed+stats.Expired+stats.OtherDB >= 127 {
		t.Fatalf("cluster load cancelled after its first batch read the whole file: %s", stats)
	}
}

// clusterSlotsMove snapshots the cluster while a slot changes owner (an
// empty one: the slot map differs at the end) and while a key's slot is
// migrated (its key read on neither master, or on both): the snapshot
// fails, where it used to write a file with keys missing or twice.
func clusterSlotsMove(t *testing.T, nodes []*redistest.Server) {
	ctx := context.Background()
	c0 := nodes[0].Client(t)
	id := func(n *redistest.Server) string { return n.Client(t).Do(ctx, "CLUSTER", "MYID").Val().(string) }
	setSlot := func(slot int64, args ...any) {
		for _, n := range nodes {
			if err := n.Client(t).Do(ctx, append([]any{"CLUSTER", "SETSLOT", slot}, args...)...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	owned := func(n *redistest.Server, empty bool) (int64, string) {
		slots, err := c0.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if s.Nodes[0].Addr != n.Addr {
				continue
			}
			for slot := s.Start; slot <= s.End; slot++ {
				keys := n.Client(t).ClusterGetKeysInSlot(ctx, slot, 1).Val()
				if empty == (len(keys) == 0) {
					k := ""
					if !empty {
						k = keys[0]
					}
					return int64(slot), k
				}
			}
		}
		t.Fatalf("%s owns no slot with empty=%v", n.Addr, empty)
		return 0, ""
	}
	for _, m := range []Method{MethodScan, MethodSync} {
		// an empty slot of nodes[0] passes to nodes[1]
		slot, _ := owned(nodes[0], true)
		moved := false
		_, err := Snapshot(ctx, opts(t, nodes[2].Addr), io.Discard, SnapshotOptions{Method: m, Cluster: true, Batch: 5,
			Progress: func(SnapshotStats) {
				if !moved {
					moved = true
					setSlot(slot, "NODE", id(nodes[1]))
				}
			}})
		if !moved || err == nil || !strings.Contains(err.Error(), "slots moved during the snapshot") {
			t.Errorf("%s snapshot while slot %d changes owner: %v", m, slot, err)
		}

		// a key's slot migrates from nodes[1] to nodes[0]
		slot, key := owned(nodes[1], false)
		moved = false
		_, err = Snapshot(ctx, opts(t, nodes[2].Addr), io.Discard, SnapshotOptions{Method: m, Cluster: true, Batch: 5,
			Progress: func(SnapshotStats) {
				if moved {
					return
				}
				moved = true
				nodes[0].Client(t).Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", id(nodes[1]))
				nodes[1].Client(t).Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", id(nodes[0]))
				if err := nodes[1].Client(t).Migrate(ctx, "127.0.0.1", strconv.Itoa(nodes[0].Port), key, 0, 5*time.Second).Err(); err != nil {
					t.Error(err)
				}
			}})
		if !moved || err == nil || !strings.Contains(err.Error(), fmt.Sprintf("slot %d is", slot)) &&
			!strings.Contains(err.Error(), "slot moved during the snapshot") {
			t.Errorf("%s snapshot while slot %d migrates: %v", m, slot, err)
		}
		setSlot(slot, "NODE", id(nodes[0]))
	}
	// settled: the snapshot works again
	if _, err := Snapshot(ctx, opts(t, nodes[2].Addr), io.Discard, SnapshotOptions{Cluster: true}); err != nil {
		t.Fatal(err)
	}
	// also for a user who may not run CLUSTER NODES (an ACL for backups):
	// the open-slot check is skipped, the slot map is still compared
	for _, n := range nodes {
		if err := n.Client(t).Do(ctx, "ACL", "SETUSER", "snap", "on", ">pw", "~*", "+@all", "-cluster|nodes").Err(); err != nil {
			t.Fatal(err)
		}
	}
	o := opts(t, nodes[2].Addr)
	o.Username, o.Password = "snap", "pw"
	if _, err := Snapshot(ctx, o, io.Discard, SnapshotOptions{Cluster: true}); err != nil {
		t.Fatalf("snapshot --cluster by a user without CLUSTER NODES: %v", err)
	}
}

// clusterRedirects loads into the cluster while one key's slot is being
// migrated (the client gets ASK) and another key's slot changes owner
// after the client read the slot map (it gets MOVED).
func clusterRedirects(t *testing.T, nodes []*redistest.Server, n0 int64) {
	ctx := context.Background()
	byAddr := map[string]*redis.Client{}
	ids := map[string]string{}
	for _, n := range nodes {
		c := n.Client(t)
		c.FlushAll(ctx)
		c.FunctionFlush(ctx)
		byAddr[n.Addr] = c
		id, err := c.Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			t.Fatal(err)
		}
		ids[n.Addr] = id
	}
	c0 := nodes[0].Client(t)
	owner := func(slot int64) string {
		slots, err := c0.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if int64(s.Start) <= slot && slot <= int64(s.End) {
				return s.Nodes[0].Addr
			}
		}
		t.Fatalf("slot %d unassigned", slot)
		return ""
	}
	other := func(addr string) string {
		for _, n := range nodes {
			if n.Addr != addr {
				return n.Addr
			}
		}
		return ""
	}
	// the file's live db-0 keys in order
	var keys []string
	f, err := os.Open(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	r := rdb.NewReader(f)
	now := time.Now().UnixMilli()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*rdb.Entry); ok && e.DB == 0 && (e.ExpireMs < 0 || e.ExpireMs > now) {
			keys = append(keys, string(e.Key))
		}
	}
	f.Close()
	slotOf := func(k string) int64 {
		s, err := c0.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const batch = 5
	early := map[int64]bool{}
	for _, k := range keys[:batch*2] {
		early[slotOf(k)] = true
	}
	var askKey, movedKey string
	for i := len(keys) - 1; i >= batch*2 && (askKey == "" || movedKey == ""); i-- {
		s := slotOf(keys[i])
		if early[s] || (askKey != "" && slotOf(askKey) == s) {
			continue
		}
		if movedKey == "" {
			movedKey = keys[i]
		} else {
			askKey = keys[i]
		}
	}
	if askKey == "" || movedKey == "" {
		t.Fatal("no keys for the redirect test")
	}

	// ASK: askKey's slot migrates from its owner to another master
	askSlot := slotOf(askKey)
	askFrom := owner(askSlot)
	askTo := other(askFrom)
	if err := byAddr[askTo].Do(ctx, "CLUSTER", "SETSLOT", askSlot, "IMPORTING", ids[askFrom]).Err(); err != nil {
		t.Fatal(err)
	}
	if err := byAddr[askFrom].Do(ctx, "CLUSTER", "SETSLOT", askSlot, "MIGRATING", ids[askTo]).Err(); err != nil {
		t.Fatal(err)
	}

	// MOVED: movedKey's slot changes owner once the load is under way
	movedSlot := slotOf(movedKey)
	movedFrom := owner(movedSlot)
	movedTo := other(movedFrom)
	moved := false
	o := opts(t, nodes[0].Addr)
	f, err = os.Open(corpusAll)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, err := Load(ctx, o, rdb.NewReader(f), LoadOptions{Cluster: true, BatchKeys: batch, Workers: 1,
		Progress: func(LoadStats) {
			if moved {
				return
			}
			moved = true
			for _, args := range [][]any{
				{movedTo, "IMPORTING", ids[movedFrom]}, {movedTo, "NODE", ids[movedTo]}, {movedFrom, "NODE", ids[movedTo]},
			} {
				if err := byAddr[args[0].(string)].Do(ctx, "CLUSTER", "SETSLOT", movedSlot, args[1], args[2]).Err(); err != nil {
					t.Error(err)
				}
			}
			for _, n := range nodes {
				if n.Addr != movedFrom && n.Addr != movedTo {
					byAddr[n.Addr].Do(ctx, "CLUSTER", "SETSLOT", movedSlot, "NODE", ids[movedTo])
				}
			}
		}})
	if err != nil || stats.Keys != n0 || stats.Failed != 0 {
		t.Fatalf("load with redirects: %v (%s)", err, stats)
	}
	if !moved {
		t.Fatal("the slot was never moved")
	}
	count := func(addr string, slot int64) int64 {
		n, err := byAddr[addr].ClusterCountKeysInSlot(ctx, int(slot)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(askTo, askSlot) == 0 || count(askFrom, askSlot) != 0 {
		t.Fatalf("key %q of migrating slot %d: not on the importing node %s (ASK not followed)", askKey, askSlot, askTo)
	}
	if count(movedTo, movedSlot) == 0 || count(movedFrom, movedSlot) != 0 {
		t.Fatalf("key %q of moved slot %d: not on its new owner %s (MOVED not followed)", movedKey, movedSlot, movedTo)
	}
}
