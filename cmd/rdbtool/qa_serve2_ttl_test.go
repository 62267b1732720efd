package main

import (
	"context"
	"testing"
	"time"
)

// TestServeTTLRounded: TTL is the remaining time rounded to the nearest
// second, as redis-server gives it, so `SET k v EX 10` then TTL k says 10
// for the first half second. serve's clock moves miniredis's TTLs every
// 100 ms and miniredis truncates: TTL said 9 a tenth of a second after,
// and a script checking the TTL it had just set failed.
func TestServeTTLRounded(t *testing.T) {
	ctx := context.Background()
	url, _ := serveURL(t, testDump, "--addr", "127.0.0.1:0")
	rc := serveClient(t, url)
	if err := rc.Set(ctx, "serve2:ttl", "v", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the clock has moved (serveTick)
	ttl, err := rc.Do(ctx, "TTL", "serve2:ttl").Int64()
	if err != nil {
		t.Fatal(err)
	}
	pttl := rc.PTTL(ctx, "serve2:ttl").Val() // a tick later at most
	if pttl >= 10*time.Second || pttl < 9*time.Second {
		t.Fatalf("PTTL %v 0.3 s after EX 10: the clock does not move?", pttl)
	}
	round := func(d time.Duration) int64 { return (d.Milliseconds() + 500) / 1000 }
	if ttl != round(pttl) && ttl != round(pttl+serveTick) {
		t.Fatalf("TTL %d, then PTTL %v: want %d (rounded, as redis-server)", ttl, pttl, round(pttl))
	}
	for key, want := range map[string]int64{"serve2:none": -2, "cminfo": -1} {
		if got, err := rc.Do(ctx, "TTL", key).Int64(); err != nil || got != want {
			t.Errorf("TTL %s: %d, %v, want %d", key, got, err, want)
		}
	}
	if err := rc.Do(ctx, "TTL").Err(); err == nil {
		t.Error("TTL with no key: no error")
	}
}
