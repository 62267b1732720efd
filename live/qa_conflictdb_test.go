package live

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// A conflict or a refused key outside db 0 is listed with its database: a
// dump of several databases may hold the same name in each.
func TestLoadListsConflictDatabase(t *testing.T) {
	ctx := context.Background()
	dst := redistest.Start(t)
	c := dst.Client(t)
	if err := c.Do(ctx, "SELECT", 3).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "d3:1", "there", 0)
	c.Do(ctx, "SELECT", 0)
	c.Set(ctx, "d0:2", "there", 0)
	data := multiDBDump(t, 3, 0, 3)
	stats, err := Load(ctx, opts(t, dst.Addr), rdb.NewReader(bytes.NewReader(data)), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := stats.String()
	if stats.Conflicts != 2 || !strings.Contains(out, "\"d3:1\" (db 3)") || !strings.Contains(out, "\"d0:2\"\n") && !strings.HasSuffix(out, "\"d0:2\"") {
		t.Errorf("conflicts not listed with their database:\n%s", out)
	}
}
