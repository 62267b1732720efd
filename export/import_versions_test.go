package export

// import --rdb-version N follows the same version rules as rewrite
// --rdb-version N (rdb.Conversion): same bytes, same warnings, same
// unconvertible keys, and only what version N knows in the output.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// For every corpus file and version, import of its export gives the bytes,
// warnings and unconvertible keys that rewrite gives from the version-12
// import, and holds only what the version knows.
func TestImportVersionsMatchRewrite(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	if len(files) < 40 {
		t.Fatalf("only %d corpus files", len(files))
	}
	versions := []int{1, 2, 5, 7, 8, 9, 10, 11, 80}
	exercised := map[string]bool{}
	for _, f := range files {
		in, _ := os.ReadFile(f)
		var jl bytes.Buffer
		if _, err := Export(bytes.NewReader(in), &jl); err != nil {
			t.Fatalf("%s: export: %v", f, err)
		}
		var full bytes.Buffer
		if _, err := ImportWith(bytes.NewReader(jl.Bytes()), &full, ImportOptions{Version: 12}); err != nil {
			t.Fatalf("%s: import 12: %v", f, err)
		}
		for _, v := range versions {
			name := fmt.Sprintf("%s -> %d", filepath.Base(f), v)
			var imp, rew bytes.Buffer
			ist, ierr := ImportWith(bytes.NewReader(jl.Bytes()), &imp, ImportOptions{Version: v, SkipUnconvertible: true})
			if ierr != nil {
				t.Errorf("%s: import: %v", name, ierr)
				continue
			}
			rst, rerr := filter.Rewrite(bytes.NewReader(full.Bytes()), &rew, nil, filter.RewriteOptions{Version: v, SkipUnconvertible: true})
			if rerr != nil {
				t.Errorf("%s: rewrite: %v", name, rerr)
				continue
			}
			if len(rst.Unconvertible) == 0 && !bytes.Equal(imp.Bytes(), rew.Bytes()) {
				t.Errorf("%s: import and rewrite differ (%d vs %d bytes)", name, imp.Len(), rew.Len())
			}
			if a, b := rdbtest.Entries(t, imp.Bytes()), rdbtest.Entries(t, rew.Bytes()); !sameEntries(a, b) {
				// (with keys left out, rewrite may keep a SELECTDB no key follows)
				t.Errorf("%s: import and rewrite write different keys", name)
			}
			// import alone notes a stream length other than its entries'
			// count (legacy_v9_stream1's "trim"): a note on the input,
			// not on the conversion
			if !reflect.DeepEqual(withoutLengthNotes(ist.Warnings), rst.Warnings) {
				t.Errorf("%s: warnings differ:\nimport  %q\nrewrite %q", name, ist.Warnings, rst.Warnings)
			}
			if len(ist.Unconvertible) != len(rst.Unconvertible) {
				t.Errorf("%s: unconvertible: import %d, rewrite %d", name, len(ist.Unconvertible), len(rst.Unconvertible))
			}
			if probs := rdbtest.VersionProblems(t, imp.Bytes()); len(probs) > 0 {
				t.Errorf("%s: import output holds what RDB %d lacks: %s", name, v, strings.Join(probs, "; "))
			}
			for _, w := range ist.Warnings {
				for _, k := range []string{"LFU frequencies", "LRU idle times", "rounded up", "function libraries", "module values"} {
					if strings.Contains(w, k) {
						exercised[k] = true
					}
				}
			}
			if len(ist.Unconvertible) > 0 {
				exercised["unconvertible"] = true
			}
		}
	}
	if len(exercised) != 6 {
		t.Errorf("the corpus exercised only %v", exercised)
	}
}

func withoutLengthNotes(ws []string) []string {
	var out []string
	for _, w := range ws {
		if !strings.Contains(w, "stream length") {
			out = append(out, w)
		}
	}
	return out
}

func importLines(t *testing.T, opt ImportOptions, lines ...string) (*ImportStats, []byte, error) {
	t.Helper()
	var out bytes.Buffer
	st, err := ImportWith(strings.NewReader(strings.Join(lines, "\n")), &out, opt)
	return st, out.Bytes(), err
}

func TestImportIdleFreqBelow9(t *testing.T) {
	lines := []string{
		`{"db":0,"key":"a","type":"string","expire_ms":-1,"idle":42,"value":"x"}`,
		`{"db":0,"key":"b","type":"string","expire_ms":-1,"freq":7,"value":"y"}`,
	}
	st, out, err := importLines(t, ImportOptions{Version: 8}, lines...)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rdbtest.Entries(t, out) {
		if e.Idle >= 0 || e.Freq >= 0 {
			t.Errorf("RDB 8 key %q has idle %d freq %d", e.Key, e.Idle, e.Freq)
		}
	}
	if probs := rdbtest.VersionProblems(t, out); len(probs) > 0 {
		t.Error(probs)
	}
	ws := strings.Join(st.Warnings, "\n")
	if !strings.Contains(ws, "LRU idle times of 1 keys dropped") || !strings.Contains(ws, "LFU frequencies of 1 keys dropped") {
		t.Errorf("warnings: %q", ws)
	}
	// kept from 9 on
	st, out, err = importLines(t, ImportOptions{Version: 9}, lines...)
	if err != nil || len(st.Warnings) != 0 {
		t.Fatal(err, st.Warnings)
	}
	es := rdbtest.Entries(t, out)
	if es[0].Idle != 42 || es[1].Freq != 7 {
		t.Errorf("RDB 9: idle %d freq %d", es[0].Idle, es[1].Freq)
	}
}

