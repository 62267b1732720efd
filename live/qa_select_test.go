package live

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// multiDBDump is an RDB (version 10) with n string keys "d<db>:<i>" in each
// of the databases dbs.
func multiDBDump(t *testing.T, n int, dbs ...int) []byte {
	t.Helper()
	var keys []rdbtest.Key
	for _, db := range dbs {
		for i := 0; i < n; i++ {
			keys = append(keys, rdbtest.Key{DB: db, Name: fmt.Sprintf("d%d:%d", db, i), Value: &rdb.Value{Kind: "string", String: []byte("v")}})
		}
	}
	return rdbtest.Dump(t, 10, keys...)
}

// A target refusing SELECT (a database over its `databases` setting) must
// not get the keys streamed behind the SELECT in the database it was on:
// they were written into db 1 before the refusal was read.
func TestLoadSelectRefusedPutsNoKeyInAnotherDB(t *testing.T) {
	const n = 3000
	ctx := context.Background()
	dst := redistest.Start(t, redistest.WithArgs("--databases", "2"))
	data := multiDBDump(t, n, 0, 1, 2, 3)
	stats, err := Load(ctx, opts(t, dst.Addr), rdb.NewReader(bytes.NewReader(data)), LoadOptions{})
	if err == nil {
		t.Fatalf("load into a server with 2 databases of a file with 4: no error (%s)", stats)
	}
	if !strings.Contains(err.Error(), "SELECT 2") || !strings.Contains(err.Error(), "database 2") {
		t.Errorf("error does not name the database the target lacks: %v", err)
	}
	c := dst.Client(t)
	for db := 0; db < 2; db++ {
		if err := c.Do(ctx, "SELECT", db).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, fmt.Sprintf("d%d:", db)) {
				t.Fatalf("key %q of another database was loaded into db %d (%d keys there; %s)", k, db, len(keys), stats)
			}
		}
		if len(keys) != n {
			t.Errorf("db %d: %d keys, want %d", db, len(keys), n)
		}
	}
	if stats.Keys != 2*n || stats.Unconfirmed != 0 {
		t.Errorf("stats: %d keys loaded, %d unconfirmed; want %d and 0 (%s)", stats.Keys, stats.Unconfirmed, 2*n, stats)
	}
	if !stats.Stopped {
		t.Errorf("stats do not say the load stopped: %s", stats)
	}
}
