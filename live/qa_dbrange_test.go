package live

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// Asking for a database the server does not have (--db 20, or /99 in the
// URL, on a server of 16) is an error naming it, not an empty snapshot
// that exits 0; an existing empty database is still fine.
func TestSnapshotDBOutOfRange(t *testing.T) {
	src := redistest.Start(t, fastSync)
	src.Client(t).Set(context.Background(), "k", "v", 0)
	for _, m := range []Method{MethodScan, MethodSync} {
		stats, err := Snapshot(context.Background(), opts(t, src.Addr), &bytes.Buffer{}, SnapshotOptions{Method: m, DBs: []int{0, 20}})
		if err == nil || !strings.Contains(err.Error(), "20") || !strings.Contains(err.Error(), src.Addr) {
			t.Errorf("%s of db 20 on a server with 16 databases: %v (%s)", m, err, stats)
		}
		if _, err := Snapshot(context.Background(), opts(t, src.Addr), &bytes.Buffer{}, SnapshotOptions{Method: m, DBs: []int{15}}); err != nil {
			t.Errorf("%s of the empty db 15: %v", m, err)
		}
	}
}
