package inspect

import (
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestPrefixesNone: a negative Prefixes lists none (rdbtool inspect
// --prefixes 0), while 0 keeps the default of 20.
func TestPrefixesNone(t *testing.T) {
	for _, c := range []struct{ opt, want int }{{-1, 0}, {0, 20}, {3, 3}} {
		col := New(Options{Prefixes: c.opt})
		for i := 0; i < 30; i++ {
			col.Add(&rdb.Entry{Key: []byte("p" + itoa(i) + ":x"), ExpireMs: -1, ValueLen: 1})
		}
		st := col.Finish(rdb.ChecksumInfo{}, 0)
		if len(st.Prefixes) != c.want || st.Prefixes == nil {
			t.Errorf("Prefixes %d: %d listed, want %d", c.opt, len(st.Prefixes), c.want)
		}
	}
}
