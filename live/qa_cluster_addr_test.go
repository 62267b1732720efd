package live

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// snapshot --cluster must read the nodes load --cluster writes to: go-redis's
// cluster client (load) puts the seed's host in place of a loopback or empty
// host that CLUSTER SLOTS reports (a cluster created with 127.0.0.1 addresses,
// reached from another machine; a node that never met another) and the seed's
// port in place of port 0 (TLS-only nodes). The snapshot dialled the reported
// address as is: "connection refused", or a different server on this machine.
func TestQAClusterNodeAddr(t *testing.T) {
	for _, tc := range []struct{ seed, reported, want string }{
		{"10.0.0.5:7000", "10.0.0.6:7001", "10.0.0.6:7001"},
		{"10.0.0.5:7000", "127.0.0.1:7001", "10.0.0.5:7001"},
		{"db.example:7000", "127.0.0.1:7001", "db.example:7001"},
		{"db.example:7000", "[::1]:7001", "db.example:7001"},
		{"db.example:7000", ":7001", "db.example:7001"},
		{"db.example:7000", "10.0.0.6:0", "10.0.0.6:7000"},
		{"127.0.0.1:7000", "127.0.0.2:7001", "127.0.0.2:7001"},
		{"localhost:7000", "127.0.0.1:7001", "127.0.0.1:7001"},
		{"localhost:7000", ":7001", "localhost:7001"},
		{"db.example:7000", "node2.example:7001", "node2.example:7001"},
	} {
		if got := clusterNodeAddr(tc.seed, tc.reported); got != tc.want {
			t.Errorf("seed %s, CLUSTER SLOTS says %s: dials %s, want %s", tc.seed, tc.reported, got, tc.want)
		}
	}
}

// clusterFlushLocal: a one-node cluster on this machine reports its own
// address with an empty host (it never met another node): --flush of it
// needs no --yes. It was refused as "not on this machine" (":port").
func clusterFlushLocal(t *testing.T, node *redistest.Server) {
	ctx := context.Background()
	c := node.Client(t)
	c.Set(ctx, "old", "x", 0)
	stats, err := Load(ctx, opts(t, node.Addr), rdb.NewReader(bytes.NewReader(stringsDump(t, 3))),
		LoadOptions{Cluster: true, Flush: true})
	if err != nil || !stats.Flushed || stats.Keys != 3 || c.Exists(ctx, "old").Val() != 0 {
		t.Fatalf("load --cluster --flush into a local one-node cluster: %v (%s)", err, stats)
	}
}

// clusterFlushRefusedNamed: a master's failure is named by the address
// the master is dialled at, at every step of a load (here FLUSHALL, which
// the user may not run), not as a node that never met another reports
// itself (":port").
func clusterFlushRefusedNamed(t *testing.T, node *redistest.Server) {
	ctx := context.Background()
	c := node.Client(t)
	if err := c.Do(ctx, "ACL", "SETUSER", "noflush", "on", ">pw", "~*", "+@all", "-flushall").Err(); err != nil {
		t.Fatal(err)
	}
	defer c.Do(ctx, "ACL", "DELUSER", "noflush")
	o := opts(t, node.Addr)
	o.Username, o.Password = "noflush", "pw"
	_, err := Load(ctx, o, rdb.NewReader(bytes.NewReader(stringsDump(t, 1))), LoadOptions{Cluster: true, Flush: true})
	if err == nil || !strings.Contains(err.Error(), "server "+node.Addr+": FLUSHALL") {
		t.Fatalf("load --cluster --flush by a user who may not FLUSHALL: %v", err)
	}
}

// A cluster node that serves no slot (a cluster not yet created with
// redis-cli --cluster create, or a node left out of it): the load is
// refused at once. It went on with no master known: a target "RDB version
// 0", every key "re-encoded for the older target" and refused one by one
// ("CLUSTERDOWN Hash slot not served"), to the end of the file.
func TestQAClusterNoSlots(t *testing.T) {
	node := redistest.Start(t, redistest.WithArgs("--cluster-enabled", "yes"))
	stats, err := Load(context.Background(), opts(t, node.Addr), rdb.NewReader(bytes.NewReader(stringsDump(t, 3))),
		LoadOptions{Cluster: true})
	if err == nil || !strings.Contains(err.Error(), "no master serves any slot") || stats.Failed != 0 || stats.Converted != 0 {
		t.Fatalf("load --cluster into a node serving no slot: %v (%s)", err, stats)
	}
}
