package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The --json reports of prune, persist, refresh, rewrite, import and
// verify: each is checked against the text report of the same run and
// against what inspect --json says of the files.

const (
	jrAll = "../../testdata/corpus/all.rdb"
	jrNow = "2026-12-01T00:00:00Z" // a fixed "now" (some of all.rdb's expiries before, some after) so text and JSON runs agree
)

// jrObject parses out as one JSON object, failing unless it is exactly one.
func jrObject(t *testing.T, what, out string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: not a JSON object: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON value:\n%s", what, out)
	}
	return m
}

// jrNum is the integer field key of m.
func jrNum(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		t.Fatalf("field %q: %#v is not a number", key, m[key])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("field %q: %v", key, err)
	}
	return v
}

// jrList is the list field key of m; null or absent fails.
func jrList(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	l, ok := m[key].([]any)
	if !ok {
		t.Fatalf("field %q: %#v is not a list", key, m[key])
	}
	return l
}

func jrObj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("field %q: %#v is not an object", key, m[key])
	}
	return o
}

// jrHas fails unless m has exactly the fields want.
func jrHas(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: fields %v, want %v", what, got, want)
	}
}

// jrKeys turns a list of {"db","key"} into "db0 key" strings.
func jrKeys(t *testing.T, l []any) []string {
	t.Helper()
	var out []string
	for _, x := range l {
		o, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("%#v is not an object", x)
		}
		out = append(out, fmt.Sprintf("db%d %v", jrNum(t, o, "db"), o["key"]))
	}
	return out
}

// jrInspect is inspect --json of path.
func jrInspect(t *testing.T, path string) map[string]any {
	t.Helper()
	return jrObject(t, "inspect "+path, mustRun(t, 0, nil, "inspect", "--json", "--now", jrNow, path).stdout)
}

// jrExpiring sums the "expiring" keys of inspect's databases.
func jrExpiring(t *testing.T, insp map[string]any) int64 {
	t.Helper()
	var n int64
	for _, d := range jrList(t, insp, "databases") {
		n += jrNum(t, d.(map[string]any), "expiring")
	}
	return n
}

