package filter

// Rewrite --rdb-version N writes only what version N knows (rdb.Conversion's
// rules, shared with import), walked with the rdb Reader.

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
)

func TestRewriteVersionsOnlyKnownRecords(t *testing.T) {
	for _, f := range corpus(t) {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []int{1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 80} {
			var out bytes.Buffer
			_, err := Rewrite(bytes.NewReader(in), &out, nil, RewriteOptions{Version: v, SkipUnconvertible: true})
			if err != nil {
				t.Errorf("%s -> %d: %v", filepath.Base(f), v, err)
				continue
			}
			if probs := rdbtest.VersionProblems(t, out.Bytes()); len(probs) > 0 {
				t.Errorf("%s -> RDB %d holds what it lacks: %s", filepath.Base(f), v, strings.Join(probs, "; "))
			}
		}
	}
}

// The audit's cases: LFU to 8, millisecond expiries to 2.
func TestRewriteVersionRules(t *testing.T) {
	in, err := os.ReadFile("../testdata/corpus/lfu.rdb")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := Rewrite(bytes.NewReader(in), &out, nil, RewriteOptions{Version: 8})
	if err != nil {
		t.Fatal(err)
	}
	ws := strings.Join(st.Warnings, "\n")
	if !strings.Contains(ws, "LFU frequencies of") || !strings.Contains(ws, "dropped (RDB version 8") {
		t.Errorf("lfu -> 8 warnings: %q", ws)
	}
	if probs := rdbtest.VersionProblems(t, out.Bytes()); len(probs) > 0 {
		t.Error(probs)
	}

	in, err = os.ReadFile("../testdata/corpus/multidb_expiry.rdb")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	st, err = Rewrite(bytes.NewReader(in), &out, nil, RewriteOptions{Version: 2})
	if !errors.Is(err, ErrUnconvertible) || len(st.Unconvertible) == 0 {
		t.Fatalf("expiries past 2038 at RDB 2: err %v, %d unconvertible", err, len(st.Unconvertible))
	}
	out.Reset()
	st, err = Rewrite(bytes.NewReader(in), &out, nil, RewriteOptions{Version: 2, SkipUnconvertible: true})
	if err != nil {
		t.Fatal(err)
	}
	ws = strings.Join(st.Warnings, "\n")
	for _, w := range []string{"rounded up to the next whole second", "aux fields dropped", "resize-db hints dropped"} {
		if !strings.Contains(ws, w) {
			t.Errorf("multidb_expiry -> 2: no %q in %q", w, ws)
		}
	}
	// every kept expiry reads back as the original rounded up to a second
	orig := entries(t, in)
	n := 0
	for k, e := range entries(t, out.Bytes()) {
		o := orig[k].ExpireMs
		if o < 0 {
			continue
		}
		n++
		want := (o + 999) / 1000 * 1000
		if e.ExpireMs != want || !e.ExpireSeconds {
			t.Errorf("%s: expire %d (seconds %v), want %d from %d", e.Key, e.ExpireMs, e.ExpireSeconds, want, o)
		}
	}
	if n == 0 {
		t.Fatal("no expiry kept")
	}
	if probs := rdbtest.VersionProblems(t, out.Bytes()); len(probs) > 0 {
		t.Error(probs)
	}
}
