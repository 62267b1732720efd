package live

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/nettest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// tlsPortServer starts a redis-server with a TLS port and returns that
// port's address.
func tlsPortServer(t *testing.T) string {
	t.Helper()
	port, args := redistest.WriteTLSFiles(t, t.TempDir()).TLSPort(t, false)
	redistest.Start(t, redistest.WithArgs(args...))
	return "127.0.0.1:" + port
}

// Speaking plain RESP to a TLS port, or TLS to a plain one, is a likely
// mistake: the error says so, instead of "connection reset by peer" or,
// after 25 s of dial retries, "context deadline exceeded".
func TestTLSMismatchSaysSo(t *testing.T) {
	ctx := context.Background()
	plain := redistest.Start(t, fastSync)
	tlsAddr := tlsPortServer(t)
	run := func(url string) []error {
		o, err := ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for _, m := range []Method{MethodScan, MethodSync} {
			_, err := Snapshot(ctx, o, &bytes.Buffer{}, SnapshotOptions{Method: m})
			errs = append(errs, err)
		}
		_, err = Snapshot(ctx, o, &bytes.Buffer{}, SnapshotOptions{Cluster: true})
		errs = append(errs, err)
		_, err = Load(ctx, o, rdb.NewReader(strings.NewReader("")), LoadOptions{})
		return append(errs, err)
	}
	for _, err := range run("redis://" + tlsAddr) {
		if err == nil || !strings.Contains(err.Error(), "rediss://") {
			t.Errorf("plain client on a TLS port: %v", err)
		}
	}
	for _, err := range run("rediss://" + plain.Addr + "?dial_timeout=150ms") {
		if err == nil || !strings.Contains(err.Error(), "no TLS handshake") || !strings.Contains(err.Error(), "redis://") {
			t.Errorf("TLS client on a plain port: %v", err)
		}
	}
}

// A server that accepts connections but never answers (a TLS client on a
// plain port, a firewall) is dialled once per connection, not five times.
func TestDialNotRetried(t *testing.T) {
	addr, accepted := nettest.Silent(t)
	o, err := ParseURL("rediss://" + addr + "?dial_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Snapshot(context.Background(), o, &bytes.Buffer{}, SnapshotOptions{})
	if err == nil {
		t.Fatal("snapshot of a server that never answers: no error")
	}
	if n := accepted.Load(); n > 1 {
		t.Errorf("%d connections for one INFO that timed out: the dial was retried (%v)", n, err)
	}
}