// jrMatch returns the integer groups of re in s, failing when it does not match.
func jrMatch(t *testing.T, re, s string) []int64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not found in:\n%s", re, s)
	}
	var out []int64
	for _, g := range m[1:] {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func jrSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

var jrRewriteFields = []string{"input", "output", "input_rdb_version", "output_rdb_version", "keys_in", "keys_out",
	"input_bytes", "output_bytes", "checksum", "converted", "warnings", "warnings_omitted", "unconvertible", "trailing_bytes"}

// jrCheckRewrite checks the fields every rewriting command reports against
// the files themselves.
func jrCheckRewrite(t *testing.T, what string, m map[string]any, in, out string) {
	t.Helper()
	ii, oi := jrInspect(t, in), jrInspect(t, out)
	if m["input"] != in || m["output"] != out {
		t.Errorf("%s: input %v output %v, want %s %s", what, m["input"], m["output"], in, out)
	}
	if jrNum(t, m, "keys_in") != jrNum(t, ii, "keys") || jrNum(t, m, "keys_out") != jrNum(t, oi, "keys") {
		t.Errorf("%s: keys_in %v keys_out %v, inspect says %v and %v", what, m["keys_in"], m["keys_out"], ii["keys"], oi["keys"])
	}
	if jrNum(t, m, "input_bytes") != jrSize(t, in) || jrNum(t, m, "output_bytes") != jrSize(t, out) {
		t.Errorf("%s: input_bytes %v output_bytes %v, files are %d and %d bytes", what, m["input_bytes"], m["output_bytes"], jrSize(t, in), jrSize(t, out))
	}
	if jrNum(t, m, "input_rdb_version") != jrNum(t, ii, "rdb_version") || jrNum(t, m, "output_rdb_version") != jrNum(t, oi, "rdb_version") {
		t.Errorf("%s: versions %v -> %v, inspect says %v -> %v", what, m["input_rdb_version"], m["output_rdb_version"], ii["rdb_version"], oi["rdb_version"])
	}
	if sum := jrObj(t, m, "checksum"); sum["status"] != "ok" || sum["stored"] != jrObj(t, ii, "checksum")["stored"] {
		t.Errorf("%s: checksum %v, inspect of the input says %v", what, sum, ii["checksum"])
	}
	jrList(t, m, "warnings")
	jrList(t, m, "unconvertible")
}

// TestJSONReportRewrite: rewrite --json has the figures the text report
// gives (warnings, converted count) and those of the files; the text report
// is not printed.
func TestJSONReportRewrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "v9.rdb")
	text := mustRun(t, 0, nil, "rewrite", jrAll, "-o", out, "--rdb-version", "9")
	r := mustRun(t, 0, nil, "rewrite", jrAll, "-o", out, "--rdb-version", "9", "--json")
	if r.stderr != "" {
		t.Fatalf("rewrite --json also wrote on stderr: %q", r.stderr)
	}
	m := jrObject(t, "rewrite --json", r.stdout)
	jrHas(t, "rewrite --json", m, jrRewriteFields...)
	jrCheckRewrite(t, "rewrite --json", m, jrAll, out)
	if jrNum(t, m, "output_rdb_version") != 9 {
		t.Errorf("output_rdb_version %v, want 9", m["output_rdb_version"])
	}
	conv := jrMatch(t, `converted (\d+) values from RDB \d+ to RDB 9`, text.stderr)
	if jrNum(t, m, "converted") != conv[0] || conv[0] == 0 {
		t.Errorf("converted %v, text says %d", m["converted"], conv[0])
	}
	var warns []string
	for _, w := range jrList(t, m, "warnings") {
		warns = append(warns, "warning: "+w.(string))
	}
	if len(warns) == 0 || !strings.Contains(text.stderr, strings.Join(warns, "\n")+"\n") {
		t.Errorf("warnings %q are not the text report's:\n%s", warns, text.stderr)
	}

	// A failed conversion still reports the keys it could not write.
	text = mustRun(t, 2, nil, "rewrite", jrAll, "-o", out+"8", "--rdb-version", "8")
	r = mustRun(t, 2, nil, "rewrite", jrAll, "-o", out+"8", "--rdb-version", "8", "--json")
	m = jrObject(t, "rewrite --rdb-version 8 --json", r.stdout)
	keys := jrKeys(t, jrList(t, m, "unconvertible"))
	if len(keys) == 0 {
		t.Fatalf("no unconvertible keys: %s", r.stdout)
	}
	for _, k := range keys {
		if !strings.Contains(text.stderr, "\n  "+k+"\n") {
			t.Errorf("unconvertible %s is not in the text list:\n%s", k, text.stderr)
		}
	}
	if strings.Contains(r.stderr, "cannot be written") || strings.Contains(r.stderr, "warning:") {
		t.Errorf("text report printed with --json: %q", r.stderr)
	}
	if _, err := os.Stat(out + "8"); err == nil {
		t.Errorf("failed rewrite wrote %s", out+"8")
	}
}

