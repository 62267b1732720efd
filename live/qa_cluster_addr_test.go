package live

import "testing"

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
