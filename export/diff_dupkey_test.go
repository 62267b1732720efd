package export

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestDiffDuplicateKey: a dump holding a key twice in one database (one
// Redis refuses to load) is compared by the key's last copy, as the
// map-based diff did for A, and a key shows at most once in the result:
// the merge-join listed A's first copy as removed beside the change of its
// second, and B's second copy as added beside the first one's comparison.
func TestDiffDuplicateKey(t *testing.T) {
	str := func(db int, key, val string) rdbtest.Key {
		return rdbtest.Key{DB: db, Name: key, Value: &rdb.Value{Kind: "string", String: []byte(val)}}
	}
	cases := []struct {
		name string
		a, b []rdbtest.Key
		want string // added, removed, changed, unchanged
	}{
		{"in A", []rdbtest.Key{str(0, "k", "1"), str(0, "k", "2")}, []rdbtest.Key{str(0, "k", "2")}, "0 0 0 1"},
		{"in B", []rdbtest.Key{str(0, "k", "1")}, []rdbtest.Key{str(0, "k", "1"), str(0, "k", "2")}, "0 0 1 0"},
		{"in both", []rdbtest.Key{str(0, "k", "1"), str(0, "k", "2")}, []rdbtest.Key{str(0, "k", "2"), str(0, "k", "1")}, "0 0 1 0"},
		{"in A only", []rdbtest.Key{str(0, "k", "1"), str(0, "k", "2")}, nil, "0 1 0 0"},
		{"other dbs", []rdbtest.Key{str(0, "k", "1"), str(1, "k", "1"), str(1, "k", "1")}, []rdbtest.Key{str(1, "k", "1"), str(2, "k", "1")}, "1 1 0 1"},
	}
	for _, c := range cases {
		a, b := rdbtest.Dump(t, 10, c.a...), rdbtest.Dump(t, 10, c.b...)
		for _, budget := range []int{1 << 20, 1} { // in memory, and one run a record
			withBudget(budget, func() {
				d, err := Diff(bytes.NewReader(a), bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				got := fmt.Sprintf("%d %d %d %d", len(d.Added), len(d.Removed), len(d.Changed), d.Unchanged)
				if got != c.want {
					var text bytes.Buffer
					d.WriteText(&text)
					t.Errorf("%s, budget %d: %s, want %s (added, removed, changed, unchanged):\n%s", c.name, budget, got, c.want, text.String())
				}
				if len(d.Changed) == 1 && d.Changed[0].Detail != `"1" -> "2"` && c.name == "in B" {
					t.Errorf("%s: detail %q, want B's last copy compared", c.name, d.Changed[0].Detail)
				}
			})
		}
	}
}
