package main

import (
	"strings"
	"testing"
)

// TestQAScriptBoolFlagValue: a boolean flag given a value that is not one
// (--json=maybe, a templated CI variable left empty or misspelt) is a usage
// error in the same form as any other bad value: the flag spelt as typed
// and what to give. It read `invalid boolean value "maybe" for -json: parse
// error`, the flag package's own words and one dash.
func TestQAScriptBoolFlagValue(t *testing.T) {
	for _, args := range [][]string{
		{"keys", testDump, "--json=maybe"},
		{"keys", testDump, "--json=a for b"}, // " for " in the value, as in the flag package's message
		{"verify", "--json=yes", testDump},
		{"persist", testDump, "-o", "/nonexistent/x.rdb", "--drop-expired=on"},
	} {
		r := mustRun(t, 2, nil, args...)
		msg, _ := exitStatus(r.err)
		name, val, _ := strings.Cut(strings.TrimPrefix(args[len(args)-1], "--"), "=")
		if args[0] == "verify" {
			name, val = "json", "yes"
		}
		want := args[0] + ": --" + name + ` "` + val + `": use true or false (see rdbtool ` + args[0] + " --help)"
		if msg != want {
			t.Errorf("rdbtool %s:\n got %q\nwant %q", strings.Join(args, " "), msg, want)
		}
	}
}

// TestQAScriptOutputDirectory: -o naming a directory (-o out/, -o .) is a
// usage error saying to give the file, before the input is read. -o
// newdir/ said "create the directory newdir first", and once the script
// did, "newdir/ is a directory": two wrong turns for one missing name.
func TestQAScriptOutputDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ out, want string }{
		{dir, dir + " is a directory: give the file to write, e.g. -o " + dir + "/dump.rdb"},
		{dir + "/", dir + "/ is a directory: give the file to write, e.g. -o " + dir + "/dump.rdb"},
		{dir + "/new/", dir + "/new/ is a directory: give the file to write, e.g. -o " + dir + "/new/dump.rdb"},
	} {
		for _, cmd := range []string{"rewrite", "persist", "export"} {
			out := tc.out
			want := tc.want
			if cmd == "export" {
				want = strings.ReplaceAll(want, "dump.rdb", "dump.jsonl")
			}
			r := mustRun(t, 2, nil, cmd, testDump, "-o", out)
			msg, _ := exitStatus(r.err)
			if w := cmd + ": -o " + want + " (see rdbtool " + cmd + " --help)"; msg != w {
				t.Errorf("rdbtool %s -o %s:\n got %q\nwant %q", cmd, out, msg, w)
			}
		}
	}
	assertOnly(t, dir)
}

// TestQAScriptUnconvertibleNamesInput: keys the target version cannot
// express fail rewrite with a line naming the input, as import's does and
// as every input error does (a script converting several dumps in a loop
// sees which one). rewrite's began with the library's words instead.
func TestQAScriptUnconvertibleNamesInput(t *testing.T) {
	const all = "../../testdata/corpus/all.rdb"
	dir := t.TempDir()
	for _, args := range [][]string{
		{"rewrite", all, "-o", dir + "/v2.rdb", "--rdb-version", "2"},
		{"rewrite", all, "-o", dir + "/v2.rdb", "--rdb-version", "2", "--json"},
	} {
		r := mustRun(t, 2, nil, args...)
		msg, _ := exitStatus(r.err)
		if !strings.HasPrefix(msg, all+": ") || !strings.Contains(msg, "cannot be written as RDB version 2") {
			t.Errorf("rdbtool %s: %q, want it to start with %q", strings.Join(args, " "), msg, all+": ")
		}
	}
	assertOnly(t, dir)
}
