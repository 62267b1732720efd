package live

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestKeyDedup fills several generations: keys repeated within the window
// are caught at once, a key repeated from further back is caught by the
// merge of the runs at the end, and the spill file goes away.
func TestKeyDedup(t *testing.T) {
	d := newKeyDedup()
	d.budget = 20000
	defer d.release()
	const n = 100000
	add := func(db, i int) bool {
		t.Helper()
		first, err := d.add(db, "k:"+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	for i := range n {
		if !add(i%3, i) {
			t.Fatalf("key %d (db %d) reported as seen on first add", i, i%3)
		}
	}
	// the last budget keys are in the window whatever the rotation
	for i := n - int(d.budget); i < n; i++ {
		if add(i%3, i) {
			t.Fatalf("key %d (db %d), %d keys back, not remembered", i, i%3, n-i)
		}
	}
	// the same names in another database are other keys
	for i := n - 1000; i < n; i++ {
		if !add(i%3+1, i) {
			t.Fatalf("key %d in db %d taken for the one in db %d", i, i%3+1, i%3)
		}
	}
	if len(d.runs) == 0 || d.spill == nil {
		t.Fatalf("no run written after %d keys with a budget of %d", n, d.budget)
	}
	for _, s := range []*fpSet{d.prev, d.cur} {
		for i := range s.segs {
			if g := &s.segs[i]; g.n*100 > len(g.slots)/3*86 {
				t.Fatalf("segment %d is %d/%d full", i, g.n, len(g.slots)/3)
			}
		}
	}
	// a key from the first generation, long out of the window
	if !add(0, 0) {
		t.Fatal("key 0 caught in the window: the test does not test the runs")
	}
	spill := d.spill.Name()
	err := d.finish()
	if err == nil || !strings.Contains(err.Error(), "SCAN returned 1 keys a second time") {
		t.Fatalf("finish: %v", err)
	}
	d.release()
	if _, err := os.Stat(spill); !os.IsNotExist(err) {
		t.Fatalf("spill file %s left: %v", spill, err)
	}
}

// TestKeyDedupClean: without a far repeat, finish passes, and a keyspace
// within the budget writes no file.
func TestKeyDedupClean(t *testing.T) {
	for _, budget := range []int64{1000, 1 << 20} {
		d := newKeyDedup()
		d.budget = budget
		for i := range 30000 {
			if first, err := d.add(0, "k:"+strconv.Itoa(i)); !first || err != nil {
				t.Fatalf("budget %d: key %d: %v %v", budget, i, first, err)
			}
		}
		if (d.spill != nil) != (budget < 30000) {
			t.Fatalf("budget %d: spill file %v", budget, d.spill)
		}
		if err := d.finish(); err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		d.release()
	}
}

func BenchmarkKeyDedupAdd(b *testing.B) {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	d := newKeyDedup()
	defer d.release()
	b.ResetTimer()
	for i := range b.N {
		d.add(i>>20, keys[i%len(keys)])
	}
}
