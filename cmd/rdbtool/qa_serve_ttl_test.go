package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/redis/go-redis/v9"
)

// serveURL starts `rdbtool serve args...` and returns the URL it prints
// once the dump is loaded, and the child.
func serveURL(t *testing.T, args ...string) (string, *child) {
	t.Helper()
	c := startChild(t, append([]string{"serve"}, args...)...)
	for deadline := time.Now().Add(20 * time.Second); ; {
		if out := c.stdout.String(); strings.HasSuffix(out, "\n") {
			return strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]), c
		}
		select {
		case err := <-c.done:
			t.Fatalf("serve %v exited: %v\n%s", args, err, c.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve %v printed no URL in 20 s\n%s", args, c.stderr.String())
		}
	}
}

// serveClient is a go-redis client (its default protocol, RESP3) on url.
func serveClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestServeExpiresKeys: TTLs count down and keys expire as the time passes,
// as on a Redis server. miniredis moves its TTLs only when told to
// (FastForward, which a Go test calls), and serve never told it: a key set
// with EX 1, or loaded with a second left, was still there with TTL 1 ten
// minutes later, so a client testing expiry against serve could not pass.
func TestServeExpiresKeys(t *testing.T) {
	m := miniredis.NewMiniRedis()
	m.Set("dump:short", "x")
	m.SetTTL("dump:short", 800*time.Millisecond)
	m.Set("dump:long", "y")
	m.SetTTL("dump:long", time.Hour)
	m.Set("dump:none", "z")
	path := filepath.Join(t.TempDir(), "ttl.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixture.Save(m, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	for _, policy := range []string{"relative", "wallclock", "persist"} {
		t.Run(policy, func(t *testing.T) {
			url, _ := serveURL(t, path, "--addr", "127.0.0.1:0", "--expiry", policy)
			ctx := context.Background()
			rc := serveClient(t, url)
			if err := rc.Set(ctx, "client:short", "v", 500*time.Millisecond).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rc.Set(ctx, "client:long", "v", time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			long0, err := rc.PTTL(ctx, "client:long").Result()
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)

			if n, err := rc.Exists(ctx, "client:short").Result(); err != nil || n != 0 {
				t.Errorf("SET PX 500, 1.5 s later: EXISTS %d, %v; want 0 (expired)", n, err)
			}
			long1, err := rc.PTTL(ctx, "client:long").Result()
			if err != nil {
				t.Fatal(err)
			}
			if d := long0 - long1; d < time.Second || d > 3*time.Second {
				t.Errorf("SET EX 3600: PTTL %v, then %v 1.5 s later: not counting down", long0, long1)
			}
			// The dump's keys: dropped or kept with a TTL by the policy,
			// then counting down like the others.
			short, err := rc.Exists(ctx, "dump:short").Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int64{"relative": 0, "wallclock": 0, "persist": 1}[policy]; short != want {
				t.Errorf("dump:short (0.8 s left in the dump), 1.5 s after the load: EXISTS %d, want %d", short, want)
			}
			ttl, err := rc.PTTL(ctx, "dump:long").Result()
			if err != nil {
				t.Fatal(err)
			}
			if policy == "persist" {
				if ttl != -1 {
					t.Errorf("dump:long with --expiry persist: PTTL %v, want -1", ttl)
				}
			} else if ttl <= 0 || ttl > time.Hour-time.Second {
				t.Errorf("dump:long (1 h left in the dump), 1.5 s after the load: PTTL %v, want < 59m59s", ttl)
			}
			if ttl, err := rc.TTL(ctx, "dump:none").Result(); err != nil || ttl != -1 {
				t.Errorf("dump:none: TTL %v, %v; want -1", ttl, err)
			}
		})
	}
}

// TestServeHasTTLs: the check that spares serve a pass over every key
// while nothing has a TTL reads miniredis's tables right (a miniredis
// whose layout changed would make it answer true: slower, still right).
func TestServeHasTTLs(t *testing.T) {
	m := miniredis.NewMiniRedis()
	if hasTTLs(m) {
		t.Error("empty miniredis: hasTTLs true")
	}
	m.Set("a", "1")
	m.DB(3).Set("b", "2")
	if hasTTLs(m) {
		t.Error("keys without TTLs: hasTTLs true")
	}
	m.DB(3).SetTTL("b", time.Minute)
	if !hasTTLs(m) {
		t.Error("a key with a TTL in db 3: hasTTLs false")
	}
	m.FastForward(2 * time.Minute)
	if m.DB(3).Exists("b") || hasTTLs(m) {
		t.Error("after the key expired: still there, or hasTTLs true")
	}
}
