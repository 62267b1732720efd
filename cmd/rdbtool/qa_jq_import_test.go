package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// importLines runs rdbtool import on text (stdin) into a temp file and
// returns the result and the output path.
func importLines(t *testing.T, text string, args ...string) (runResult, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.rdb")
	return run(t, strings.NewReader(text), append([]string{"import", "-", "-o", out}, args...)...), out
}

// TestQAJQStreamFieldPairs: a stream entry's fields are [name, value]
// pairs. A hand-written entry with a lone name, or a flat list of several
// names and values in one array, was read as a pair anyway (the value
// empty, the rest dropped) and imported without a word.
func TestQAJQStreamFieldPairs(t *testing.T) {
	for _, fields := range []string{`[["a"]]`, `[["a","b","c","d"]]`, `[[]]`} {
		line := `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"1-1","fields":` + fields + `}]}}` + "\n"
		r, _ := importLines(t, line)
		if r.code != 2 || !strings.Contains(r.err.Error(), "line 1") || !strings.Contains(r.err.Error(), "[name, value]") {
			t.Errorf("fields %s: exit %d, %v; want exit 2 naming line 1 and [name, value]", fields, r.code, r.err)
		}
	}
	// a proper entry still imports, every pair kept
	line := `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"1-1","fields":[["a","b"],["c","d"]]}]}}` + "\n"
	r, out := importLines(t, line)
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	exp := mustRun(t, 0, nil, "export", out).stdout
	if !strings.Contains(exp, `"fields":[["a","b"],["c","d"]]`) {
		t.Fatalf("export after import:\n%s", exp)
	}
}

// TestQAJQBadValueIsNotUnconvertible: a set member given twice or a NaN
// score is wrong input, not data the target version cannot express: the
// error said "value cannot be expressed in the target RDB version" and
// --json printed an empty unconvertible report as if the version were at
// fault. The message says it is the value ("invalid value"), at any
// --rdb-version, with the bad input exit code.
func TestQAJQBadValueIsNotUnconvertible(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"db":0,"key":"s","type":"set","expire_ms":-1,"value":["a","a"]}`, `set member 1 ("a") given twice`},
		{`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"m","score":"nan"}]}`, `zset member "m" has a NaN score`},
		{`{"db":0,"key":"z","type":"zset","expire_ms":-1,"value":[{"member":"m","score":1},{"member":"m","score":2}]}`, `zset member 1 ("m") given twice`},
		{`{"db":0,"key":"h","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"1"},{"field":"f","value":"2"}]}`, `hash field 1 ("f") given twice`},
		{`{"db":0,"key":"x","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"2-0","fields":[["a","b"]]},{"id":"1-0","fields":[["a","b"]]}]}}`, "stream entry IDs not increasing at entry 1"},
	} {
		for _, args := range [][]string{nil, {"--json"}, {"--skip-unconvertible"}, {"--rdb-version", "8", "--skip-unconvertible"}} {
			r, _ := importLines(t, c.line+"\n", args...)
			msg := ""
			if r.err != nil {
				msg = r.err.Error()
			}
			if r.code != 2 || !strings.Contains(msg, "line 1: key ") || !strings.Contains(msg, ": invalid value: "+c.want) ||
				strings.Contains(msg, "target RDB version") || r.stdout != "" {
				t.Errorf("%s %v: exit %d, %q, stdout %q; want exit 2 with \"invalid value: %s\", no version blamed, no report", c.line, args, r.code, msg, r.stdout, c.want)
			}
		}
	}
}