// TestJSONReportPrune: prune --json gives what the text says was removed
// and spared, and the output's key count.
func TestJSONReportPrune(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.rdb")
	args := []string{"prune", jrAll, "-o", out, "--match", "session:*", "--keep-newest", "1"}
	text := mustRun(t, 0, nil, args...)
	r := mustRun(t, 0, nil, append(args, "--json")...)
	if r.stderr != "" {
		t.Fatalf("prune --json also wrote on stderr: %q", r.stderr)
	}
	m := jrObject(t, "prune --json", r.stdout)
	jrHas(t, "prune --json", m, append(jrRewriteFields, "removed", "removed_value_bytes", "spared", "keep_newest")...)
	jrCheckRewrite(t, "prune --json", m, jrAll, out)
	want := jrMatch(t, `pruned (\d+) keys \((\d+) value bytes`, text.stderr)
	spared := jrMatch(t, `spared the (\d+) newest`, text.stderr)
	if jrNum(t, m, "removed") != want[0] || jrNum(t, m, "removed_value_bytes") != want[1] || want[0] == 0 {
		t.Errorf("removed %v (%v bytes), text says %d (%d)", m["removed"], m["removed_value_bytes"], want[0], want[1])
	}
	if jrNum(t, m, "spared") != spared[0] || jrNum(t, m, "keep_newest") != 1 {
		t.Errorf("spared %v keep_newest %v, text says %d spared", m["spared"], m["keep_newest"], spared[0])
	}
	if jrNum(t, m, "keys_in")-jrNum(t, m, "removed") != jrNum(t, m, "keys_out") {
		t.Errorf("keys_in %v - removed %v != keys_out %v", m["keys_in"], m["removed"], m["keys_out"])
	}
}

// TestJSONReportPersist: persist --json counts every expiry the input had
// (inspect's expiring keys) and lists the past keys the text lists.
func TestJSONReportPersist(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.rdb")
	args := []string{"persist", jrAll, "-o", out, "--now", jrNow}
	text := mustRun(t, 0, nil, args...)
	r := mustRun(t, 0, nil, append(args, "--json")...)
	if r.stderr != "" {
		t.Fatalf("persist --json also wrote on stderr: %q", r.stderr)
	}
	m := jrObject(t, "persist --json", r.stdout)
	jrHas(t, "persist --json", m, append(jrRewriteFields, "persisted", "past_kept", "past", "dropped",
		"fields_persisted", "fields_dropped", "drop_expired", "now_ms")...)
	jrCheckRewrite(t, "persist --json", m, jrAll, out)
	now, _ := time.Parse(time.RFC3339, jrNow)
	if jrNum(t, m, "now_ms") != now.UnixMilli() || m["drop_expired"] != false {
		t.Errorf("now_ms %v drop_expired %v", m["now_ms"], m["drop_expired"])
	}
	removed := jrMatch(t, `removed the expiry of (\d+) keys`, text.stderr)[0]
	had := jrExpiring(t, jrInspect(t, jrAll))
	if got := jrNum(t, m, "persisted") + jrNum(t, m, "past_kept"); got != removed || got != had || had == 0 {
		t.Errorf("persisted + past_kept = %d, text says %d, the input has %d expiring keys", got, removed, had)
	}
	if n := jrExpiring(t, jrInspect(t, out)); n != 0 {
		t.Errorf("the output still has %d expiring keys", n)
	}
	past := jrKeys(t, jrList(t, m, "past"))
	if int64(len(past)) != jrNum(t, m, "past_kept") || len(past) == 0 {
		t.Errorf("past lists %d keys, past_kept %v", len(past), m["past_kept"])
	}
	for _, k := range past {
		if !strings.Contains(text.stderr, "\n  "+k+"\n") {
			t.Errorf("past key %s is not in the text list:\n%s", k, text.stderr)
		}
	}
}

