package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// reviewImport imports JSON lines (one key per line, no header needed) to
// dir/name and returns the path.
func reviewImport(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	mustRun(t, 0, strings.NewReader(strings.Join(lines, "\n")+"\n"), "import", "-", "-o", p)
	return p
}

// TestQAReviewDiffKinds: a PR's typical dump edits show as the README
// says, in text and --json: a removed, an added key, a value change, a TTL
// added / changed / removed, a type change, a key moved to another db
// (removed + added), a value and TTL changed at once; exit 1, then 0 for
// the same data in another file, 2 for a damaged file and a missing one.
// The JSON has exactly the documented fields.
func TestQAReviewDiffKinds(t *testing.T) {
	dir := t.TempDir()
	s := func(db int, key, v string, exp int64) string {
		return fmt.Sprintf(`{"db":%d,"key":%q,"type":"string","expire_ms":%d,"value":%q}`, db, key, exp, v)
	}
	a := reviewImport(t, dir, "a.rdb",
		s(0, "gone", "x", -1), s(0, "val", "old", -1), s(0, "ttl:add", "v", -1), s(0, "ttl:chg", "v", 1900000000000),
		s(0, "ttl:del", "v", 1900000000000), s(0, "typ", "old", -1), s(0, "move", "m", -1), s(0, "both", "b1", -1), s(0, "same", "v", -1))
	b := reviewImport(t, dir, "b.rdb",
		s(0, "val", "new", -1), s(0, "ttl:add", "v", 1900000000000), s(0, "ttl:chg", "v", 1900000001000),
		s(0, "ttl:del", "v", -1), `{"db":0,"key":"typ","type":"list","expire_ms":-1,"value":["old"]}`, s(3, "move", "m", -1),
		s(0, "both", "b2", 1900000000000), s(0, "same", "v", -1), s(0, "new", "n", -1))
	text := mustRun(t, 1, nil, "diff", a, b).stdout
	for _, want := range []string{
		"- db0 gone (string)\n",
		"- db0 move (string)\n",
		"+ db3 move (string)\n",
		"+ db0 new (string)\n",
		`~ db0 val: string value changed ("old" -> "new")` + "\n",
		"~ db0 ttl:add: expiry none -> 2030-03-17T17:46:40Z\n",
		"~ db0 ttl:chg: expiry 2030-03-17T17:46:40Z -> 2030-03-17T17:46:41Z\n",
		"~ db0 ttl:del: expiry 2030-03-17T17:46:40Z -> none\n",
		`~ db0 typ: type string -> list ("old" -> 1 element)` + "\n",
		`~ db0 both: string value changed ("b1" -> "b2"); expiry none -> 2030-03-17T17:46:40Z` + "\n",
		"2 added, 2 removed, 6 changed, 1 unchanged\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diff text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, " same") {
		t.Errorf("unchanged key listed:\n%s", text)
	}
	raw := mustRun(t, 1, nil, "diff", a, b, "--json").stdout
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, []string{"added", "changed", "functions", "removed", "unchanged"}) {
		t.Errorf("diff --json fields %v", got)
	}
	var res struct {
		Added   []map[string]any `json:"added"`
		Removed []map[string]any `json:"removed"`
		Changed []map[string]any `json:"changed"`
	}
	json.Unmarshal([]byte(raw), &res)
	for _, k := range append(res.Added, res.Removed...) {
		if got := slices.Sorted(maps.Keys(k)); !slices.Equal(got, []string{"db", "key", "type"}) {
			t.Errorf("added/removed fields %v", got)
		}
	}
	what := map[string]string{}
	for _, c := range res.Changed {
		got := slices.Sorted(maps.Keys(c))
		got = slices.DeleteFunc(got, func(s string) bool { return s == "detail" }) // absent when there is nothing short to show
		if !slices.Equal(got, []string{"db", "key", "new_expire_ms", "new_type", "old_expire_ms", "old_type", "what"}) {
			t.Errorf("changed fields %v", got)
		}
		w, _ := json.Marshal(c["what"])
		what[c["key"].(string)] = string(w)
	}
	for k, w := range map[string]string{"val": `["value"]`, "ttl:add": `["expiry"]`, "typ": `["type"]`, "both": `["value","expiry"]`} {
		if what[k] != w {
			t.Errorf("%s: what %s, want %s", k, what[k], w)
		}
	}

	// the same data written in another order and version: equal, exit 0
	a2 := filepath.Join(dir, "a2.rdb")
	mustRun(t, 0, nil, "rewrite", a, "--rdb-version", "7", "-o", a2)
	if out := mustRun(t, 0, nil, "diff", a, a2).stdout; out != "0 added, 0 removed, 0 changed, 9 unchanged\n" {
		t.Errorf("equal files: %q", out)
	}
	data, _ := os.ReadFile(a)
	mustRun(t, 0, strings.NewReader(string(data)), "diff", "-", a2)
	// damaged or missing input: exit 2, whichever side
	cut := filepath.Join(dir, "cut.rdb")
	os.WriteFile(cut, data[:len(data)-20], 0o644)
	for _, args := range [][]string{{cut, b}, {a, cut}, {a, filepath.Join(dir, "none.rdb")}} {
		r := mustRun(t, 2, nil, append([]string{"diff"}, args...)...)
		if r.stdout != "" {
			t.Errorf("diff %v printed %q before failing", args, r.stdout)
		}
	}
}

