package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/internal/redistest"
)

// manualRoute does what the site's script did: the file is loaded (keys
// already expired are dropped), fpg:* keys are deleted, every key is
// PERSISTed. It returns DEBUG DIGEST and the key count.
func manualRoute(t *testing.T, path string) (string, int) {
	t.Helper()
	c, done, err := shared.load(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ctx := context.Background()
	conn := c.Conn()
	defer conn.Close()
	total := 0
	for db := 0; db < 16; db++ {
		if err := conn.Select(ctx, db).Err(); err != nil {
			t.Fatal(err)
		}
		var cursor uint64
		for {
			keys, next, err := conn.Scan(ctx, cursor, "", 1000).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if filter.MatchString("fpg:*", k) {
					conn.Del(ctx, k)
				} else {
					conn.Persist(ctx, k)
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		n, _ := conn.DBSize(ctx).Result()
		total += int(n)
	}
	d, err := conn.Do(ctx, "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d, total
}

func TestRefreshMatchesManualRoute(t *testing.T) {
	lostTotal, prunedTotal := 0, 0
	defer func() {
		// The corpus must exercise both: expired keys and fpg:* keys.
		if lostTotal == 0 || prunedTotal == 0 {
			t.Errorf("corpus has %d already-expired keys and %d fpg:* keys; want some of each", lostTotal, prunedTotal)
		}
	}()
	for _, f := range loadable(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.rdb")
			r := mustRun(t, 0, nil, "refresh", f, "-o", out, "--prune", "fpg:*", "--drop-expired")
			start := time.Now().UnixMilli()

			want, wantKeys := manualRoute(t, f)
			c, done, err := shared.load(t, out)
			if err != nil {
				t.Fatalf("refresh output does not load: %v\n%s", err, r.stderr)
			}
			got, _ := c.Do(context.Background(), "DEBUG", "DIGEST").Text()
			ks := keyspace(t, c)
			done()
			if got != want {
				t.Errorf("DEBUG DIGEST %s, manual route %s", got, want)
			}
			n := 0
			for db, s := range ks {
				n += s[0]
				if s[1] != 0 {
					t.Errorf("db%d: %d keys with an expiry after refresh", db, s[1])
				}
			}
			if n != wantKeys {
				t.Errorf("%d keys, manual route %d", n, wantKeys)
			}
			if err := redistest.CheckRDB(t, out); err != nil {
				t.Error(err)
			}

			// Without --drop-expired the keys the manual route silently loses
			// (already expired: the server drops them on load) are still there.
			var lost [][2]any
			for _, e := range readEntries(t, f) {
				if e.HasExpiry() && e.ExpireMs < start && !filter.MatchString("fpg:*", string(e.Key)) {
					lost = append(lost, [2]any{e.DB, string(e.Key)})
				}
			}
			lostTotal += len(lost)
			for _, e := range readEntries(t, f) {
				if filter.MatchString("fpg:*", string(e.Key)) {
					prunedTotal++
				}
			}
			keep := filepath.Join(dir, "keep.rdb")
			r = mustRun(t, 0, nil, "refresh", f, "-o", keep, "--prune", "fpg:*")
			c, done, err = shared.load(t, keep)
			if err != nil {
				t.Fatal(err)
			}
			defer done()
			ctx := context.Background()
			conn := c.Conn()
			defer conn.Close()
			for _, k := range lost {
				conn.Select(ctx, k[0].(int))
				if n, _ := conn.Exists(ctx, k[1].(string)).Result(); n != 1 {
					t.Errorf("expired key db%d %q lost without --drop-expired", k[0], k[1])
				}
				if ttl, _ := conn.PTTL(ctx, k[1].(string)).Result(); ttl != -1*time.Nanosecond && ttl != -1*time.Millisecond {
					t.Errorf("key %q still has a TTL: %v", k[1], ttl)
				}
			}
			total := 0
			for _, s := range keyspace(t, c) {
				total += s[0]
			}
			if total != wantKeys+len(lost) {
				t.Errorf("without --drop-expired: %d keys, want %d + %d expired", total, wantKeys, len(lost))
			}
		})
	}
}
