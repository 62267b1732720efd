package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestQAS8ReadmeRefreshHelpNamesPruneFields: refresh --help lists the
// fields of its --json "prune" object, and the README sends readers there
// ("prune:{...}"); every field the report holds must be named. It listed
// "removed" and "removed_value_bytes" while the object also holds "spared".
func TestQAS8ReadmeRefreshHelpNamesPruneFields(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.rdb")
	r := mustRun(t, 0, nil, "refresh", testDump, "-o", out, "--prune", "auto:1*", "--json")
	var rep struct {
		Prune map[string]json.RawMessage `json:"prune"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Prune) == 0 {
		t.Fatalf("refresh --json: %v; prune object %v\n%s", err, rep.Prune, r.stdout)
	}
	help := mustRun(t, 0, nil, "refresh", "--help").stdout
	_, after, _ := strings.Cut(help, `"prune":{`)
	obj, _, _ := strings.Cut(after, "}")
	for field := range rep.Prune {
		if !strings.Contains(obj, `"`+field+`"`) {
			t.Errorf("refresh --json's prune object holds %q, but refresh --help's prune object {%s} does not name it", field, obj)
		}
	}
}

// TestQAS8ReadmeSnapshotHelpNamesPexpiretime: the README says --method scan
// reads expiries with PEXPIRETIME (exact; PTTL only on servers before 7.0),
// which is what live/snapshot.go sends; snapshot --help said "SCAN +
// pipelined DUMP/PTTL", the relative, round-trip-inexact way.
func TestQAS8ReadmeSnapshotHelpNamesPexpiretime(t *testing.T) {
	help := mustRun(t, 0, nil, "snapshot", "--help").stdout
	if !strings.Contains(help, "PEXPIRETIME") {
		t.Errorf("snapshot --help does not name PEXPIRETIME for --method scan:\n%s", help)
	}
}

// TestQAS8ReadmeImportHelpNamesModuleAux: import drops module aux records
// below RDB 9 with a warning (as rewrite does, and the README says import
// follows rewrite's rules), but import --help's list of what is dropped
// named only "LRU/LFU before 9".
func TestQAS8ReadmeImportHelpNamesModuleAux(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "m.jsonl")
	mustRun(t, 0, nil, "export", "../../testdata/corpus/hand_v10_module.rdb", "-o", jsonl)
	r := mustRun(t, 0, nil, "import", jsonl, "-o", filepath.Join(dir, "m8.rdb"), "--rdb-version", "8")
	if !strings.Contains(r.stderr, "module aux") {
		t.Fatalf("import --rdb-version 8 of module aux records: no warning about them:\n%s", r.stderr)
	}
	help := mustRun(t, 0, nil, "import", "--help").stdout
	if !strings.Contains(help, "module aux") {
		t.Errorf("import --rdb-version 8 drops module aux records with a warning, but import --help's list of dropped data does not name them:\n%s", help)
	}
}
