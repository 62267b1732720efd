package export

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestDiffTextNamesEveryKey: diff's text names each key in full, quoted as
// rdbtool keys quotes it (reversible with strconv.Unquote), also a long or
// binary key, which quoteBytes summarized as "<N bytes, sha256 ...>".
func TestDiffTextNamesEveryKey(t *testing.T) {
	names := []string{strings.Repeat("k", 1500), string(bytes.Repeat([]byte{0, 1, 0xff}, 30)), "ütf 'q", "plain:key"}
	var keys []rdbtest.Key
	for _, n := range names {
		keys = append(keys, rdbtest.Key{Name: n, Value: &rdb.Value{Kind: "string", String: []byte("v")}})
	}
	res, err := Diff(bytes.NewReader(rdbtest.Dump(t, 10)), bytes.NewReader(rdbtest.Dump(t, 10, keys...)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	res.WriteText(&b)
	got := map[string]bool{}
	for _, l := range strings.Split(b.String(), "\n") {
		k, ok := strings.CutPrefix(l, "+ db0 ")
		if !ok {
			continue
		}
		k = strings.TrimSuffix(k, " (string)")
		if strings.HasPrefix(k, `"`) {
			u, err := strconv.Unquote(k)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			k = u
		}
		got[k] = true
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("key %q not named in:\n%.500s", n, b.String())
		}
	}
}
