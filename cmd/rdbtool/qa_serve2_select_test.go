package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture"
)

// TestServeSelectRange: SELECT takes the databases redis-server has (16 by
// default), or as many as the dump uses if it was taken from a server
// with more; beyond, "ERR DB index is out of range" as on redis-server.
// miniredis took any index: a client configured for database 16 by
// mistake worked against serve and failed against Redis.
func TestServeSelectRange(t *testing.T) {
	m := miniredis.NewMiniRedis()
	m.DB(20).Set("serve2:db20", "v")
	var buf bytes.Buffer
	if err := fixture.Save(m, &buf); err != nil {
		t.Fatal(err)
	}
	db20 := filepath.Join(t.TempDir(), "db20.rdb")
	if err := os.WriteFile(db20, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dump     string
		ok, fail int
	}{{testDump, 15, 16}, {db20, 20, 21}} {
		url, _ := serveURL(t, tc.dump, "--addr", "127.0.0.1:0")
		addr := serveAddr(url)
		if got := rawExchange(t, addr, "SELECT "+strconv.Itoa(tc.ok)+"\r\n", "+OK\r\n", 150*time.Millisecond); got != "+OK\r\n" {
			t.Errorf("%s: SELECT %d: %q", tc.dump, tc.ok, got)
		}
		const outOfRange = "-ERR DB index is out of range\r\n"
		if got := rawExchange(t, addr, "SELECT "+strconv.Itoa(tc.fail)+"\r\n", outOfRange, 150*time.Millisecond); got != outOfRange {
			t.Errorf("%s: SELECT %d: %q, want redis-server's out of range error", tc.dump, tc.fail, got)
		}
	}
	url, _ := serveURL(t, db20, "--addr", "127.0.0.1:0")
	const want = "+OK\r\n$1\r\nv\r\n"
	if got := rawExchange(t, serveAddr(url), "SELECT 20\r\nGET serve2:db20\r\n", want, 150*time.Millisecond); got != want {
		t.Fatalf("GET in db 20: %q", got)
	}
}