func TestImportModuleBelow8(t *testing.T) {
	f := "../testdata/corpus/hand_v10_module.rdb"
	in, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var jl bytes.Buffer
	if _, err := Export(bytes.NewReader(in), &jl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(jl.String(), `"type":"module"`) {
		t.Fatal("no module value in the export")
	}
	for _, v := range []int{1, 7} {
		var out bytes.Buffer
		st, err := ImportWith(bytes.NewReader(jl.Bytes()), &out, ImportOptions{Version: v})
		if !errors.Is(err, rdb.ErrUnconvertible) || len(st.Unconvertible) == 0 || !strings.Contains(err.Error(), "--skip-unconvertible") {
			t.Fatalf("RDB %d: err %v, unconvertible %v", v, err, st.Unconvertible)
		}
		if _, err := Import(bytes.NewReader(jl.Bytes()), io.Discard, v); !errors.Is(err, rdb.ErrUnconvertible) {
			t.Errorf("Import at RDB %d: %v", v, err)
		}
		out.Reset()
		st, err = ImportWith(bytes.NewReader(jl.Bytes()), &out, ImportOptions{Version: v, SkipUnconvertible: true})
		if err != nil {
			t.Fatal(err)
		}
		es := rdbtest.Entries(t, out.Bytes())
		for _, e := range es {
			if e.Type == rdb.TypeModule2 {
				t.Errorf("RDB %d: module value %q written", v, e.Key)
			}
		}
		if int64(len(es)) != st.Keys || len(st.Unconvertible) == 0 {
			t.Errorf("RDB %d: %d entries, %d keys, %d unconvertible", v, len(es), st.Keys, len(st.Unconvertible))
		}
	}
	// RDB 8 holds them
	if _, err := Import(bytes.NewReader(jl.Bytes()), io.Discard, 8); err != nil {
		t.Errorf("RDB 8: %v", err)
	}
}

func TestImportSecondsExpiryBelow3(t *testing.T) {
	lines := []string{
		`{"db":0,"key":"exact","type":"string","expire_ms":1700000000000,"value":"x"}`,
		`{"db":0,"key":"ms","type":"string","expire_ms":1700000000001,"value":"y"}`,
		`{"db":0,"key":"none","type":"string","expire_ms":-1,"value":"z"}`,
	}
	for _, v := range []int{1, 2} {
		st, out, err := importLines(t, ImportOptions{Version: v}, lines...)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte{rdb.OpExpireTimeMs}) {
			t.Errorf("RDB %d: opcode 252 written", v)
		}
		es := rdbtest.Entries(t, out)
		want := map[string]int64{"exact": 1700000000000, "ms": 1700000001000, "none": -1}
		for _, e := range es {
			if e.ExpireMs != want[string(e.Key)] || (e.HasExpiry() && !e.ExpireSeconds) {
				t.Errorf("RDB %d key %s: expire %d (seconds form %v), want %d", v, e.Key, e.ExpireMs, e.ExpireSeconds, want[string(e.Key)])
			}
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "expiries of 1 keys rounded up") {
			t.Errorf("RDB %d warnings: %q", v, st.Warnings)
		}
	}
	// from 3 on the milliseconds stay
	_, out, err := importLines(t, ImportOptions{Version: 3}, lines...)
	if err != nil {
		t.Fatal(err)
	}
	if es := rdbtest.Entries(t, out); es[1].ExpireMs != 1700000000001 || es[1].ExpireSeconds {
		t.Errorf("RDB 3: %d %v", es[1].ExpireMs, es[1].ExpireSeconds)
	}
	// past 2038: unconvertible below 3
	st, _, err := importLines(t, ImportOptions{Version: 2}, `{"db":0,"key":"far","type":"string","expire_ms":4102444800000,"value":"x"}`)
	if !errors.Is(err, rdb.ErrUnconvertible) || len(st.Unconvertible) != 1 || string(st.Unconvertible[0].Key) != "far" {
		t.Errorf("expiry in 2100 at RDB 2: %v %v", err, st.Unconvertible)
	}
}

// Functions before 10 and hash field expiries before 12 are dropped with a
// warning, as rewrite does (the latter used to fail the import).
func TestImportDroppedData(t *testing.T) {
	lines := []string{
		`{"function":"#!lua name=lib\nredis.register_function('f', function() return 1 end)"}`,
		`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","expire_ms":4102444800000},{"field":"g","value":"w"}]}`,
	}
	st, out, err := importLines(t, ImportOptions{Version: 9}, lines...)
	if err != nil {
		t.Fatal(err)
	}
	ws := strings.Join(st.Warnings, "\n")
	if !strings.Contains(ws, "1 hash field expiries dropped") || !strings.Contains(ws, "1 function libraries dropped (RDB version 9") {
		t.Errorf("warnings: %q", ws)
	}
	if probs := rdbtest.VersionProblems(t, out); len(probs) > 0 {
		t.Error(probs)
	}
	es := rdbtest.Entries(t, out)
	v, err := es[0].Decode()
	if err != nil || len(v.Hash) != 2 {
		t.Fatalf("hash: %v %+v", err, v)
	}
}

func sameEntries(a, b []*rdb.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.DB != y.DB || !bytes.Equal(x.Key, y.Key) || x.Type != y.Type || !bytes.Equal(x.Value, y.Value) ||
			x.ExpireMs != y.ExpireMs || x.ExpireSeconds != y.ExpireSeconds || x.Idle != y.Idle || x.Freq != y.Freq {
			return false
		}
	}
	return true
}
