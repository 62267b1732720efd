package export

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

func textOf(t *testing.T, keys ...rdbtest.Key) string {
	t.Helper()
	var out bytes.Buffer
	if err := TextConv(bytes.NewReader(rdbtest.Dump(t, 10, keys...)), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestTextConvBinarySummarised: a binary string over 64 bytes shows its
// size and a SHA-256 prefix, as the README says, also when its bytes are
// mostly not UTF-8 rather than control bytes (random data, float arrays).
func TestTextConvBinarySummarised(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 200)
	rng.Read(random)
	floats := make([]byte, 0, 256)
	for i := 0; i < 64; i++ { // little-endian float32s between 100 and 1000
		floats = append(floats, byte(rng.Intn(256)), byte(rng.Intn(256)), 0x40|byte(rng.Intn(64)), 0x43+byte(rng.Intn(2)))
	}
	text := textOf(t,
		rdbtest.Key{Name: "random", Value: &rdb.Value{Kind: "string", String: random}},
		rdbtest.Key{Name: "floats", Value: &rdb.Value{Kind: "string", String: floats}},
		rdbtest.Key{Name: "utf8", Value: &rdb.Value{Kind: "string", String: []byte(strings.Repeat("é–ü", 30))}},
		rdbtest.Key{Name: "text", Value: &rdb.Value{Kind: "string", String: []byte(strings.Repeat("text ", 20) + "\x01\xff")}})
	for _, want := range []string{`"` + strings.Repeat("text ", 20) + `\x01\xff"`, "db0 \"random\" string\n  <200 bytes, sha256 ", "db0 \"floats\" string\n  <256 bytes, sha256 ", "\"" + strings.Repeat("é–ü", 30) + "\""} {
		if !strings.Contains(text, want) {
			t.Errorf("textconv lacks %q:\n%s", want, text)
		}
	}
}

// TestTextConvOneKeyOneHunk: adding a key changes no line but its own, and
// adding a hash field, a set member or a list element changes no line of
// the key but that element's, so git diff shows one hunk per change.
func TestTextConvOneKeyOneHunk(t *testing.T) {
	fields := func(n int) []rdb.HashField {
		var fs []rdb.HashField
		for i := 0; i < n; i++ {
			fs = append(fs, rdb.HashField{Field: []byte{'f', byte('a' + i)}, Value: []byte("v"), ExpireMs: -1})
		}
		return fs
	}
	a := textOf(t, rdbtest.Key{Name: "h", Value: &rdb.Value{Kind: "hash", Hash: fields(3)}},
		rdbtest.Key{Name: "l", Value: &rdb.Value{Kind: "list", List: [][]byte{[]byte("x")}}})
	b := textOf(t, rdbtest.Key{Name: "h", Value: &rdb.Value{Kind: "hash", Hash: fields(4)}},
		rdbtest.Key{Name: "l", Value: &rdb.Value{Kind: "list", List: [][]byte{[]byte("x"), []byte("y")}}},
		rdbtest.Key{Name: "new", Value: &rdb.Value{Kind: "string", String: []byte("n")}})
	old := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		old[l] = true
	}
	var added []string
	for _, l := range strings.Split(b, "\n") {
		if !old[l] {
			added = append(added, l)
		}
	}
	want := []string{`  "fd" = "v"`, `  "y"`, `db0 "new" string`, `  "n"`}
	if strings.Join(added, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines not in the old text: %q, want %q\nold:\n%s\nnew:\n%s", added, want, a, b)
	}
}