// TestQAJQHandWrittenFile: a file saved by a Windows editor (a UTF-8 byte
// order mark, CRLF line ends) with blank lines and fields in any order
// imports as the same keys. The BOM was read as JSON and refused with
// "invalid character 'ï' looking for beginning of value".
func TestQAJQHandWrittenFile(t *testing.T) {
	text := "\ufeff{\"magic\":\"REDIS\",\"rdb_version\":10}\r\n" +
		"\r\n" +
		"{\"value\":\"x\",\"expire_ms\":-1,\"type\":\"string\",\"key\":\"a\",\"db\":0}\r\n" +
		"   \r\n" +
		"{\"db\":1,\"key\":\"b\",\"type\":\"hash\",\"expire_ms\":4102444800000,\"value\":[{\"value\":\"v\",\"field\":\"f\"}]}" // no final newline
	r, out := importLines(t, text)
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	want := `{"rdb_version":10,"magic":"REDIS"}` + "\n" +
		`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n" +
		`{"db":1,"key":"b","type":"hash","expire_ms":4102444800000,"value":[{"field":"f","value":"v"}]}` + "\n"
	if got := mustRun(t, 0, nil, "export", out).stdout; got != want {
		t.Fatalf("export after import:\n%s\nwant:\n%s", got, want)
	}
}

// TestQAJQNegativeIdle: a negative idle time was taken as "no LRU data"
// and dropped without a word (freq out of 0..255 is already an error).
func TestQAJQNegativeIdle(t *testing.T) {
	for _, idle := range []string{"-5", "-1"} {
		r, _ := importLines(t, `{"db":0,"key":"a","type":"string","expire_ms":-1,"idle":`+idle+`,"value":"x"}`+"\n")
		if r.code != 2 || !strings.Contains(r.err.Error(), "line 1") || !strings.Contains(r.err.Error(), "idle "+idle) {
			t.Errorf("idle %s: exit %d, %v; want exit 2 naming line 1 and the idle value", idle, r.code, r.err)
		}
	}
	r, out := importLines(t, `{"db":0,"key":"a","type":"string","expire_ms":-1,"idle":0,"value":"x"}`+"\n")
	if r.code != 0 {
		t.Fatalf("idle 0: exit %d: %v", r.code, r.err)
	}
	if got := mustRun(t, 0, nil, "export", out).stdout; !strings.Contains(got, `"idle":0,`) {
		t.Fatalf("idle 0 lost:\n%s", got)
	}
}

// TestQAJQErrorsSayWhatToDo: a hand-written line's mistakes are named in
// the terms of the format (the field, what it wants, where on the line),
// not in Go's ("Go struct field Line.db of type int", "Go value of type
// map[string]json.RawMessage", "invalid character '#'").
func TestQAJQErrorsSayWhatToDo(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"# users for the login tests\n", []string{"line 1", "comment", "one JSON object per line"}},
		{`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n// note\n", []string{"line 2", "comment"}},
		{"[1,2]\n", []string{"line 1", "an array", "one JSON object per line"}},
		{`{"db":"0","key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n", []string{"line 1", `"db"`, "string", "want an integer"}},
		{`{"db":0,"key":"a","type":"string","expire_ms":1767312000000.5,"value":"x"}` + "\n", []string{"line 1", `"expire_ms"`, "1767312000000.5", "want an integer"}},
		{`{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x" "y"}` + "\n", []string{"line 1", "column 62"}},
		{`{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":{"f":"v"}}` + "\n", []string{"line 1", `key "a"`, "value", "an object", "want an array"}},
		{`{"db":0,"key":"a","type":"stream","expire_ms":-1,"value":{"entries":[],"groups":[{"name":"g","entries_read":"1"}]}}` + "\n", []string{"line 1", "entries_read", "want an integer"}},
	} {
		r, _ := importLines(t, c.text)
		msg := ""
		if r.err != nil {
			msg = r.err.Error()
		}
		ok := r.code == 2 && !strings.Contains(msg, "Go ") && !strings.Contains(msg, "json.RawMessage") && !strings.Contains(msg, "invalid character '#'")
		for _, w := range c.want {
			ok = ok && strings.Contains(msg, w)
		}
		if !ok {
			t.Errorf("%q: exit %d, %s\nwant exit 2 with %q", c.text, r.code, msg, c.want)
		}
	}
}

// TestQAJQErrorColumn: the column of a syntax error counts the line's
// leading blanks, as an editor does.
func TestQAJQErrorColumn(t *testing.T) {
	r, _ := importLines(t, "    {\"db\":0,}\n")
	if r.code != 2 || !strings.Contains(r.err.Error(), "line 1: column 13:") {
		t.Fatalf("exit %d: %v; want line 1: column 13", r.code, r.err)
	}
}

// TestQAJQModuleAuxIDAsFloat: a module_aux line's "id" is for readers
// (import writes "data", which starts with the id). A module id is a
// 64-bit number, so a JSON tool that holds numbers as float64 prints it
// rounded, and some (jq 1.5, Python floats) in exponent form:
// 1.2526460695921562e+19 made import fail ("cannot unmarshal number into
// uint64"), although the id is not used.
func TestQAJQModuleAuxIDAsFloat(t *testing.T) {
	f := "../../testdata/corpus/hand_v10_module.rdb"
	exp := mustRun(t, 0, nil, "export", f).stdout
	if !strings.Contains(exp, `"id":12526460695921560577,`) {
		t.Fatalf("the corpus file's module aux id is not in its export:\n%.500s", exp)
	}
	for _, id := range []string{"1.2526460695921562e+19", "18446744073709552000"} {
		text := strings.Replace(exp, `"id":12526460695921560577,`, `"id":`+id+`,`, 1)
		r, out := importLines(t, text, "--rdb-version", "10")
		if r.code != 0 {
			t.Errorf("id %s: exit %d: %v", id, r.code, r.err)
			continue
		}
		if got := mustRun(t, 0, nil, "export", out).stdout; got != exp {
			t.Errorf("id %s: export after import:\n%s\nwant:\n%s", id, got, exp)
		}
	}
	r, _ := importLines(t, strings.Replace(exp, `"id":12526460695921560577,`, `"id":"x",`, 1))
	if r.code != 2 || !strings.Contains(r.err.Error(), "line 2") || !strings.Contains(r.err.Error(), "id") {
		t.Errorf("id \"x\": exit %d, %v; want exit 2 naming line 2 and the id", r.code, r.err)
	}
}

// TestQAJQStreamLengthWarned: a stream's "length" is kept as given (a
// Redis 5 dump can hold a length other than its entries' count), and
// Redis loads it as XLEN. Trimming entries with jq and leaving length
// alone made a stream whose XLEN is wrong, without a word: it is now a
// warning; length 0 (or none) has the entries counted.
func TestQAJQStreamLengthWarned(t *testing.T) {
	stream := func(length string) string {
		return `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{` + length +
			`"entries":[{"id":"5-1","fields":[["a","b"]]},{"id":"6-0","fields":[["c","d"]]}]}}` + "\n"
	}
	r, out := importLines(t, stream(`"length":5,`))
	if r.code != 0 || !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr, `key "s"`) ||
		!strings.Contains(r.stderr, "length 5") || !strings.Contains(r.stderr, "2 entries") {
		t.Fatalf("length 5, 2 entries: exit %d, %v, stderr %q; want exit 0 and a warning", r.code, r.err, r.stderr)
	}
	if got := mustRun(t, 0, nil, "export", out).stdout; !strings.Contains(got, `"length":5,`) {
		t.Fatalf("length not kept:\n%s", got)
	}
	r, _ = importLines(t, stream(`"length":5,`), "--json")
	if r.code != 0 || !strings.Contains(r.stdout, "length 5") {
		t.Fatalf("--json: exit %d, %v, stdout %s; want the warning in the report", r.code, r.err, r.stdout)
	}
	for _, length := range []string{`"length":2,`, `"length":0,`, ``} {
		r, out := importLines(t, stream(length))
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%q: exit %d, %v, stderr %q; want no warning", length, r.code, r.err, r.stderr)
		}
		if got := mustRun(t, 0, nil, "export", out).stdout; !strings.Contains(got, `"length":2,`) {
			t.Errorf("%q: length not 2:\n%s", length, got)
		}
	}
}

