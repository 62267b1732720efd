package filter

// Rewrite --rdb-version N writes only what version N knows (rdb.Conversion's
// rules, shared with import), walked with the rdb Reader.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// sinceVersion: the first RDB version that loads each record or opcode
// (rdb.h and the RDB version history), independent of the code under test.
var sinceVersion = map[string]int{"expire-ms": 3, "aux": 7, "resizedb": 7, "module-aux": 9, "idle": 9, "freq": 9, "function": 10, "slot-info": 12}

// lackedByVersion lists what an RDB file holds that its header's version
// cannot load.
func lackedByVersion(t *testing.T, data []byte) []string {
	t.Helper()
	rd := rdb.NewReader(bytes.NewReader(data))
	var out []string
	v, valkey := 0, false
	need := func(what string, key []byte) {
		if !valkey && v < sinceVersion[what] {
			out = append(out, fmt.Sprintf("%s %q", what, key))
		}
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("output unreadable: %v", err)
		}
		switch r := rec.(type) {
		case *rdb.Header:
			v, valkey = r.Version, r.Magic == "VALKEY"
		case *rdb.Aux:
			need("aux", r.Key)
		case *rdb.ResizeDB:
			need("resizedb", nil)
		case *rdb.ModuleAux:
			need("module-aux", nil)
		case *rdb.SlotInfo:
			need("slot-info", nil)
		case *rdb.SlotImport:
			if !valkey {
				out = append(out, "slot import")
			}
		case *rdb.Function:
			need("function", nil)
			if r.Opcode != rdb.OpFunction2 {
				out = append(out, "pre-release function opcode")
			}
		case *rdb.Entry:
			if r.HasExpiry() && !r.ExpireSeconds {
				need("expire-ms", r.Key)
			}
			if r.Idle >= 0 {
				need("idle", r.Key)
			}
			if r.Freq >= 0 {
				need("freq", r.Key)
			}
			if !rdb.TypeSupported(r.Type, v) {
				out = append(out, fmt.Sprintf("type %d %q", r.Type, r.Key))
			}
		}
	}
}

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
			if probs := lackedByVersion(t, out.Bytes()); len(probs) > 0 {
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
	if probs := lackedByVersion(t, out.Bytes()); len(probs) > 0 {
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
	if probs := lackedByVersion(t, out.Bytes()); len(probs) > 0 {
		t.Error(probs)
	}
}
