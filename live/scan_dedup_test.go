package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// TestScanShrinkingKeyspace deletes most keys while a scan runs and waits
// until the server has shrunk its table under the SCAN cursor (the case
// where SCAN returns keys again: those of the cursor's bucket group, a few
// at most), with a dedup window of only 2000 keys, so that the fingerprints
// go through several spilled runs: nothing is repeated from further back
// than the window (the end-of-scan merge of the runs would refuse the
// snapshot), and the file loads with the keys the summary counts.
func TestScanShrinkingKeyspace(t *testing.T) {
	defer func(b int64) { dedupBudget = b }(dedupBudget)
	dedupBudget = 2000
	src := redistest.Start(t, redistest.WithArgs("--hz", "100"))
	c := src.Client(t)
	ctx := context.Background()
	const n = 200000
	if err := c.Do(ctx, "DEBUG", "POPULATE", n, "key", 10).Err(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.rdb")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deleting, shrunk := false, false
	var delErr error
	stats, err := Snapshot(ctx, opts(t, src.Addr), f, SnapshotOptions{Method: MethodScan, Batch: 100,
		Progress: func(s SnapshotStats) {
			if s.Keys < 5000 || deleting {
				return
			}
			deleting = true
			// 95% of the keys: the server shrinks its table to a 16th
			// within a few cron runs, before the scan goes on
			for i := 0; i < n && delErr == nil; i += 1000 {
				p := c.Pipeline()
				for j := i; j < i+1000; j++ {
					if j%20 != 0 {
						p.Unlink(ctx, fmt.Sprintf("key:%d", j))
					}
				}
				_, delErr = p.Exec(ctx)
			}
			deadline := time.Now().Add(3 * time.Second)
			for shrunk = tableSize(t, c) < 262144; !shrunk && time.Now().Before(deadline); shrunk = tableSize(t, c) < 262144 {
				time.Sleep(10 * time.Millisecond)
			}
		}})
	if err != nil {
		t.Fatalf("%v (%s)", err, stats)
	}
	if !deleting {
		t.Fatalf("the scan ended before the deletions began (%s)", stats)
	}
	if delErr != nil {
		t.Fatal(delErr)
	}
	if !shrunk {
		t.Fatalf("the server did not shrink its table: %s", c.Do(ctx, "DEBUG", "HTSTATS", 0))
	}
	t.Logf("%s; %d runs spilled", stats, stats.Keys/dedupBudget)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if stats.Keys+stats.Vanished+stats.Repeated < n/20 {
		t.Fatalf("too few keys seen: %s", stats)
	}
	dst := redistest.Start(t, redistest.WithRDB(out))
	if got, err := dst.Client(t).DBSize(ctx).Result(); err != nil || got != stats.Keys {
		t.Fatalf("the snapshot loads %d keys (%v), the summary says %d", got, err, stats.Keys)
	}
}

// tableSize is the size of the main hash table of db 0 (DEBUG HTSTATS).
func tableSize(t *testing.T, c *redis.Client) int {
	out, err := c.Do(context.Background(), "DEBUG", "HTSTATS", 0).Text()
	if err != nil {
		t.Error(err)
		return 0
	}
	m := regexp.MustCompile(`table size: (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no table size in %q", out)
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
