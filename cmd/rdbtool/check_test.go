package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

func TestCheckExitCodes(t *testing.T) {
	f := "../../testdata/corpus/all.rdb"
	dir := t.TempDir()
	// all.rdb has TTLs and fpg:* keys
	r := mustRun(t, 1, nil, "check", f, "--no-ttl", "--forbid", "fpg:*", "--require", "user:*", "--require", "nothing:*")
	for _, want := range []string{"no-ttl: db0 ", "forbid: db0 fpg:", `require: no key matches required pattern "nothing:*"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, `"user:*"`) {
		t.Error("user:* reported missing")
	}
	mustRun(t, 0, nil, "check", f, "--require", "user:*", "--max-value-size", "1MiB", "--max-file-size", "1MB")
	r = mustRun(t, 1, nil, "check", f, "--max-file-size", "1KiB", "--max-value-size", "4KB")
	if !strings.Contains(r.stdout, "max-file-size: file is") || !strings.Contains(r.stdout, "max-value-size: db0 fpg:") {
		t.Fatal(r.stdout)
	}
	r = mustRun(t, 1, nil, "check", f, "--no-ttl", "--json")
	var res struct {
		Violations []struct {
			Rule string
			DB   *int
			Key  string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Violations) == 0 || res.Violations[0].Rule != "no-ttl" || res.Violations[0].DB == nil {
		t.Fatalf("%v %s", err, r.stdout)
	}
	// usage and unreadable input: exit 2
	mustRun(t, 2, nil, "check", f)
	mustRun(t, 2, nil, "check", f, "--max-value-size", "4XB")
	in, _ := os.ReadFile(f)
	trunc := filepath.Join(dir, "trunc.rdb")
	os.WriteFile(trunc, in[:100], 0o644)
	mustRun(t, 2, nil, "check", trunc, "--no-ttl")

	// The policy file beside the dump is found; refresh then makes a file
	// that check accepts.
	dump := filepath.Join(dir, "dump.rdb")
	os.WriteFile(dump, in, 0o644)
	policy := "prune: [\"fpg:*\"]\ndrop-expired: true\nno-ttl: true\nforbid: [\"fpg:*\"]\nrequire: [\"user:*\", \"events\"]\nmax-value-size: 64KiB\n"
	os.WriteFile(dump+".policy", []byte(policy), 0o644)
	mustRun(t, 1, nil, "check", dump)
	r = mustRun(t, 0, nil, "refresh", dump, "--in-place")
	if !strings.Contains(r.stderr, "policy "+dump+".policy") || !strings.Contains(r.stderr, "pruned") {
		t.Fatalf("refresh stderr: %s", r.stderr)
	}
	mustRun(t, 0, nil, "check", dump)
	if err := redistest.CheckRDB(t, dump); err != nil {
		t.Fatal(err)
	}
	// stdin: no policy discovery, so flags are needed
	mustRun(t, 2, bytes.NewReader(in), "check", "-")
	mustRun(t, 1, bytes.NewReader(in), "check", "-", "--policy", dump+".policy")

	// A policy the result breaks: refresh writes nothing, exits 1.
	os.WriteFile(dump, in, 0o644)
	os.WriteFile(dump+".policy", []byte("require: [\"missing:*\"]\n"), 0o644)
	r = mustRun(t, 1, nil, "refresh", dump, "--in-place", "--prune", "fpg:*")
	if !strings.Contains(r.stderr, "require:") {
		t.Fatal(r.stderr)
	}
	if b, _ := os.ReadFile(dump); !bytes.Equal(b, in) {
		t.Fatal("refresh replaced the dump despite a policy violation")
	}
	assertOnly(t, dir, "dump.rdb", "dump.rdb.policy", "trunc.rdb")
	// a broken policy file: exit 2 naming it
	os.WriteFile(dump+".policy", []byte("no_ttl: true\n"), 0o644)
	r = mustRun(t, 2, nil, "check", dump)
	if !strings.Contains(r.err.Error(), "no_ttl") {
		t.Fatal(r.err)
	}
}

func TestDiff(t *testing.T) {
	f := "../../testdata/corpus/all.rdb"
	dir := t.TempDir()
	// same keys, other encodings (RDB 9: ziplists, quicklist, hashtable
	// sets): equal keys; RDB 9 has no functions, so the library is gone
	v9 := filepath.Join(dir, "v9.rdb")
	mustRun(t, 0, nil, "rewrite", f, "-o", v9, "--rdb-version", "9")
	r := mustRun(t, 1, nil, "diff", f, v9)
	if !strings.Contains(r.stdout, "0 added, 0 removed, 0 changed") || !strings.Contains(r.stdout, "- function library mylib\n") {
		t.Fatal(r.stdout)
	}
	// the same at RDB 10, which keeps functions: equal
	v10 := filepath.Join(dir, "v10.rdb")
	mustRun(t, 0, nil, "rewrite", f, "-o", v10, "--rdb-version", "10")
	r = mustRun(t, 0, nil, "diff", f, v10)
	if !strings.Contains(r.stdout, "0 added, 0 removed, 0 changed") || strings.Contains(r.stdout, "function") {
		t.Fatal(r.stdout)
	}
	in, _ := os.ReadFile(f)
	mustRun(t, 0, bytes.NewReader(in), "diff", "-", v10)

	// prune + persist: removed keys and expiry changes
	p := filepath.Join(dir, "p.rdb")
	mustRun(t, 0, nil, "refresh", f, "-o", p, "--prune", "fpg:*")
	r = mustRun(t, 1, nil, "diff", f, p)
	if !strings.Contains(r.stdout, "- db0 fpg:") || !strings.Contains(r.stdout, "expiry ") || !strings.Contains(r.stdout, "-> none") {
		t.Fatal(r.stdout)
	}
	r = mustRun(t, 1, nil, "diff", p, f, "--json")
	var res struct {
		Added   []struct{ Key string }
		Removed []struct{ Key string }
		Changed []struct {
			Key  string
			What []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Added) == 0 || len(res.Removed) != 0 || len(res.Changed) == 0 {
		t.Fatalf("%v %s", err, r.stdout)
	}

	// a value change and a type change, built through export/import
	jsonl := mustRun(t, 0, nil, "export", f).stdout
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	var changedKey, typeKey string
	for i, l := range lines {
		var e struct {
			Key  string
			Type string
		}
		json.Unmarshal([]byte(l), &e)
		if e.Type == "string" && changedKey == "" && strings.HasPrefix(e.Key, "counter:") {
			changedKey = e.Key
			lines[i] = strings.Replace(l, `"value":"`, `"value":"9`, 1)
		} else if e.Type == "set" && typeKey == "" {
			typeKey = e.Key
			lines[i] = `{"db":0,"key":"` + e.Key + `","type":"list","expire_ms":-1,"value":["a"]}`
		}
	}
	mod := filepath.Join(dir, "mod.rdb")
	mustRun(t, 0, strings.NewReader(strings.Join(lines, "\n")), "import", "-", "-o", mod)
	r = mustRun(t, 1, nil, "diff", f, mod)
	if !strings.Contains(r.stdout, "~ db0 "+changedKey+": string value changed") || !strings.Contains(r.stdout, "~ db0 "+typeKey+": type set -> list") {
		t.Fatalf("changed %s, retyped %s:\n%s", changedKey, typeKey, r.stdout)
	}
	if !strings.Contains(r.stdout, "0 added, 0 removed, 2 changed") {
		t.Fatal(r.stdout)
	}
	mustRun(t, 2, nil, "diff", f)
	mustRun(t, 2, nil, "diff", "-", "-")
	mustRun(t, 2, nil, "diff", f, filepath.Join(dir, "missing.rdb"))
}

// TestPrunePersist: outputs pass redis-check-rdb, untouched keys keep their
// bytes, --keep-newest spares the newest names, stdin works.
func TestPrunePersist(t *testing.T) {
	f := "../../testdata/corpus/all.rdb"
	dir := t.TempDir()
	orig := map[string]*rdb.Entry{}
	var fpg []string
	for _, e := range readEntries(t, f) {
		orig[string(e.Key)] = e
		if strings.HasPrefix(string(e.Key), "fpg:") {
			fpg = append(fpg, string(e.Key))
		}
	}
	out := filepath.Join(dir, "pruned.rdb")
	r := mustRun(t, 0, nil, "prune", f, "-o", out, "--match", "fpg:*", "--keep-newest", "2")
	if !strings.Contains(r.stderr, "pruned ") || !strings.Contains(r.stderr, "spared the 2 newest") {
		t.Fatal(r.stderr)
	}
	if err := redistest.CheckRDB(t, out); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, e := range readEntries(t, out) {
		o := orig[string(e.Key)]
		if !bytes.Equal(o.Value, e.Value) || o.ExpireMs != e.ExpireMs || o.Type != e.Type {
			t.Errorf("key %q changed", e.Key)
		}
		if strings.HasPrefix(string(e.Key), "fpg:") {
			kept++
		}
	}
	if kept != 2 {
		t.Fatalf("kept %d fpg keys, want 2", kept)
	}
	// same through stdin (spooled) to stdout
	in, _ := os.ReadFile(f)
	r = mustRun(t, 0, bytes.NewReader(in), "prune", "-", "-o", "-", "--match", "fpg:*", "--keep-newest", "2")
	if b, _ := os.ReadFile(out); !bytes.Equal(b, []byte(r.stdout)) {
		t.Fatal("prune from stdin differs from prune from the file")
	}
	mustRun(t, 2, nil, "prune", f, "-o", out)                               // no condition
	mustRun(t, 2, nil, "prune", f, "--match", "x")                          // no output
	mustRun(t, 2, nil, "prune", f, "-o", out, "--in-place", "--match", "x") // both
	mustRun(t, 2, nil, "prune", "-", "--in-place", "--match", "x")
	mustRun(t, 2, nil, "prune", f, "-o", out, "--larger-than", "lots")

	// persist: every expiry gone, values identical, expired keys reported
	per := filepath.Join(dir, "persist.rdb")
	r = mustRun(t, 0, nil, "persist", f, "-o", per, "--now", "2100-01-01T00:00:00Z")
	if !strings.Contains(r.stderr, "already passed") {
		t.Fatal(r.stderr)
	}
	n := 0
	for _, e := range readEntries(t, per) {
		n++
		if e.HasExpiry() {
			t.Errorf("key %q kept its expiry", e.Key)
		}
		if !bytes.Equal(orig[string(e.Key)].Value, e.Value) {
			t.Errorf("key %q changed its value", e.Key)
		}
	}
	if n != len(orig) {
		t.Fatalf("%d keys, want %d", n, len(orig))
	}
	if err := redistest.CheckRDB(t, per); err != nil {
		t.Fatal(err)
	}
	// --drop-expired with a far-future now drops every key with a TTL;
	// --match limits it
	mustRun(t, 0, nil, "persist", f, "-o", per, "--now", "2200-01-01T00:00:00Z", "--drop-expired", "--match", "session:*")
	for _, e := range readEntries(t, per) {
		if strings.HasPrefix(string(e.Key), "session:") && orig[string(e.Key)].HasExpiry() {
			t.Errorf("expired %q kept", e.Key)
		}
		if !strings.HasPrefix(string(e.Key), "session:") && e.ExpireMs != orig[string(e.Key)].ExpireMs {
			t.Errorf("unmatched %q changed its expiry", e.Key)
		}
	}
}

// TestRefreshPolicyBesideOutput: refresh site.rdb -o testdata/dump.rdb
// uses testdata/dump.rdb.policy.
func TestRefreshPolicyBesideOutput(t *testing.T) {
	dir := t.TempDir()
	td := filepath.Join(dir, "testdata")
	os.Mkdir(td, 0o755)
	os.WriteFile(filepath.Join(td, "dump.rdb.policy"), []byte("prune: [\"fpg:*\"]\ndrop-expired: true\nno-ttl: true\nforbid: [\"fpg:*\"]\n"), 0o644)
	out := filepath.Join(td, "dump.rdb")
	r := mustRun(t, 0, nil, "refresh", "../../testdata/corpus/all.rdb", "-o", out)
	if !strings.Contains(r.stderr, "dump.rdb.policy") {
		t.Fatal(r.stderr)
	}
	mustRun(t, 0, nil, "check", out)
	for _, e := range readEntries(t, out) {
		if strings.HasPrefix(string(e.Key), "fpg:") || e.HasExpiry() {
			t.Fatalf("key %q survived the policy", e.Key)
		}
	}
}

// TestFieldExpiries: check --no-ttl sees hash field expiries (Redis 7.4),
// and persist removes them, so a refreshed fixture has nothing that expires.
func TestFieldExpiries(t *testing.T) {
	src := "../../testdata/corpus/hand_v12_hash_ttl.rdb"
	r := mustRun(t, exitFound, nil, "check", src, "--no-ttl")
	if !strings.Contains(r.stdout+r.stderr, "hash fields with an expiry") {
		t.Fatalf("check --no-ttl did not report field expiries:\n%s%s", r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "p.rdb")
	r = mustRun(t, 0, nil, "persist", src, "-o", out)
	if !strings.Contains(r.stderr, "hash fields") {
		t.Errorf("persist report: %s", r.stderr)
	}
	mustRun(t, 0, nil, "check", out, "--no-ttl")
	// the fields and values are all still there
	a := mustRun(t, 0, nil, "export", src).stdout
	b := mustRun(t, 0, nil, "export", out).stdout
	strip := regexp.MustCompile(`,"expire_ms":-?\d+`)
	if strip.ReplaceAllString(a, "") != strip.ReplaceAllString(b, "") {
		t.Errorf("content changed beyond expiries:\n%s\n%s", a, b)
	}
}
