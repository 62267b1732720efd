package main

// import and rewrite --rdb-version N: the same version rules, seen from the
// command line (audit 23, gaps 5 and 8).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// exportTo writes the export of an RDB file to dir and returns its path.
func exportTo(t *testing.T, dir, rdbPath string) string {
	t.Helper()
	jl := filepath.Join(dir, strings.TrimSuffix(filepath.Base(rdbPath), ".rdb")+".jsonl")
	mustRun(t, 0, nil, "export", rdbPath, "-o", jl)
	return jl
}

// TestImportModuleBelow8: module values cannot go into RDB 7; the keys are
// listed and the command fails with nothing written, unless
// --skip-unconvertible, as rewrite does.
func TestImportModuleBelow8(t *testing.T) {
	dir := t.TempDir()
	jl := exportTo(t, dir, "../../testdata/corpus/hand_v10_module.rdb")
	out := filepath.Join(dir, "v7.rdb")
	r := mustRun(t, 2, nil, "import", jl, "-o", out, "--rdb-version", "7")
	if !strings.Contains(r.stderr, "cannot be written as RDB version 7:") || !strings.Contains(r.err.Error(), "--skip-unconvertible") {
		t.Fatalf("stderr: %s\nerr: %v", r.stderr, r.err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output written despite unconvertible keys")
	}
	r = mustRun(t, 0, nil, "import", jl, "-o", out, "--rdb-version", "7", "--skip-unconvertible")
	if !strings.Contains(r.stderr, "module values") {
		t.Errorf("no warning naming the module values: %s", r.stderr)
	}
	n := 0
	for _, e := range readEntries(t, out) {
		n++
		if e.Type == rdb.TypeModule2 || e.Type == rdb.TypeModule {
			t.Errorf("module value %q in an RDB 7 file", e.Key)
		}
	}
	if n == 0 {
		t.Error("no key kept")
	}
}

// TestImportLFUBelow9: the audit's command writes no FREQ opcode and warns.
func TestImportLFUBelow9(t *testing.T) {
	dir := t.TempDir()
	jl := exportTo(t, dir, "../../testdata/corpus/lfu.rdb")
	out := filepath.Join(dir, "lfu8.rdb")
	r := mustRun(t, 0, nil, "import", jl, "-o", out, "--rdb-version", "8")
	if !strings.Contains(r.stderr, "warning: LFU frequencies of") {
		t.Errorf("stderr: %s", r.stderr)
	}
	es := readEntries(t, out)
	if len(es) == 0 {
		t.Fatal("no keys")
	}
	for _, e := range es {
		if e.Freq >= 0 || e.Idle >= 0 {
			t.Errorf("key %q: freq %d idle %d in RDB 8", e.Key, e.Freq, e.Idle)
		}
	}
}

// TestRewriteSecondsExpiryBelow3: the audit's command (multidb_expiry to 2)
// writes every expiry as seconds, rounded up, and says so.
func TestRewriteSecondsExpiryBelow3(t *testing.T) {
	dir := t.TempDir()
	src := "../../testdata/corpus/multidb_expiry.rdb"
	out := filepath.Join(dir, "x.rdb")
	r := mustRun(t, 2, nil, "rewrite", src, "-o", out, "--rdb-version", "2")
	if !strings.Contains(r.stderr, "2038") {
		t.Errorf("expiries past 2038 not named: %s", r.stderr)
	}
	r = mustRun(t, 0, nil, "rewrite", src, "-o", out, "--rdb-version", "2", "--skip-unconvertible")
	if !strings.Contains(r.stderr, "rounded up to the next whole second") {
		t.Errorf("stderr: %s", r.stderr)
	}
	orig := map[string]int64{}
	for _, e := range readEntries(t, src) {
		orig[string(e.Key)] = e.ExpireMs
	}
	n := 0
	for _, e := range readEntries(t, out) {
		if !e.HasExpiry() {
			continue
		}
		n++
		if !e.ExpireSeconds {
			t.Errorf("key %q: millisecond expiry (opcode 252) in an RDB 2 file", e.Key)
		}
		if o := orig[string(e.Key)]; e.ExpireMs < o || e.ExpireMs-o >= 1000 {
			t.Errorf("key %q: expiry %d from %d", e.Key, e.ExpireMs, o)
		}
	}
	if n == 0 {
		t.Fatal("no expiry kept")
	}
	// import of the same data to 2 gives the same file
	jl := exportTo(t, dir, src)
	full := filepath.Join(dir, "full.rdb")
	mustRun(t, 0, nil, "import", jl, "-o", full, "--rdb-version", "12")
	imp := filepath.Join(dir, "imp2.rdb")
	mustRun(t, 0, nil, "import", jl, "-o", imp, "--rdb-version", "2", "--skip-unconvertible")
	rew := filepath.Join(dir, "rew2.rdb")
	mustRun(t, 0, nil, "rewrite", full, "-o", rew, "--rdb-version", "2", "--skip-unconvertible")
	a, _ := os.ReadFile(imp)
	b, _ := os.ReadFile(rew)
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("import --rdb-version 2 and rewrite --rdb-version 2 differ (%d vs %d bytes)", len(a), len(b))
	}
}

// TestConversionHelpWording: the help says what conversion really writes
// (plain hash table and skiplist types, not ziplists).
func TestConversionHelpWording(t *testing.T) {
	for _, cmd := range []string{"rewrite", "import"} {
		r := mustRun(t, 0, nil, cmd, "--help")
		h := strings.Join(strings.Fields(r.stdout), " ")
		if strings.Contains(h, "-> ziplist") || !strings.Contains(h, "not ziplists") || !strings.Contains(h, "hash table (type 4)") || !strings.Contains(h, "skiplist (type 5") {
			t.Errorf("%s --help: %s", cmd, r.stdout)
		}
		for _, rule := range []string{"LRU/LFU", "module values before 8", "whole seconds, rounded up", "--skip-unconvertible"} {
			if !strings.Contains(h, rule) {
				t.Errorf("%s --help does not mention %q", cmd, rule)
			}
		}
	}
}
