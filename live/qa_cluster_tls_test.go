package live

import (
	"bytes"
	"context"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// nodeCerts writes a CA (ca.pem) and, for each IP, a server certificate
// valid for that IP only (cert-IP.pem, key-IP.pem): one certificate per
// cluster node, as each host of a real cluster has its own.
func nodeCerts(t *testing.T, dir string, ips ...string) {
	t.Helper()
	from, until := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	ca := redistest.NewCA(t, filepath.Join(dir, "ca.pem"), "cluster CA", from, until)
	for _, ip := range ips {
		ca.Issue(t, redistest.Leaf{Name: ip, IPs: []string{ip}, From: from, Until: until,
			Usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
			filepath.Join(dir, "cert-"+ip+".pem"), filepath.Join(dir, "key-"+ip+".pem"))
	}
}

// A TLS cluster whose nodes are at different addresses, each with a
// certificate for its own address only: every node's certificate is
// checked against that node's address. The seed's host name was checked
// for every node (go-redis's cluster client and the snapshot's copies of
// the seed's options share one tls.Config), so nothing but the seed node
// could be reached: "certificate is valid for 127.0.0.2, not 127.0.0.1".
func TestQAClusterTLSNodeNames(t *testing.T) {
	t.Parallel() // mostly waiting for a fresh cluster to turn ok (2 s): overlap it with the other such test
	cli := redistest.Binary(t, "redis-cli")
	dir := t.TempDir()
	ips := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	nodeCerts(t, dir, ips...)
	ca := filepath.Join(dir, "ca.pem")
	var nodes []*redistest.Server
	var tlsAddrs []string
	create := []string{"--tls", "--cacert", ca, "--cluster", "create"}
	for _, ip := range ips {
		port, bus := redistest.FreePort(t), redistest.FreePort(t)
		bind := "127.0.0.1 " + ip // the readiness check uses 127.0.0.1
		if ip == "127.0.0.1" {
			bind = ip
		}
		s := redistest.Start(t, fastSync, redistest.WithArgs("--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
			"--bind", bind, "--cluster-announce-ip", ip, "--cluster-port", strconv.Itoa(bus),
			"--tls-port", strconv.Itoa(port), "--tls-cluster", "yes", "--tls-replication", "yes", "--tls-auth-clients", "no",
			"--tls-cert-file", filepath.Join(dir, "cert-"+ip+".pem"), "--tls-key-file", filepath.Join(dir, "key-"+ip+".pem"),
			"--tls-ca-cert-file", ca))
		nodes = append(nodes, s)
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		tlsAddrs = append(tlsAddrs, addr)
		create = append(create, addr)
	}
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil {
		// the nodes started, bound to their addresses: a failure here is
		// the cluster's (certificates, TLS cluster bus), not the machine's
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(create, " "), err, out)
	}
	for _, n := range nodes {
		n.WaitClusterOK(t)
	}

	ctx := context.Background()
	o, err := ParseURL("rediss://" + tlsAddrs[0])
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	o.TLSConfig.RootCAs = x509.NewCertPool()
	o.TLSConfig.RootCAs.AppendCertsFromPEM(pem)

	dump := stringsDump(t, 300)
	stats, err := Load(ctx, o, rdb.NewReader(bytes.NewReader(dump)), LoadOptions{Cluster: true, Flush: true})
	if err != nil || stats.Keys != 300 {
		t.Fatalf("load into a TLS cluster: %v (%s)", err, stats)
	}
	for _, m := range []Method{MethodScan, MethodSync} {
		var buf bytes.Buffer
		st, err := Snapshot(ctx, o, &buf, SnapshotOptions{Method: m, Cluster: true})
		if err != nil || st.Keys != 300 || len(st.Servers) != 3 {
			t.Fatalf("%s snapshot of a TLS cluster: %v (%s)", m, err, st)
		}
	}

	// a node presenting a certificate for another address is still refused
	bad := *o
	bad.TLSConfig = o.TLSConfig.Clone()
	bad.Addr = "127.0.0.1:" + strings.Split(tlsAddrs[1], ":")[1] // node 2's certificate is for 127.0.0.2
	bad.TLSConfig.ServerName = "127.0.0.1"
	_, err = Snapshot(ctx, &bad, &bytes.Buffer{}, SnapshotOptions{Cluster: true})
	if err == nil || !strings.Contains(err.Error(), "is for 127.0.0.2, not for 127.0.0.1") {
		t.Fatalf("a node reached at an address its certificate does not name: %v", err)
	}
}

// Redis 7.0 nodes with a TLS port but tls-cluster no announce their plain
// ports in CLUSTER SLOTS, even to a TLS client: rediss:// reaches the seed,
// then the TLS handshake with the announced port gets no answer. The error
// said "a plain port needs redis://", which the URL already was not: it
// now names the setting that makes the nodes announce their TLS ports.
func TestQAClusterTLSPlainPortsAnnounced(t *testing.T) {
	t.Parallel() // mostly waiting for the TLS handshakes at the plain port to time out
	files := redistest.WriteTLSFiles(t, t.TempDir())
	port, args := files.TLSPort(t, false)
	node := redistest.Start(t, redistest.WithArgs(append(args, "--cluster-enabled", "yes")...))
	ctx := context.Background()
	if err := node.Client(t).Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	// the handshakes at the plain port end at this timeout; the seed's
	// must not, on a busy machine
	o, err := ParseURL("rediss://127.0.0.1:" + port + "?dial_timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	o.TLSConfig.RootCAs = files.Pool()
	_, serr := Snapshot(ctx, o, &bytes.Buffer{}, SnapshotOptions{Cluster: true})
	_, lerr := Load(ctx, o, rdb.NewReader(bytes.NewReader(stringsDump(t, 1))), LoadOptions{Cluster: true})
	for what, err := range map[string]error{"snapshot": serr, "load": lerr} {
		if err == nil || !strings.Contains(err.Error(), "tls-cluster yes") || !strings.Contains(err.Error(), node.Addr) {
			t.Errorf("%s --cluster over rediss:// of nodes announcing plain ports: %v", what, err)
		}
	}

	// rediss:// naming the plain port itself: the URL is wrong, not the
	// cluster's announcements (no handshake can succeed: a short timeout)
	plain, err := ParseURL("rediss://" + node.Addr + "?dial_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	plain.TLSConfig.RootCAs = files.Pool()
	_, serr = Snapshot(ctx, plain, &bytes.Buffer{}, SnapshotOptions{Cluster: true})
	_, lerr = Load(ctx, plain, rdb.NewReader(bytes.NewReader(stringsDump(t, 1))), LoadOptions{Cluster: true})
	for what, err := range map[string]error{"snapshot": serr, "load": lerr} {
		if err == nil || !strings.Contains(err.Error(), "a plain port needs redis://") || strings.Contains(err.Error(), "tls-cluster") {
			t.Errorf("%s --cluster over rediss:// to a plain port: %v", what, err)
		}
	}
}
