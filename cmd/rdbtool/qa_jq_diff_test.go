package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestQAJQDiffStreamLength: two streams with the same entries but another
// length (XLEN) are different data; diff called them equal.
func TestQAJQDiffStreamLength(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, length string) string {
		p := filepath.Join(dir, name)
		line := `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"length":` + length +
			`,"entries":[{"id":"5-1","fields":[["a","b"]]},{"id":"6-0","fields":[["c","d"]]}]}}` + "\n"
		mustRun(t, 0, strings.NewReader(line), "import", "-", "-o", p)
		return p
	}
	a, b := mk("a.rdb", "2"), mk("b.rdb", "5")
	r := mustRun(t, 1, nil, "diff", a, b)
	if !strings.Contains(r.stdout, "~ db0 s: stream value changed") {
		t.Fatalf("diff text:\n%s", r.stdout)
	}
	mustRun(t, 0, nil, "diff", a, mk("c.rdb", "0"))
}

// TestQAJQDiffTextMatchesJSON: diff's text and --json say the same: every
// added, removed and changed key of the JSON has its text line, with the
// same detail, and the exit code is 1 for both. The detail of a type
// change ("\"old\" -> 1 element") was in the JSON only.
func TestQAJQDiffTextMatchesJSON(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.rdb"), filepath.Join(dir, "b.rdb")
	mustRun(t, 0, strings.NewReader(strings.Join([]string{
		`{"db":0,"key":"gone","type":"string","expire_ms":-1,"value":"x"}`,
		`{"db":0,"key":"val","type":"string","expire_ms":-1,"value":"old"}`,
		`{"db":0,"key":"typ","type":"string","expire_ms":-1,"value":"old"}`,
		`{"db":0,"key":"exp","type":"string","expire_ms":-1,"value":"x"}`,
		`{"db":0,"key":"both","type":"list","expire_ms":4102444800000,"value":["a"]}`,
		`{"db":1,"key":{"base64":"/w=="},"type":"set","expire_ms":-1,"value":["a"]}`,
		`{"db":0,"key":"same","type":"hash","expire_ms":-1,"value":[{"field":"a","value":"1"},{"field":"b","value":"2"}]}`,
	}, "\n")), "import", "-", "-o", a)
	mustRun(t, 0, strings.NewReader(strings.Join([]string{
		`{"db":0,"key":"new","type":"zset","expire_ms":-1,"value":[{"member":"m","score":0.1}]}`,
		`{"db":0,"key":"val","type":"string","expire_ms":-1,"value":"new"}`,
		`{"db":0,"key":"typ","type":"list","expire_ms":-1,"value":["old"]}`,
		`{"db":0,"key":"exp","type":"string","expire_ms":4102444800000,"value":"x"}`,
		`{"db":0,"key":"both","type":"list","expire_ms":-1,"value":["a","b"]}`,
		`{"db":1,"key":{"base64":"/w=="},"type":"set","expire_ms":-1,"value":["b"]}`,
		`{"db":0,"key":"same","type":"hash","expire_ms":-1,"value":[{"field":"b","value":"2"},{"field":"a","value":"1"}]}`,
	}, "\n")), "import", "-", "-o", b)
	text := mustRun(t, 1, nil, "diff", a, b).stdout
	var res struct {
		Added, Removed []struct {
			DB   int
			Key  any
			Type string
		}
		Changed []struct {
			DB     int
			Key    any
			What   []string
			Detail string
		}
		Unchanged int
	}
	if err := json.Unmarshal([]byte(mustRun(t, 1, nil, "diff", a, b, "--json").stdout), &res); err != nil {
		t.Fatal(err)
	}
	name := func(k any) string {
		if s, ok := k.(string); ok {
			return s
		}
		return `"\xff"` // the one binary key
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(res.Added) != 1 || len(res.Removed) != 1 || len(res.Changed) != 5 || res.Unchanged != 1 {
		t.Fatalf("--json: %+v", res)
	}
	if want := len(res.Added) + len(res.Removed) + len(res.Changed) + 1; len(lines) != want {
		t.Fatalf("%d text lines, want %d:\n%s", len(lines), want, text)
	}
	has := func(prefix, detail string) {
		t.Helper()
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, detail) {
				return
			}
		}
		t.Errorf("no text line %q...%q in:\n%s", prefix, detail, text)
	}
	for _, k := range res.Added {
		has("+ db"+strconv.Itoa(k.DB)+" "+name(k.Key)+" ("+k.Type+")", "")
	}
	for _, k := range res.Removed {
		has("- db"+strconv.Itoa(k.DB)+" "+name(k.Key)+" ("+k.Type+")", "")
	}
	for _, c := range res.Changed {
		has("~ db"+strconv.Itoa(c.DB)+" "+name(c.Key)+":", c.Detail)
		for _, w := range c.What {
			has("~ db"+strconv.Itoa(c.DB)+" "+name(c.Key)+":", map[string]string{"type": "type ", "value": "value changed", "expiry": "expiry "}[w])
		}
	}
	if !strings.HasSuffix(text, "1 added, 1 removed, 5 changed, 1 unchanged\n") {
		t.Errorf("summary:\n%s", text)
	}
}
