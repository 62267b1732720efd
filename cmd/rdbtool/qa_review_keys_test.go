package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// reviewKeyNames are key names that stress globs and quoting: glob
// specials, the empty key, control bytes, bytes that are not UTF-8, UTF-8,
// quotes and spaces.
var reviewKeyNames = []string{
	"", "a", "b", "ab", "ba", "aa", "a-", "-", "^", "[", "]", "*", "?", `\`, `a\`, `a*`, `a\*`,
	"[a]", "a]", "z", "\xff", "\xffa", "\x00", "é", "a b", "x\ny", "t\tab", "'", `"`, `"q"`, "fpg:snap_1", "fpg:", "fpg",
}

// reviewKeysDump writes reviewKeyNames as string keys (value: the index).
func reviewKeysDump(t *testing.T) string {
	t.Helper()
	keys := make([]rdbtest.Key, len(reviewKeyNames))
	for i, n := range reviewKeyNames {
		keys[i] = rdbtest.Key{Name: n, Value: &rdb.Value{Kind: "string", String: []byte(strconv.Itoa(i))}}
	}
	p := filepath.Join(t.TempDir(), "keys.rdb")
	if err := os.WriteFile(p, rdbtest.Dump(t, 10, keys...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestQAReviewKeysMatchLikeRedis: rdbtool keys --match selects exactly
// the keys redis-server's SCAN MATCH returns for the same dump, for the
// tricky patterns (negated sets, escapes, a '-' at a set's end, the empty
// pattern, a ']' first in a set, bytes that are not UTF-8), and several
// --match values select the union. Not compared: a range with an end byte
// >= 0x80 ("[a-\xff]"), which redis-server on x86 compares as a signed char
// (it matches \x00-a and \xff) and rdbtool, like Redis on ARM, unsigned.
func TestQAReviewKeysMatchLikeRedis(t *testing.T) {
	dump := reviewKeysDump(t)
	patterns := []string{
		"*", "", "?", "??", "[^a]", "[^a]*", `\*`, `*\*`, `a\*`, "[a-]", "[a-]*", "[-a]", "[z-a]", "[a-b]?",
		"[]]", `[\]]`, "[^]]", "[]", "[^]", `\`, `a\`, `a\\`, `\a`, "*a", "a*", "**", "*?*", "[\xff]*", "\xff*",
		"fpg:*", "fpg*", "fpg:?*", "[\"']", "*[ \t\n]*", "[[]", "[\\[]*", "é", "[^\x00-\x7f]*",
	}
	c, done, err := shared.load(t, dump)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := map[string][]string{}
	for _, p := range patterns {
		var got []string
		var cursor uint64
		for {
			// go-redis's Scan leaves out an empty MATCH: send it as it is
			reply, err := c.Do(ctx, "SCAN", cursor, "MATCH", p, "COUNT", 1000).Slice()
			if err != nil || len(reply) != 2 {
				done()
				t.Fatalf("SCAN MATCH %q: %v %v", p, reply, err)
			}
			for _, k := range reply[1].([]any) {
				got = append(got, k.(string))
			}
			if cursor, _ = strconv.ParseUint(reply[0].(string), 10, 64); cursor == 0 {
				break
			}
		}
		slices.Sort(got)
		want[p] = slices.Compact(got)
	}
	done()
	for _, p := range patterns {
		var got []string
		for _, k := range reviewKeys(t, dump, "--match", p) {
			got = append(got, string(k.Key))
		}
		slices.Sort(got)
		if !slices.Equal(got, want[p]) {
			t.Errorf("--match %q: rdbtool %q, redis SCAN MATCH %q", p, got, want[p])
		}
	}
	// several --match: the union
	var union []string
	for _, k := range reviewKeys(t, dump, "--match", "[^a]", "--match", `\*`, "--match", "") {
		union = append(union, string(k.Key))
	}
	slices.Sort(union)
	wantUnion := slices.Concat(want["[^a]"], want[`\*`], want[""])
	slices.Sort(wantUnion)
	if !slices.Equal(union, slices.Compact(wantUnion)) {
		t.Errorf("union: %q, want %q", union, wantUnion)
	}
}

// TestQAReviewKeysQuotingReversible: the key column of keys' text output is
// the key itself when plain and a Go-quoted string otherwise, so
// strconv.Unquote gives back every byte; a key that looks quoted is quoted
// again, and no key spills onto a second line.
func TestQAReviewKeysQuotingReversible(t *testing.T) {
	dump := reviewKeysDump(t)
	out := mustRun(t, 0, nil, "keys", dump).stdout
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(reviewKeyNames) {
		t.Fatalf("%d lines for %d keys:\n%s", len(lines), len(reviewKeyNames), out)
	}
	var got []string
	for _, line := range lines {
		f := strings.SplitN(line, "\t", 6)
		if len(f) != 6 {
			t.Fatalf("line %q: %d fields", line, len(f))
		}
		k := f[5]
		if strings.HasPrefix(k, `"`) {
			u, err := strconv.Unquote(k)
			if err != nil {
				t.Fatalf("key column %s: not a Go string: %v", k, err)
			}
			k = u
		} else if strings.ContainsAny(k, " \t\"\\'") || k == "" {
			t.Errorf("key %q printed unquoted", k)
		}
		got = append(got, k)
	}
	want := slices.Clone(reviewKeyNames)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("keys read back %q, want %q", got, want)
	}
}