// TestJSONReportRefresh: refresh --json has the prune and persist figures
// of the text report and an empty verdict when the policy holds.
func TestJSONReportRefresh(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.rdb")
	pol := writePolicy(t, dir, "forbid: [\"session:*\"]\nno-ttl: true\n")
	args := []string{"refresh", jrAll, "-o", out, "--policy", pol, "--prune", "session:*", "--now", jrNow}
	text := mustRun(t, 0, nil, args...)
	r := mustRun(t, 0, nil, append(args, "--json")...)
	if r.stderr != "" {
		t.Fatalf("refresh --json also wrote on stderr: %q", r.stderr)
	}
	m := jrObject(t, "refresh --json", r.stdout)
	jrHas(t, "refresh --json", m, append(jrRewriteFields, "ok", "policy", "violations", "omitted", "prune", "persist")...)
	jrCheckRewrite(t, "refresh --json", m, jrAll, out)
	if m["ok"] != true || m["policy"] != pol || len(jrList(t, m, "violations")) != 0 || len(jrObj(t, m, "omitted")) != 0 {
		t.Errorf("verdict: ok %v policy %v violations %v omitted %v", m["ok"], m["policy"], m["violations"], m["omitted"])
	}
	pr := jrMatch(t, `pruned (\d+) keys \((\d+) value bytes`, text.stderr)
	p := jrObj(t, m, "prune")
	if jrNum(t, p, "removed") != pr[0] || jrNum(t, p, "removed_value_bytes") != pr[1] || pr[0] == 0 {
		t.Errorf("prune %v, text says %v", p, pr)
	}
	ps := jrObj(t, m, "persist")
	removed := jrMatch(t, `removed the expiry of (\d+) keys`, text.stderr)[0]
	if got := jrNum(t, ps, "persisted") + jrNum(t, ps, "past_kept"); got != removed {
		t.Errorf("persisted + past_kept = %d, text says %d", got, removed)
	}
	if got := jrMatch(t, `wrote (\d+) keys`, text.stderr)[0]; jrNum(t, m, "keys_out") != got {
		t.Errorf("keys_out %v, text says %d", m["keys_out"], got)
	}
}

// TestJSONReportRefreshViolation: a broken policy is exit 1 with the
// violations in the JSON, the same ones the text lists, nothing written.
func TestJSONReportRefreshViolation(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.rdb")
	pol := writePolicy(t, dir, "forbid: [\"stale:*\", \"lock:*\"]\nrequire: [\"nothing:*\"]\n")
	args := []string{"refresh", jrAll, "-o", out, "--policy", pol, "--now", jrNow}
	text := mustRun(t, 1, nil, args...)
	r := mustRun(t, 1, nil, append(args, "--json")...)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("refresh wrote %s despite the violations", out)
	}
	if !strings.Contains(r.err.Error(), "breaks the policy") {
		t.Errorf("error: %v", r.err)
	}
	if strings.Contains(r.stderr, "forbid:") {
		t.Errorf("violations printed as text with --json: %q", r.stderr)
	}
	m := jrObject(t, "refresh --json (violated)", r.stdout)
	if m["ok"] != false || m["output"] != out {
		t.Errorf("ok %v output %v", m["ok"], m["output"])
	}
	vs := jrList(t, m, "violations")
	rules := map[string]int{}
	for _, v := range vs {
		o := v.(map[string]any)
		rules[o["rule"].(string)]++
		line := fmt.Sprintf("%v: %v", o["rule"], o["message"])
		if o["key"] != nil {
			line = fmt.Sprintf("%v: db%d %v: %v", o["rule"], jrNum(t, o, "db"), o["key"], o["message"])
		}
		if !strings.Contains(text.stderr, line+"\n") {
			t.Errorf("violation %q is not in the text report:\n%s", line, text.stderr)
		}
	}
	if textLines := strings.Count(text.stderr, "forbid: ") + strings.Count(text.stderr, "require: "); textLines != len(vs) || rules["forbid"] == 0 || rules["require"] != 1 {
		t.Errorf("%d violations %v, the text has %d:\n%s", len(vs), rules, textLines, text.stderr)
	}
}

