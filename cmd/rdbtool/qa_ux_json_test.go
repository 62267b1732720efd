package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONInputKey: every one-object --json report about a FILE names it
// under the same key, "input" (check also keeps its older "file"; inspect
// had none, so a loop over dumps could not tell its reports apart). load's
// report keeps "file" alone: its field set is pinned (json_live_test.go).
func TestJSONInputKey(t *testing.T) {
	dir := t.TempDir()
	jl := filepath.Join(dir, "d.jsonl")
	mustRun(t, 0, nil, "export", testDump, "-o", jl)
	for _, tc := range []struct {
		code  int
		input string
		args  []string
	}{
		{0, testDump, []string{"inspect", testDump, "--json"}},
		{0, testDump, []string{"verify", testDump, "--json"}},
		{0, testDump, []string{"check", testDump, "--no-ttl", "--json"}},
		{0, testDump, []string{"rewrite", testDump, "-o", filepath.Join(dir, "r.rdb"), "--json"}},
		{0, testDump, []string{"prune", testDump, "-o", filepath.Join(dir, "p.rdb"), "--match", "x", "--json"}},
		{0, testDump, []string{"persist", testDump, "-o", filepath.Join(dir, "s.rdb"), "--json"}},
		{0, testDump, []string{"refresh", testDump, "-o", filepath.Join(dir, "f.rdb"), "--prune", "x", "--json"}},
		{0, jl, []string{"import", jl, "-o", filepath.Join(dir, "i.rdb"), "--json"}},
	} {
		r := mustRun(t, tc.code, nil, tc.args...)
		var v map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%s: %v: %q", strings.Join(tc.args, " "), err, r.stdout)
			continue
		}
		if v["input"] != tc.input {
			t.Errorf("%s: input %v, want %q", strings.Join(tc.args, " "), v["input"], tc.input)
		}
		for k := range v {
			if k != strings.ToLower(k) || strings.Contains(k, "-") {
				t.Errorf("%s: key %q is not snake_case", tc.args[0], k)
			}
		}
	}
}
