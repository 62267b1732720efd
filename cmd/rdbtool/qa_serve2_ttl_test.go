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
	// The clock may move again between PTTL, TTL and PTTL (by more than a
	// tick on a loaded machine): TTL is the rounding of a time between.
	before := rc.PTTL(ctx, "serve2:ttl").Val()
	for deadline := time.Now().Add(5 * time.Second); before >= 10*time.Second && time.Now().Before(deadline); {
		time.Sleep(serveTick)
		before = rc.PTTL(ctx, "serve2:ttl").Val()
	}
	if before >= 10*time.Second || before < 5*time.Second {
		t.Fatalf("PTTL %v after EX 10: the clock does not move?", before)
	}
	ttl, err := rc.Do(ctx, "TTL", "serve2:ttl").Int64()
	if err != nil {
		t.Fatal(err)
	}
	after := rc.PTTL(ctx, "serve2:ttl").Val()
	round := func(d time.Duration) int64 { return (d.Milliseconds() + 500) / 1000 }
	if ttl > round(before) || ttl < round(after) {
		t.Fatalf("PTTL %v, TTL %d, PTTL %v: want from %d to %d (rounded, as redis-server)", before, ttl, after, round(after), round(before))
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