// TestJSONReportVerify: verify --json of a sound file agrees with inspect;
// of a damaged one it gives the problem the text error gives, exit 2.
func TestJSONReportVerify(t *testing.T) {
	r := mustRun(t, 0, nil, "verify", "--json", jrAll)
	m := jrObject(t, "verify --json", r.stdout)
	jrHas(t, "verify --json", m, "input", "ok", "rdb_version", "keys", "size_bytes", "trailing_bytes", "checksum", "problems")
	insp := jrInspect(t, jrAll)
	if m["ok"] != true || m["input"] != jrAll || jrNum(t, m, "keys") != jrNum(t, insp, "keys") ||
		jrNum(t, m, "rdb_version") != jrNum(t, insp, "rdb_version") || jrNum(t, m, "size_bytes") != jrSize(t, jrAll) ||
		jrNum(t, m, "trailing_bytes") != 0 || len(jrList(t, m, "problems")) != 0 {
		t.Errorf("verify --json %v, inspect says keys %v version %v", m, insp["keys"], insp["rdb_version"])
	}
	if sum, isum := jrObj(t, m, "checksum"), jrObj(t, insp, "checksum"); sum["status"] != "ok" || sum["stored"] != isum["stored"] || sum["computed"] != isum["computed"] {
		t.Errorf("checksum %v, inspect says %v", sum, isum)
	}

	dir := t.TempDir()
	whole, err := os.ReadFile(jrAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		kind string
		key  bool
	}{
		{"trunc.rdb", whole[:len(whole)/2], "truncated", true},
		{"sum.rdb", append(append([]byte(nil), whole[:len(whole)-3]...), whole[len(whole)-3]^0xff, whole[len(whole)-2], whole[len(whole)-1]), "checksum", false},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		text := mustRun(t, 2, nil, "verify", path)
		r := mustRun(t, 2, nil, "verify", "--json", path)
		m := jrObject(t, "verify --json "+tc.name, r.stdout)
		ps := jrList(t, m, "problems")
		if m["ok"] != false || len(ps) != 1 {
			t.Fatalf("%s: ok %v problems %v", tc.name, m["ok"], ps)
		}
		p := ps[0].(map[string]any)
		// the text error is "FILE: offset N, key "K": message"
		want := fmt.Sprintf("offset %d", jrNum(t, p, "offset"))
		if tc.key {
			want += fmt.Sprintf(", key %q", p["key"])
		} else if _, has := p["key"]; has {
			t.Errorf("%s: key %v outside a key", tc.name, p["key"])
		}
		want += ": " + p["message"].(string)
		if p["kind"] != tc.kind || !strings.Contains(text.err.Error(), want) {
			t.Errorf("%s: problem %v, text error %v", tc.name, p, text.err)
		}
		if tc.kind == "checksum" {
			if sum := jrObj(t, m, "checksum"); sum["status"] != "mismatch" || sum["stored"] == sum["computed"] {
				t.Errorf("%s: checksum %v", tc.name, sum)
			}
		}
	}
}

// TestJSONReportImport: import --json gives the version and key count of
// the file it wrote, and the unconvertible keys when it fails.
func TestJSONReportImport(t *testing.T) {
	dir := t.TempDir()
	jl, out := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "all.rdb")
	mustRun(t, 0, nil, "export", jrAll, "-o", jl)
	r := mustRun(t, 0, nil, "import", jl, "-o", out, "--rdb-version", "10", "--json")
	if r.stderr != "" {
		t.Fatalf("import --json also wrote on stderr: %q", r.stderr)
	}
	m := jrObject(t, "import --json", r.stdout)
	jrHas(t, "import --json", m, "input", "output", "rdb_version", "keys", "converted", "warnings", "warnings_omitted", "unconvertible")
	insp := jrInspect(t, out)
	if m["input"] != jl || m["output"] != out || jrNum(t, m, "keys") != jrNum(t, insp, "keys") ||
		jrNum(t, m, "keys") != jrNum(t, jrInspect(t, jrAll), "keys") || jrNum(t, m, "rdb_version") != jrNum(t, insp, "rdb_version") ||
		len(jrList(t, m, "unconvertible")) != 0 {
		t.Errorf("import --json %v, inspect of the output: keys %v version %v", m, insp["keys"], insp["rdb_version"])
	}
	jrList(t, m, "warnings")

	text := mustRun(t, 2, nil, "import", jl, "-o", out+"8", "--rdb-version", "8")
	r = mustRun(t, 2, nil, "import", jl, "-o", out+"8", "--rdb-version", "8", "--json")
	m = jrObject(t, "import --rdb-version 8 --json", r.stdout)
	keys := jrKeys(t, jrList(t, m, "unconvertible"))
	if len(keys) == 0 || jrNum(t, m, "rdb_version") != 8 {
		t.Fatalf("import --rdb-version 8 --json: %s", r.stdout)
	}
	for _, k := range keys {
		if !strings.Contains(text.stderr, "\n  "+k+"\n") {
			t.Errorf("unconvertible %s is not in the text list:\n%s", k, text.stderr)
		}
	}
	for _, w := range jrList(t, m, "warnings") {
		if !strings.Contains(text.stderr, "warning: "+w.(string)+"\n") {
			t.Errorf("warning %q is not in the text report:\n%s", w, text.stderr)
		}
	}
}

