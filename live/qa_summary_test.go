package live

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// A cluster snapshot whose seed cannot list the masters still names the
// seed in its summary ("written from 127.0.0.1:7000", not "written from ").
func TestClusterSnapshotSummaryNamesSeed(t *testing.T) {
	src := redistest.Start(t) // not a cluster: CLUSTER SLOTS is refused
	stats, err := Snapshot(context.Background(), opts(t, src.Addr), &bytes.Buffer{}, SnapshotOptions{Cluster: true})
	if err == nil {
		t.Fatal("cluster snapshot of a server without cluster support: no error")
	}
	if !strings.Contains(stats.String(), "from "+src.Addr) {
		t.Errorf("summary %q does not name the server %s", stats, src.Addr)
	}
}