// TestQAJQConcatenatedExports: two exports concatenated (cat a.jsonl
// b.jsonl, to merge two fixtures) give one file: a later header equal to
// the first is taken as a repeat; one that differs is an error saying
// what to do.
func TestQAJQConcatenatedExports(t *testing.T) {
	h10 := `{"rdb_version":10,"magic":"REDIS"}` + "\n"
	a := h10 + `{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n"
	b := h10 + `{"db":0,"key":"b","type":"string","expire_ms":-1,"value":"y"}` + "\n"
	r, out := importLines(t, a+b)
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if got, want := mustRun(t, 0, nil, "export", out).stdout, a+b[len(h10):]; got != want {
		t.Fatalf("export:\n%s\nwant:\n%s", got, want)
	}
	r, _ = importLines(t, a+strings.Replace(b, ":10,", ":9,", 1))
	if r.code != 2 || !strings.Contains(r.err.Error(), "line 3") || !strings.Contains(r.err.Error(), "line 1") ||
		!strings.Contains(r.err.Error(), "--rdb-version") {
		t.Fatalf("headers 10 then 9: exit %d, %v; want exit 2 naming lines 3 and 1 and --rdb-version", r.code, r.err)
	}
}

// TestQAJQConcatenatedExportsVersion: with --rdb-version the headers'
// versions do not matter, so exports of different versions concatenate.
func TestQAJQConcatenatedExportsVersion(t *testing.T) {
	a := `{"rdb_version":10,"magic":"REDIS"}` + "\n" + `{"db":0,"key":"a","type":"string","expire_ms":-1,"value":"x"}` + "\n"
	b := `{"rdb_version":9,"magic":"REDIS"}` + "\n" + `{"db":0,"key":"b","type":"string","expire_ms":-1,"value":"y"}` + "\n"
	r, out := importLines(t, a+b, "--rdb-version", "11")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if got := mustRun(t, 0, nil, "export", out).stdout; !strings.HasPrefix(got, `{"rdb_version":11,`) || !strings.Contains(got, `"key":"b"`) {
		t.Fatalf("export:\n%s", got)
	}
}

// TestQAJQExpirySeconds: an expire_ms before 2001 (1e12 ms) comes from no
// Redis dump: it is seconds written for milliseconds, or 0 meant as "no
// expiry", and Redis drops the key (or field) when it loads the file. It
// was imported without a word; it is kept (a fixture may want a key
// already expired) with a warning saying so.
func TestQAJQExpirySeconds(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"db":0,"key":"a","type":"string","expire_ms":1767225600,"value":"x"}`, "1970-01-21T10:53:45.6Z"},
		{`{"db":0,"key":"a","type":"string","expire_ms":0,"value":"x"}`, "-1 for no expiry"},
		{`{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","expire_ms":1767225600}]}`, `field "f"`},
	} {
		r, _ := importLines(t, c.line+"\n")
		if r.code != 0 || !strings.Contains(r.stderr, "warning: line 1: key \"a\"") || !strings.Contains(r.stderr, c.want) ||
			!strings.Contains(r.stderr, "drops") {
			t.Errorf("%s: exit %d, %v, stderr %q; want exit 0 and a warning with %q", c.line, r.code, r.err, r.stderr, c.want)
		}
	}
	// a field's expire_ms -1 is none, as a key's; below -1 it was taken
	// as none without a word
	r, out := importLines(t, `{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","expire_ms":-1}]}`+"\n")
	if r.code != 0 || !strings.Contains(mustRun(t, 0, nil, "export", out).stdout, `[{"field":"f","value":"v"}]`) {
		t.Errorf("field expire_ms -1: exit %d, %v", r.code, r.err)
	}
	r, _ = importLines(t, `{"db":0,"key":"a","type":"hash","expire_ms":-1,"value":[{"field":"f","value":"v","expire_ms":-5}]}`+"\n")
	if r.code != 2 || !strings.Contains(r.err.Error(), "line 1") || !strings.Contains(r.err.Error(), `hash field "f"`) {
		t.Errorf("field expire_ms -5: exit %d, %v; want exit 2 naming line 1 and the field", r.code, r.err)
	}
	// a past expiry as a real dump holds one: no warning
	r, _ = importLines(t, `{"db":0,"key":"a","type":"string","expire_ms":1600000000000,"value":"x"}`+"\n")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("2020 expiry: exit %d, %v, stderr %q", r.code, r.err, r.stderr)
	}
}