// TestJSONReportStdout: with -o - the RDB on stdout is intact (the same
// keys as a file written with -o FILE) and the JSON report is on stderr.
func TestJSONReportStdout(t *testing.T) {
	dir := t.TempDir()
	jl := filepath.Join(dir, "all.jsonl")
	mustRun(t, 0, nil, "export", jrAll, "-o", jl)
	for _, args := range [][]string{
		{"rewrite", jrAll},
		{"rewrite", jrAll, "--rdb-version", "9"},
		{"prune", jrAll, "--match", "session:*"},
		{"persist", jrAll, "--now", jrNow},
		{"refresh", jrAll, "--prune", "session:*", "--now", jrNow},
		{"import", jl},
	} {
		what := strings.Join(args, " ")
		file := filepath.Join(dir, args[0]+".rdb")
		mustRun(t, 0, nil, append(args, "-o", file)...)
		r := mustRun(t, 0, nil, append(args, "-o", "-", "--json")...)
		piped := filepath.Join(dir, args[0]+"-stdout.rdb")
		if err := os.WriteFile(piped, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, 0, nil, "verify", piped)
		want, got := jrEntryKeys(t, file), jrEntryKeys(t, piped)
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s -o -: %d keys on stdout, %d with -o FILE", what, len(got), len(want))
		}
		m := jrObject(t, what+" -o - --json (stderr)", r.stderr)
		keysField := "keys_out"
		if args[0] == "import" {
			keysField = "keys"
		}
		if m["output"] != "-" || jrNum(t, m, keysField) != int64(len(want)) {
			t.Errorf("%s: report %v, %d keys written", what, m, len(want))
		}
		if args[0] != "import" && jrNum(t, m, "output_bytes") != int64(len(r.stdout)) {
			t.Errorf("%s: output_bytes %v, stdout has %d", what, m["output_bytes"], len(r.stdout))
		}
	}
}

// jrEntryKeys lists "db key" of every entry of an RDB file, sorted.
func jrEntryKeys(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, e := range readEntries(t, path) {
		out = append(out, fmt.Sprintf("%d %q", e.DB, e.Key))
	}
	sort.Strings(out)
	return out
}

// TestJSONReportHelp: every command's --help names --json and its fields.
func TestJSONReportHelp(t *testing.T) {
	for cmd, field := range map[string]string{
		"prune":   `"removed_value_bytes"`,
		"persist": `"past_kept"`,
		"refresh": `"violations"`,
		"rewrite": `"unconvertible"`,
		"import":  `"rdb_version"`,
		"verify":  `"problems"`,
	} {
		r := mustRun(t, 0, nil, cmd, "--help")
		if !strings.Contains(r.stdout, "--json") || !strings.Contains(r.stdout, field) || !bytes.Contains([]byte(r.stdout), []byte(`"input"`)) {
			t.Errorf("%s --help does not explain --json (%s):\n%s", cmd, field, r.stdout)
		}
	}
}