// TestQAReviewDiffThousands: a diff with thousands of changes lists every
// one, in db/key order within each kind, and its summary line and --json
// counts agree.
func TestQAReviewDiffThousands(t *testing.T) {
	dir := t.TempDir()
	var la, lb []string
	for i := 0; i < 6000; i++ {
		line := fmt.Sprintf(`{"db":%d,"key":"k:%05d","type":"string","expire_ms":-1,"value":"v%d"}`, i%2, i, i)
		la = append(la, line)
		switch i % 3 {
		case 0: // removed
		case 1:
			lb = append(lb, strings.Replace(line, `"value":"v`, `"value":"w`, 1))
		case 2:
			lb = append(lb, line)
		}
		if i%4 == 0 {
			lb = append(lb, fmt.Sprintf(`{"db":5,"key":"n:%05d","type":"set","expire_ms":-1,"value":["m"]}`, i))
		}
	}
	a, b := reviewImport(t, dir, "a.rdb", la...), reviewImport(t, dir, "b.rdb", lb...)
	text := mustRun(t, 1, nil, "diff", a, b).stdout
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if got, want := lines[len(lines)-1], "1500 added, 2000 removed, 2000 changed, 2000 unchanged"; got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	if len(lines) != 1500+2000+2000+1 {
		t.Errorf("%d lines, want one per difference and the summary", len(lines))
	}
	line := regexp.MustCompile(`^([-+~]) db(\d) (\S+)`)
	var prev [3]string
	for _, l := range lines[:len(lines)-1] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		if m[1] == prev[0] && (m[2] < prev[1] || m[2] == prev[1] && m[3] <= prev[2]) {
			t.Fatalf("not sorted: %q after %v", l, prev)
		}
		prev = [3]string{m[1], m[2], m[3]}
	}
	var res struct {
		Added, Removed, Changed []json.RawMessage
		Unchanged               int
	}
	if err := json.Unmarshal([]byte(mustRun(t, 1, nil, "diff", a, b, "--json").stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1500 || len(res.Removed) != 2000 || len(res.Changed) != 2000 || res.Unchanged != 2000 {
		t.Errorf("--json counts %d %d %d %d", len(res.Added), len(res.Removed), len(res.Changed), res.Unchanged)
	}
}

// TestQAReviewDiffRawToRefreshed: the refresh the README describes, seen
// through diff: the raw site dump against the committed one shows the
// fpg:* bitfiles removed and every TTL dropped (expiry TIME -> none), no
// other change; the counts agree with inspect.
func TestQAReviewDiffRawToRefreshed(t *testing.T) {
	raw := reviewRawSite(t)
	dump := "../../testdata/dump.rdb"
	text := mustRun(t, 1, nil, "diff", raw, dump).stdout
	st := reviewInspect(t, raw)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	removed, changed := 0, 0
	for _, l := range lines[:len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "- db0 fpg:"):
			removed++
		case strings.HasPrefix(l, "~ db0 ") && strings.HasSuffix(l, " -> none") && strings.Contains(l, ": expiry "):
			changed++
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	want := fmt.Sprintf("0 added, %d removed, %d changed, %d unchanged", removed, changed, st.Keys-int64(removed)-int64(changed))
	if removed == 0 || int64(changed) != st.Expiring || lines[len(lines)-1] != want {
		t.Errorf("summary %q, want %q (%d expiring in the raw dump)", lines[len(lines)-1], want, st.Expiring)
	}
}
