package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qaDump copies the corpus's all.rdb into a fresh directory.
func qaDump(t *testing.T) (dir, dump string, data []byte) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/corpus/all.rdb")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	dump = filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, dump, data
}

// qaOneLine fails unless err is one line containing every want.
func qaOneLine(t *testing.T, args []string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%v: no error", args)
	}
	msg, _ := exitStatus(err)
	if strings.Contains(msg, "\n") {
		t.Errorf("%v: error spans lines: %q", args, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%v: error %q does not say %q", args, msg, w)
		}
	}
}

// TestQAFilesPolicyErrors: a bad policy file is one line naming the file
// once, in the policy's own terms (no Go type names).
func TestQAFilesPolicyErrors(t *testing.T) {
	dir, dump, _ := qaDump(t)
	for _, c := range []struct {
		policy string
		want   []string
	}{
		{"no-ttl: true\nmax_value_size: 1MiB\n", []string{`line 2`, `unknown field "max_value_size"`, "max-value-size"}},
		{"no-ttl: yes please\n", []string{"line 1", "no-ttl", "true or false"}},
		{"forbid: fpg\n", []string{"line 1", "forbid", "list"}},
	} {
		p := writePolicy(t, dir, c.policy)
		for _, args := range [][]string{{"check", dump, "--policy", p}, {"refresh", dump, "-o", filepath.Join(dir, "o.rdb"), "--policy", p}} {
			r := mustRun(t, 2, nil, args...)
			qaOneLine(t, args, r.err, c.want...)
			msg, _ := exitStatus(r.err)
			if strings.Count(msg, p) != 1 || strings.Contains(msg, "filter.") || strings.Contains(msg, "!!") || strings.Contains(msg, "unmarshal") {
				t.Errorf("%v: %q", args, msg)
			}
		}
	}
	// found beside the dump: named once as well
	os.Remove(filepath.Join(dir, "p.policy"))
	os.WriteFile(dump+".policy", []byte("bogus: 1\n"), 0o644)
	r := mustRun(t, 2, nil, "check", dump)
	qaOneLine(t, []string{"check"}, r.err, "dump.rdb.policy", `unknown field "bogus"`)
	if msg, _ := exitStatus(r.err); strings.Count(msg, "dump.rdb.policy") != 1 {
		t.Errorf("check: %q", msg)
	}
	// a directory given as the policy
	r = mustRun(t, 2, nil, "check", dump, "--policy", dir)
	qaOneLine(t, []string{"check", "--policy", "DIR"}, r.err, "is a directory")
	if msg, _ := exitStatus(r.err); strings.Count(msg, dir) != 1 {
		t.Errorf("check --policy DIR: %q", msg)
	}
}

// TestQAFilesInspectNone: --top 0 and --prefixes 0 both list nothing.
func TestQAFilesInspectNone(t *testing.T) {
	_, dump, _ := qaDump(t)
	r := mustRun(t, 0, nil, "inspect", dump, "--top", "0", "--prefixes", "0")
	if strings.Contains(r.stdout, "prefixes (") || strings.Contains(r.stdout, "largest keys") || strings.Contains(r.stdout, "keys by value size") {
		t.Fatalf("inspect --top 0 --prefixes 0 lists:\n%s", r.stdout)
	}
	r = mustRun(t, 0, nil, "inspect", dump, "--prefixes", "0", "--json")
	if !strings.Contains(r.stdout, `"prefixes": []`) {
		t.Fatalf("inspect --prefixes 0 --json:\n%s", r.stdout)
	}
	r = mustRun(t, 0, nil, "inspect", dump)
	if !strings.Contains(r.stdout, "prefixes (") {
		t.Fatalf("inspect lists no prefixes by default:\n%s", r.stdout)
	}
}

// TestQAFilesCheckStdinNoRules: without rules, check of stdin does not
// suggest committing "stdin.policy".
func TestQAFilesCheckStdinNoRules(t *testing.T) {
	_, dump, data := qaDump(t)
	r := mustRun(t, 2, strings.NewReader(string(data)), "check", "-")
	qaOneLine(t, []string{"check", "-"}, r.err, "no rules", "--policy FILE")
	if msg, _ := exitStatus(r.err); strings.Contains(msg, "stdin.policy") {
		t.Errorf("check -: %q", msg)
	}
	r = mustRun(t, 2, nil, "check", dump)
	qaOneLine(t, []string{"check", "FILE"}, r.err, "commit "+dump+".policy")
}

// TestQAFilesCheckPolicyWithoutRules: a policy holding only refresh's
// fields is named as having no check rule, instead of check asking to
// commit the policy file that is already there.
func TestQAFilesCheckPolicyWithoutRules(t *testing.T) {
	_, dump, _ := qaDump(t)
	os.WriteFile(dump+".policy", []byte("prune: [\"fpg:*\"]\ndrop-expired: true\n"), 0o644)
	r := mustRun(t, 2, nil, "check", dump)
	qaOneLine(t, []string{"check"}, r.err, "the policy "+dump+".policy has none that check enforces")
	if msg, _ := exitStatus(r.err); strings.Contains(msg, "commit") {
		t.Errorf("check: %q", msg)
	}
	mustRun(t, 0, nil, "check", dump, "--forbid", "nothing:*")
}

// TestQAFilesSizeZero: a size flag of 0 was taken as "not given": prune
// then asked for --larger-than although it was there, refresh pruned
// nothing and check found no rule. It is a usage error naming the flag.
func TestQAFilesSizeZero(t *testing.T) {
	dir, dump, _ := qaDump(t)
	out := filepath.Join(dir, "out.rdb")
	for _, args := range [][]string{
		{"prune", dump, "-o", out, "--larger-than", "0"},
		{"prune", dump, "-o", out, "--match", "*", "--larger-than", "0B"},
		{"refresh", dump, "-o", out, "--larger-than", "0"},
		{"check", dump, "--max-value-size", "0"},
		{"check", dump, "--max-file-size", "0KiB"},
	} {
		r := mustRun(t, 2, nil, args...)
		qaOneLine(t, args, r.err, "give a size above 0")
	}
	assertOnly(t, dir, "dump.rdb")
}

// TestQAFilesVerifyTrailingBytes: bytes after the checksum are ignored by
// Redis and by rdbtool; verify still passes but says they are there,
// rather than calling the file's size the dump's.
func TestQAFilesVerifyTrailingBytes(t *testing.T) {
	_, dump, data := qaDump(t)
	r := mustRun(t, 0, nil, "verify", dump)
	if strings.Contains(r.stdout, "after the end") {
		t.Fatalf("verify of a clean dump: %s", r.stdout)
	}
	os.WriteFile(dump, append(data, "GARBAGE"...), 0o644)
	r = mustRun(t, 0, nil, "verify", dump)
	if !strings.Contains(r.stdout, "(7 bytes after the end of the dump, ignored)") {
		t.Fatalf("verify: %s", r.stdout)
	}
}