// TestQAJQStreamGroupEntriesReadUnknown: a hand-written consumer group
// without "entries_read" is read as -1 (unknown, as Redis 7.0 marks a
// group whose count it does not know), not 0: with 0 Redis reports the
// group's lag as every entry added, though it has read them all.
func TestQAJQStreamGroupEntriesReadUnknown(t *testing.T) {
	line := `{"db":0,"key":"s","type":"stream","expire_ms":-1,"value":{"entries":[{"id":"1-1","fields":[["a","b"]]},{"id":"2-1","fields":[["c","d"]]}],` +
		`"groups":[{"name":"g","last_id":"2-1","pending":[],"consumers":[]}]}}` + "\n"
	r, out := importLines(t, line, "--rdb-version", "10")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if got := mustRun(t, 0, nil, "export", out).stdout; !strings.Contains(got, `"entries_read":-1`) {
		t.Fatalf("export:\n%s", got)
	}
	c, done, err := shared.load(t, out)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	groups, err := c.XInfoGroups(context.Background(), "s").Result()
	if err != nil || len(groups) != 1 || groups[0].Lag != 0 {
		t.Fatalf("XINFO GROUPS: %+v, %v; want lag 0", groups, err)
	}
}

// TestQAJQNumberForBytes: a number where bytes are wanted (a counter
// written as "value":12) is refused with the string to write instead.
func TestQAJQNumberForBytes(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"db":0,"key":"n","type":"string","expire_ms":-1,"value":12}`, `write "12"`},
		{`{"db":0,"key":"n","type":"list","expire_ms":-1,"value":["a",0.5]}`, `write "0.5"`},
	} {
		r, _ := importLines(t, c.line+"\n")
		if r.code != 2 || !strings.Contains(r.err.Error(), c.want) {
			t.Errorf("%s: exit %d, %v; want %q", c.line, r.code, r.err, c.want)
		}
	}
}

// TestQAJQModuleAuxDataChecked: a module_aux line's data is written as it
// is; data that is not a module aux record made a file verify calls
// corrupt (and Redis would refuse), with import exiting 0.
func TestQAJQModuleAuxDataChecked(t *testing.T) {
	r, _ := importLines(t, `{"module_aux":{"module":"x","id":1,"data":"a"}}`+"\n"+
		`{"db":0,"key":"k","type":"string","expire_ms":-1,"value":"v"}`+"\n", "--rdb-version", "10")
	if r.code != 2 || !strings.Contains(r.err.Error(), "line 1") || !strings.Contains(r.err.Error(), "module_aux") {
		t.Fatalf("exit %d, %v; want exit 2 naming line 1 and module_aux", r.code, r.err)
	}
	// the corpus file's records still import
	exp := mustRun(t, 0, nil, "export", "../../testdata/corpus/hand_v10_module.rdb").stdout
	r, out := importLines(t, exp)
	if r.code != 0 {
		t.Fatalf("corpus: exit %d, %v", r.code, r.err)
	}
	mustRun(t, 0, nil, "verify", out)
}

// TestQAJQFunctionChecked: redis-server 7.0 aborts loading a dump whose
// library code lacks the "#!lua name=LIB" line ("Missing library
// metadata") or holds one library twice; import wrote both and exited 0.
func TestQAJQFunctionChecked(t *testing.T) {
	lib := `{"function":"#!lua name=lib1\nredis.register_function('f', function() return 1 end)"}` + "\n"
	for _, c := range []struct{ text, want string }{
		{`{"function":"redis.register_function('f', function() return 1 end)"}` + "\n", "line 1"},
		{lib + lib, "line 2"},
	} {
		r, _ := importLines(t, c.text, "--rdb-version", "10")
		if r.code != 2 || !strings.Contains(r.err.Error(), c.want) || !strings.Contains(r.err.Error(), "#!lua name=") {
			t.Errorf("%q: exit %d, %v; want exit 2 naming %s and #!lua name=", c.text, r.code, r.err, c.want)
		}
	}
	r, out := importLines(t, lib, "--rdb-version", "10")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	c, done, err := shared.load(t, out)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if got, err := c.Do(context.Background(), "FCALL", "f", "0").Int(); err != nil || got != 1 {
		t.Fatalf("FCALL f: %v, %v", got, err)
	}
}
