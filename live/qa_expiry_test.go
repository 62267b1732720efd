package live

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// The scan method writes each key's expiry exactly as the server holds it
// (the same as the server's own SAVE or a sync snapshot): not shifted by
// the time the PTTL reply took, and not lost or wrapped for expiries
// centuries away (a TTL in nanoseconds overflows beyond 292 years).
func TestScanExpiryExact(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t)
	c := src.Client(t)
	now := time.Now().UnixMilli()
	want := map[string]int64{
		"soon":    now + 3_600_123,
		"later":   now + 86_400_000*30 + 7,
		"y2603":   20_000_000_000_000,
		"y5138":   100_000_000_000_000,
		"no-ttl":  -1,
		"lst-ttl": now + 10_000_001,
	}
	for k, at := range want {
		if k == "lst-ttl" {
			c.RPush(ctx, k, "a", "b")
		} else {
			c.Set(ctx, k, "v", 0)
		}
		if at >= 0 {
			if err := c.PExpireAt(ctx, k, time.UnixMilli(at)).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 2000; i++ { // enough keys for several pipelines
		k := fmt.Sprintf("bulk:%d", i)
		c.Set(ctx, k, "x", 0)
		at := now + 1_000_000 + int64(i)*997
		c.PExpireAt(ctx, k, time.UnixMilli(at))
		want[k] = at
	}
	path, _ := snapshotFile(t, src.Addr, SnapshotOptions{Method: MethodScan})
	recs, err := rdbtest.ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, rec := range recs {
		e, ok := rec.(*rdb.Entry)
		if !ok {
			continue
		}
		seen++
		if w, ok := want[string(e.Key)]; !ok || e.ExpireMs != w {
			t.Errorf("key %q: expiry %d in the snapshot, the server has %d", e.Key, e.ExpireMs, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d keys in the snapshot, want %d", seen, len(want))
	}
}

// A server that claims 7.0 or later but refuses PEXPIRETIME (renamed away,
// or a Redis-compatible server without it) is snapshotted with PTTL.
func TestScanExpiryWithoutPEXPIRETIME(t *testing.T) {
	ctx := context.Background()
	src := redistest.Start(t, redistest.WithArgs("--rename-command", "PEXPIRETIME", ""))
	c := src.Client(t)
	at := time.Now().Add(time.Hour).UnixMilli()
	c.Set(ctx, "k", "v", 0)
	c.PExpireAt(ctx, "k", time.UnixMilli(at))
	c.Set(ctx, "p", "v", 0)
	path, _ := snapshotFile(t, src.Addr, SnapshotOptions{Method: MethodScan})
	recs, err := rdbtest.ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, rec := range recs {
		if e, ok := rec.(*rdb.Entry); ok {
			got[string(e.Key)] = e.ExpireMs
		}
	}
	if got["p"] != -1 || got["k"] < at-1000 || got["k"] > at+1000 || len(got) != 2 {
		t.Errorf("expiries %v, want k near %d and p none", got, at)
	}
}
