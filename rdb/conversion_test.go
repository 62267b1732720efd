package rdb_test

// Tests of rdb.Conversion, the version rules rewrite and import share, and
// of the Writer's refusal to write opcodes its version does not know.

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// convertFile applies a Conversion to every record of a corpus file, as
// filter.Rewrite does, and returns the output and the unconvertible keys.
func convertFile(t *testing.T, path string, version int) (out []byte, unconvertible int, warnings []string) {
	t.Helper()
	cf, err := readCorpusFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	magic := "REDIS"
	if version >= 80 {
		magic = "VALKEY"
	}
	w := rdb.NewWriter(&buf, version, rdb.WithMagic(magic))
	conv := rdb.NewConversion(version)
	for _, rec := range cf.recs {
		switch r := rec.(type) {
		case *rdb.Header:
			err = w.Write(r)
		case *rdb.Entry:
			ws, cerr := conv.Entry(r)
			if errors.Is(cerr, rdb.ErrUnconvertible) {
				unconvertible++
				continue
			}
			if cerr != nil {
				t.Fatalf("%s -> %d: %v", filepath.Base(path), version, cerr)
			}
			warnings = append(warnings, ws...)
			err = w.WriteEntry(r)
		default:
			if !conv.Keep(rec) {
				continue
			}
			err = w.Write(rec)
		}
		if err != nil {
			t.Fatalf("%s -> %d: %v", filepath.Base(path), version, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), unconvertible, append(warnings, conv.Warnings()...)
}

// Every corpus file converted to every version holds only what that
// version knows.
func TestConversionCorpusOnlyKnownOpcodes(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*.rdb"))
	if len(paths) < 40 {
		t.Fatalf("only %d corpus files", len(paths))
	}
	versions := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 80}
	sawSeconds, sawDroppedIdle := false, false
	for _, p := range paths {
		for _, v := range versions {
			out, _, ws := convertFile(t, p, v)
			if probs := rdbtest.VersionProblems(t, out); len(probs) > 0 {
				t.Errorf("%s -> RDB %d: %s", filepath.Base(p), v, strings.Join(probs, "; "))
			}
			if v < 3 && bytes.IndexByte(out, rdb.OpExpireTime) >= 0 {
				sawSeconds = true
			}
			for _, w := range ws {
				if strings.Contains(w, "LFU frequencies") || strings.Contains(w, "LRU idle times") {
					sawDroppedIdle = true
				}
			}
		}
	}
	// the sweep exercised the rules (the corpus has expiries and LRU/LFU)
	if !sawSeconds || !sawDroppedIdle {
		t.Errorf("corpus did not exercise the rules: seconds expiries %v, idle/freq dropped %v", sawSeconds, sawDroppedIdle)
	}
}

func TestConversionEntryRules(t *testing.T) {
	str := func() *rdb.Entry {
		e, err := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("v")}, 12)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct {
		name             string
		version          int
		expire, idle     int64
		freq             int
		wantExpire       int64
		wantSecs         bool
		wantIdle         int64
		wantFreq         int
		wantUnconv       bool
		wantWarnContains string
	}{
		{"idle dropped below 9", 8, -1, 100, -1, -1, false, -1, -1, false, "LRU idle times of 1 keys dropped (RDB version 8"},
		{"freq dropped below 9", 5, -1, -1, 7, -1, false, -1, -1, false, "LFU frequencies of 1 keys dropped"},
		{"idle kept at 9", 9, -1, 100, -1, -1, false, 100, -1, false, ""},
		{"freq kept for Valkey", 80, -1, -1, 7, -1, false, -1, 7, false, ""},
		{"ms expiry kept at 3", 3, 1234567, -1, -1, 1234567, false, -1, -1, false, ""},
		{"ms expiry rounded up at 2", 2, 1700000000001, -1, -1, 1700000001000, true, -1, -1, false, "expiries of 1 keys rounded up"},
		{"whole-second expiry exact at 1", 1, 1700000000000, -1, -1, 1700000000000, true, -1, -1, false, ""},
		{"last seconds expiry fits", 2, math.MaxInt32 * 1000, -1, -1, math.MaxInt32 * 1000, true, -1, -1, false, ""},
		{"expiry past 2038 unconvertible", 2, math.MaxInt32*1000 + 1, -1, -1, 0, false, -1, -1, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := str()
			e.ExpireMs, e.Idle, e.Freq = c.expire, c.idle, c.freq
			conv := rdb.NewConversion(c.version)
			_, err := conv.Entry(e)
			if c.wantUnconv {
				if !errors.Is(err, rdb.ErrUnconvertible) || !strings.Contains(err.Error(), "2038") {
					t.Fatalf("err = %v, want unconvertible (2038)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ExpireMs != c.wantExpire || (e.ExpireMs >= 0 && e.ExpireSeconds != c.wantSecs) || e.Idle != c.wantIdle || e.Freq != c.wantFreq {
				t.Errorf("got expire %d secs %v idle %d freq %d", e.ExpireMs, e.ExpireSeconds, e.Idle, e.Freq)
			}
			ws := strings.Join(conv.Warnings(), "\n")
			if c.wantWarnContains == "" && ws != "" {
				t.Errorf("unexpected warnings: %s", ws)
			}
			if !strings.Contains(ws, c.wantWarnContains) {
				t.Errorf("warnings %q lack %q", ws, c.wantWarnContains)
			}
			// the Writer accepts the result and reads back the same expiry
			var buf bytes.Buffer
			w := rdb.NewWriter(&buf, c.version, rdb.WithMagic(map[bool]string{true: "VALKEY", false: "REDIS"}[c.version >= 80]))
			if err := w.WriteEntry(e); err != nil {
				t.Fatal(err)
			}
			w.Close()
			got := rdbtest.Entries(t, buf.Bytes())
			if len(got) != 1 || got[0].ExpireMs != c.wantExpire {
				t.Fatalf("read back %+v", got)
			}
			if probs := rdbtest.VersionProblems(t, buf.Bytes()); len(probs) > 0 {
				t.Errorf("output: %v", probs)
			}
		})
	}
}

func TestConversionModuleBelow8(t *testing.T) {
	cf, err := readCorpusFile(filepath.Join(corpusDir, "hand_v10_module.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range cf.entries {
		if e.Type != rdb.TypeModule2 {
			continue
		}
		n++
		for _, v := range []int{1, 7} {
			if _, err := rdb.NewConversion(v).Entry(e); !errors.Is(err, rdb.ErrUnconvertible) {
				t.Errorf("module value at RDB %d: err %v, want unconvertible", v, err)
			}
		}
		if _, err := rdb.NewConversion(8).Entry(e); err != nil {
			t.Errorf("module value at RDB 8: %v", err)
		}
	}
	if n == 0 {
		t.Fatal("no module value in hand_v10_module.rdb")
	}
}

func TestConversionRecords(t *testing.T) {
	recs := map[string]rdb.Record{
		"aux": &rdb.Aux{Key: []byte("a"), Value: []byte("b")}, "resizedb": &rdb.ResizeDB{DBSize: 1},
		"module-aux": &rdb.ModuleAux{ModuleID: 1, Raw: []byte{0}}, "function": &rdb.Function{Opcode: rdb.OpFunction2, Code: []byte("#!lua name=x\n")},
		"slot-info": &rdb.SlotInfo{Slot: 1},
	}
	for v := 1; v <= rdb.MaxVersion; v++ {
		conv := rdb.NewConversion(v)
		dropped := 0
		for what, rec := range recs {
			want := v >= rdbtest.KnownSince[what]
			if got := conv.Keep(rec); got != want {
				t.Errorf("RDB %d: Keep(%s) = %v, want %v", v, what, got, want)
			}
			if !want {
				dropped++
			}
		}
		if got := len(conv.Warnings()); got != dropped {
			t.Errorf("RDB %d: %d warnings for %d dropped kinds: %q", v, got, dropped, conv.Warnings())
		}
	}
	for what, rec := range recs {
		if !rdb.NewConversion(80).Keep(rec) {
			t.Errorf("Valkey 80 drops %s", what)
		}
	}
	if rdb.NewConversion(12).Keep(&rdb.SlotImport{Raw: []byte{1}}) {
		t.Error("a Valkey slot import record kept for Redis")
	}
}

// A 7.0 release-candidate library (opcode 246), which released servers
// refuse, is written as opcode 245 with its "#!engine name=" line.
func TestConversionPreGAFunction(t *testing.T) {
	out, _, _ := convertFile(t, filepath.Join(corpusDir, "hand_v10_function_prega.rdb"), 11)
	n := 0
	for _, rec := range rdbtest.Records(t, out) {
		if f, ok := rec.(*rdb.Function); ok {
			n++
			if f.Opcode != rdb.OpFunction2 || !bytes.HasPrefix(f.Code, []byte("#!")) || !bytes.Contains(f.Code, []byte("name=")) {
				t.Errorf("function written as opcode %d, code %q", f.Opcode, f.Code)
			}
		}
	}
	if n == 0 {
		t.Fatal("no function in the output")
	}
}

// The Writer never writes an opcode its version lacks: entries that need
// one are refused, a whole-second expiry is written as seconds before 3.
func TestWriterVersionOpcodes(t *testing.T) {
	mk := func() *rdb.Entry {
		e, _ := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("v")}, 1)
		return e
	}
	refuse := []struct {
		version int
		set     func(*rdb.Entry)
	}{
		{8, func(e *rdb.Entry) { e.Idle = 5 }},
		{8, func(e *rdb.Entry) { e.Freq = 5 }},
		{2, func(e *rdb.Entry) { e.ExpireMs = 1700000000001 }},
		{1, func(e *rdb.Entry) { e.ExpireMs = (math.MaxInt32 + 1) * 1000 }},
	}
	for i, c := range refuse {
		e := mk()
		c.set(e)
		var buf bytes.Buffer
		w := rdb.NewWriter(&buf, c.version)
		if err := w.WriteEntry(e); err == nil {
			t.Errorf("case %d: RDB %d entry written", i, c.version)
		}
	}
	// an entry read from an RDB 10 file with a millisecond expiry that is a
	// whole second goes out as opcode 253 at version 2, even unchanged
	var src bytes.Buffer
	w := rdb.NewWriter(&src, 10)
	e := mk()
	e.ExpireMs = 1700000000000
	if err := w.WriteEntry(e); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !bytes.Contains(src.Bytes(), []byte{rdb.OpExpireTimeMs}) {
		t.Fatal("RDB 10 source has no ms expiry")
	}
	read := rdbtest.Entries(t, src.Bytes())
	var out bytes.Buffer
	w2 := rdb.NewWriter(&out, 2)
	if err := w2.WriteEntry(read[0]); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	back := rdbtest.Entries(t, out.Bytes())
	if len(back) != 1 || !back[0].ExpireSeconds || back[0].ExpireMs != 1700000000000 {
		t.Fatalf("read back %+v", back)
	}
	if probs := rdbtest.VersionProblems(t, out.Bytes()); len(probs) > 0 {
		t.Error(probs)
	}
}
