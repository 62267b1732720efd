package inspect

import (
	"reflect"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestTiesIndependentOfFileOrder: keys of equal size are ranked by db then
// key in both "largest" and "top", whatever order the file holds them in,
// so two saves of the same data (Redis writes keys in hash-table order)
// report the same keys.
func TestTiesIndependentOfFileOrder(t *testing.T) {
	names := []string{"c", "a", "d", "b", "e"}
	collect := func(order []string) *Stats {
		c := New(Options{Top: 2})
		for _, n := range order {
			c.Add(&rdb.Entry{Key: []byte(n), Type: rdb.TypeString, ExpireMs: -1, ValueLen: 100})
		}
		c.Add(&rdb.Entry{Key: []byte("small"), Type: rdb.TypeString, ExpireMs: -1, ValueLen: 1})
		return c.Finish(rdb.ChecksumInfo{}, 0)
	}
	reversed := make([]string, len(names))
	for i, n := range names {
		reversed[len(names)-1-i] = n
	}
	a, b := collect(names), collect(reversed)
	if string(a.Largest.Key) != "a" || string(b.Largest.Key) != "a" {
		t.Errorf("largest: %q and %q, want \"a\" for both (ties by db, then key)", a.Largest.Key, b.Largest.Key)
	}
	if !reflect.DeepEqual(a.Top, b.Top) || string(a.Top[0].Key) != "a" || string(a.Top[1].Key) != "b" {
		t.Errorf("top depends on file order: %+v vs %+v, want a, b", a.Top, b.Top)
	}
	if !reflect.DeepEqual(*a.Largest, a.Top[0]) {
		t.Errorf("largest %+v is not top[0] %+v", *a.Largest, a.Top[0])
	}
}
