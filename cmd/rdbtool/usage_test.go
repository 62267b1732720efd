package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const testDump = "../../testdata/dump.rdb"

// truncatedDump writes the first 1000 bytes of testDump (cut inside the
// first value) to dir/trunc.rdb; it returns that path and the whole dump.
func truncatedDump(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	whole, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.rdb")
	if err := os.WriteFile(trunc, whole[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	return trunc, whole
}

// TestOutputAlias: --output is the same flag as -o for every command that
// writes a file (it used to be ignored, and export then wrote to stdout).
func TestOutputAlias(t *testing.T) {
	dir := t.TempDir()
	want, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.rdb")
	mustRun(t, 0, nil, "rewrite", testDump, "--output", out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("rewrite --output: %v, %d bytes", err, len(got))
	}
	jl := filepath.Join(dir, "dump.jsonl")
	r := mustRun(t, 0, nil, "export", testDump, "--output", jl)
	if r.stdout != "" {
		t.Fatalf("export --output also wrote %d bytes to stdout", len(r.stdout))
	}
	if st, err := os.Stat(jl); err != nil || st.Size() == 0 {
		t.Fatalf("export --output: %v", err)
	}
	mustRun(t, 0, nil, "prune", testDump, "--output", filepath.Join(dir, "p.rdb"), "--match", "fpg:*")
	mustRun(t, 2, nil, "prune", testDump, "--output", filepath.Join(dir, "p.rdb"), "--in-place", "--match", "fpg:*")
	mustRun(t, 0, nil, "keys", testDump, "-h")
}

// TestUnknownCommand: a mistyped command is a usage error, exit 2, with
// one line saying where the commands are listed.
func TestUnknownCommand(t *testing.T) {
	r := mustRun(t, 2, nil, "frobnicate", testDump)
	if !strings.Contains(r.err.Error(), `unknown command "frobnicate"`) || !strings.Contains(r.err.Error(), "rdbtool --help") {
		t.Fatalf("error: %v", r.err)
	}
	if r := mustRun(t, 0, nil); !strings.Contains(r.stdout, "COMMANDS:") {
		t.Fatalf("no command: %q", r.stdout)
	}
}

// TestUsageErrorsOneLine: a bad flag anywhere is exit 2 and one line naming
// the flag as typed and the help to read, never the whole help text.
func TestUsageErrorsOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--frob"}, "unknown flag --frob (see rdbtool --help)"},
		{[]string{"keys", testDump, "--frob"}, "keys: unknown flag --frob (see rdbtool keys --help)"},
		{[]string{"keys", testDump, "--db", "x"}, `keys: --db "x": not a valid value`},
		{[]string{"keys", testDump, "--match"}, "keys: --match needs a value"},
		{[]string{"ingest", "--frob"}, "ingest: unknown flag --frob (see rdbtool ingest --help)"},
		{[]string{"ingest", "--every", "x"}, `ingest: --every "x": not a valid value`},
		{[]string{"migrate", "frob"}, `migrate: unknown command "frob" (see rdbtool migrate --help)`},
	} {
		r := mustRun(t, 2, nil, tc.args...)
		if msg := r.err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("rdbtool %s: error %q, want %q", strings.Join(tc.args, " "), msg, tc.want)
		}
		if strings.Contains(r.stdout+r.stderr, "USAGE") {
			t.Errorf("rdbtool %s printed the help:\n%s%s", strings.Join(tc.args, " "), r.stdout, r.stderr)
		}
	}
}

// TestCheckMissingFile: check names a missing file or a directory before
// complaining that no rule was given.
func TestCheckMissingFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.rdb")
	r := mustRun(t, 2, nil, "check", missing)
	if msg := r.err.Error(); msg != missing+": no such file" {
		t.Fatalf("check of a missing file: %q", msg)
	}
	if r := mustRun(t, 2, nil, "check", dir); !strings.Contains(r.err.Error(), "is a directory") {
		t.Fatalf("check of a directory: %v", r.err)
	}
	if r := mustRun(t, 2, nil, "check", testDump, "--policy", missing); !strings.Contains(r.err.Error(), "nope.rdb") {
		t.Fatalf("check with a missing policy: %v", r.err)
	}
}

// TestDiffNamesDamagedFile: a damaged input of diff is named, with the
// same advice as every other command gives.
func TestDiffNamesDamagedFile(t *testing.T) {
	trunc, whole := truncatedDump(t, t.TempDir())
	for _, args := range [][]string{{testDump, trunc}, {trunc, testDump}} {
		r := mustRun(t, 2, nil, append([]string{"diff"}, args...)...)
		if msg := r.err.Error(); !strings.HasPrefix(msg, trunc+": offset ") || !strings.Contains(msg, "rdbtool verify") {
			t.Errorf("diff %v: %q", args, msg)
		}
	}
	r := mustRun(t, 2, bytes.NewReader(whole[:1000]), "diff", testDump, "-")
	if !strings.HasPrefix(r.err.Error(), "stdin: offset ") {
		t.Errorf("diff with a damaged stdin: %q", r.err)
	}
}

// TestUnterminatedGlob: a glob with an unclosed [ (a typo that would match
// nothing, or the wrong keys) is a usage error in every glob flag.
func TestUnterminatedGlob(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.rdb")
	for _, args := range [][]string{
		{"keys", testDump, "--match", "[abc"},
		{"prune", testDump, "-o", out, "--match", "fpg:[0-9"},
		{"persist", testDump, "-o", out, "--match", "a["},
		{"refresh", testDump, "-o", out, "--prune", "fpg:[0-9"},
		{"check", testDump, "--forbid", "x["},
		{"check", testDump, "--require", "x["},
	} {
		r := mustRun(t, 2, nil, args...)
		if !strings.Contains(r.err.Error(), "never closed") {
			t.Errorf("rdbtool %s: %v", strings.Join(args, " "), r.err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written despite the usage error")
	}
	// an escaped [ is a literal, and a set with a comma is one pattern
	mustRun(t, 0, nil, "keys", testDump, "--match", `\[abc`)
}

// TestLiveCommandsInputAndFlags: load, serve and snapshot report a missing
// or damaged FILE and bad flag values as the file commands do (one line,
// exit 2, the same words), before any server is contacted.
func TestLiveCommandsInputAndFlags(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.rdb")
	trunc, _ := truncatedDump(t, dir)
	const nowhere = "redis://127.0.0.1:1" // never dialled: every case fails first
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"load", missing, "--to", nowhere}, missing + ": no such file"},
		{[]string{"load", dir, "--to", nowhere}, dir + ": is a directory"},
		{[]string{"load", testDump, "--to", "notaurl"}, "load: --to: bad server URL"},
		{[]string{"load", testDump, "--to", nowhere, "--match", "a["}, "load: --match \"a[\""},
		{[]string{"load", testDump, testDump, "--to", nowhere}, "load: expected one FILE argument"},
		{[]string{"serve", missing, "--addr", "127.0.0.1:0"}, missing + ": no such file"},
		{[]string{"serve", dir, "--addr", "127.0.0.1:0"}, dir + ": is a directory"},
		{[]string{"serve", trunc, "--addr", "127.0.0.1:0"}, trunc + ": offset "},
		{[]string{"serve", testDump, "--expiry", "never"}, "serve: --expiry \"never\": use relative, wallclock or persist (see rdbtool serve --help)"},
		{[]string{"snapshot", "--from", nowhere, "-o", missing, "--method", "foo"}, "snapshot: --method \"foo\""},
		{[]string{"snapshot", "--from", nowhere, "-o", missing, "--larger-than", "5Q"}, "snapshot: --larger-than: invalid size \"5Q\""},
		{[]string{"snapshot", "--from", nowhere, "-o", missing, "--db", "-1"}, "snapshot: --db -1: databases are numbered from 0"},
		{[]string{"snapshot", "--from", nowhere, "-o", missing, "--prune", "[x"}, "snapshot: --prune \"[x\""},
		{[]string{"keys", testDump, "--db", "-1"}, "keys: --db -1: databases are numbered from 0"},
		{[]string{"ingest", "--rdb", missing, "--db", "postgres://u@127.0.0.1:1/d"}, missing + ": no such file"},
		{[]string{"ingest", "--rdb", dir, "--db", "postgres://u@127.0.0.1:1/d"}, dir + ": is a directory"},
		{[]string{"ingest", "--rdb", trunc, "--db", "postgres://u@127.0.0.1:1/d"}, trunc + ": offset "},
	} {
		r := mustRun(t, 2, nil, tc.args...)
		if msg := r.err.Error(); !strings.HasPrefix(msg, tc.want) {
			t.Errorf("rdbtool %s: %q, want it to start with %q", strings.Join(tc.args, " "), msg, tc.want)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed snapshot left an output file")
	}
}

// TestIngestGroupsListedOnce: the --only help names each group once.
func TestIngestGroupsListedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range groupHelp() {
		if seen[g] {
			t.Errorf("group %q listed twice in %q", g, groupHelp())
		}
		seen[g] = true
	}
	if !seen["autos"] || !seen["correlator"] || !seen["node_sensor"] {
		t.Errorf("groups missing from %q", groupHelp())
	}
}

// TestOutputErrors: an output that cannot be created is named (not the
// temp file beside it) with what to do, and nothing is left behind.
func TestOutputErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "no", "such", "dir", "out.rdb")
	for _, args := range [][]string{
		{"rewrite", testDump, "-o", out},
		{"export", testDump, "-o", out},
		{"prune", testDump, "-o", out, "--match", "fpg:*"},
		{"snapshot", "--from", "redis://127.0.0.1:1", "-o", out},
	} {
		r := mustRun(t, 2, nil, args...)
		want := out + ": cannot write the output: no such file or directory (create the directory " + filepath.Dir(out) + " first)"
		if r.err.Error() != want {
			t.Errorf("rdbtool %s:\n got %q\nwant %q", strings.Join(args, " "), r.err, want)
		}
	}
	assertOnly(t, dir)
}

// TestMissingOutput: the hint names only the output flags the command has.
func TestMissingOutput(t *testing.T) {
	r := mustRun(t, 2, nil, "import", "-")
	if msg := r.err.Error(); !strings.Contains(msg, "give -o OUT (- for stdout)") || strings.Contains(msg, "--in-place") {
		t.Errorf("import without -o: %q", msg)
	}
	r = mustRun(t, 2, nil, "rewrite", testDump)
	if msg := r.err.Error(); !strings.Contains(msg, "give -o OUT (- for stdout) or --in-place") {
		t.Errorf("rewrite without -o: %q", msg)
	}
}

// TestPruneRefreshReportAlike: prune and refresh report removals in the
// same words, and a missing --policy is one plain line.
func TestPruneRefreshReportAlike(t *testing.T) {
	dir := t.TempDir()
	a := mustRun(t, 0, nil, "prune", testDump, "-o", filepath.Join(dir, "a.rdb"), "--match", "status:*")
	b := mustRun(t, 0, nil, "refresh", testDump, "-o", filepath.Join(dir, "b.rdb"), "--prune", "status:*", "--policy", emptyPolicy(t, dir))
	firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
	if !strings.HasPrefix(a.stderr, "pruned ") || firstLine(a.stderr) != firstLine(b.stderr) {
		t.Errorf("prune says %q, refresh says %q", firstLine(a.stderr), firstLine(b.stderr))
	}
	if !strings.Contains(a.stderr, "\nwrote ") || !strings.Contains(b.stderr, "\nwrote ") {
		t.Errorf("prune: %q\nrefresh: %q", a.stderr, b.stderr)
	}
	missing := filepath.Join(dir, "nope.policy")
	r := mustRun(t, 2, nil, "check", testDump, "--policy", missing)
	if r.err.Error() != "policy "+missing+": no such file" {
		t.Errorf("missing policy: %q", r.err)
	}
}

func emptyPolicy(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "empty.policy")
	if err := os.WriteFile(p, []byte("# no rules\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubcommandFlags: migrate's subcommands take flags before or after
// their argument through fileCommand, and a bad flag names the whole path.
func TestSubcommandFlags(t *testing.T) {
	r := mustRun(t, 2, nil, "migrate", "up", "--frob")
	if msg := r.err.Error(); msg != "migrate up: unknown flag --frob (see rdbtool migrate up --help)" {
		t.Errorf("migrate up --frob: %q", msg)
	}
	a := mustRun(t, 2, nil, "migrate", "to", "x", "--db", "postgres://u@127.0.0.1:1/d")
	b := mustRun(t, 2, nil, "migrate", "to", "--db", "postgres://u@127.0.0.1:1/d", "x")
	if a.err.Error() != b.err.Error() || !strings.Contains(a.err.Error(), "VERSION must be a number") {
		t.Errorf("flag position changes the result: %q vs %q", a.err, b.err)
	}
	if r := mustRun(t, 0, nil, "migrate", "to", "-h"); !strings.Contains(r.stdout, "migrate to") {
		t.Errorf("migrate to -h: %q", r.stdout)
	}
}

// TestErrorsOneLine: a library error spanning lines (pgconn's connect
// errors repeat their cause on a second line) is printed as one line.
func TestErrorsOneLine(t *testing.T) {
	if got := oneLine("a: b: refused\nb: refused\n"); got != "a: b: refused" {
		t.Errorf("repeated tail: %q", got)
	}
	if got := oneLine("first\n  second\n"); got != "first; second" {
		t.Errorf("two causes: %q", got)
	}
	out, code := migrateCLI(t, "version", "--db", "postgres://u@127.0.0.1:1/d")
	if code != exitError || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("connect error: exit %d, %q", code, out)
	}
}

// TestTypeCommaAndStdinHint: --type takes a comma list like ingest --only;
// the verify hint for a damaged stdin is a command that can be typed.
func TestTypeCommaAndStdinHint(t *testing.T) {
	a := mustRun(t, 0, nil, "keys", testDump, "--type", "string,hash").stdout
	b := mustRun(t, 0, nil, "keys", testDump, "--type", "string", "--type", "hash").stdout
	if a != b || a == "" || !strings.Contains(a, "\thash\t") {
		t.Errorf("--type string,hash gives %d bytes, two flags %d", len(a), len(b))
	}
	mustRun(t, 2, nil, "keys", testDump, "--type", "string,strung")
	r := mustRun(t, 2, strings.NewReader("not rdb"), "keys", "-")
	if msg := r.err.Error(); !strings.HasPrefix(msg, "stdin: ") || !strings.HasSuffix(msg, "rdbtool verify -)") {
		t.Errorf("damaged stdin: %q", msg)
	}
}

// TestPermissionMessages: unreadable inputs and unwritable directories say
// so once, with what to do (built directly: the tests may run as root,
// who may read and write anything).
func TestPermissionMessages(t *testing.T) {
	in := rdbInputError("d.rdb", &fs.PathError{Op: "open", Path: "d.rdb", Err: fs.ErrPermission})
	if in.Error() != "d.rdb: permission denied (this user may not read it)" {
		t.Errorf("unreadable input: %q", in)
	}
	in = rdbInputError("d.rdb", &fs.PathError{Op: "read", Path: "d.rdb", Err: syscall.EIO})
	if in.Error() != "d.rdb: input/output error" {
		t.Errorf("read error: %q", in)
	}
	out := outputError("ro/x.rdb", &fs.PathError{Op: "open", Path: "ro/.x.rdb.tmp-1", Err: fs.ErrPermission})
	if out.Error() != "ro/x.rdb: cannot write the output: permission denied (no permission to write in ro; write elsewhere with -o OUT)" {
		t.Errorf("unwritable directory: %q", out)
	}
}

// TestViolationCount: one violation is not "1 policy violations".
func TestViolationCount(t *testing.T) {
	r := mustRun(t, 1, nil, "check", testDump, "--forbid", "corr:map")
	if r.err.Error() != testDump+": 1 policy violation" {
		t.Errorf("check: %q", r.err)
	}
	if countOf(3, "violation") != "3 violations" {
		t.Error(countOf(3, "violation"))
	}
}

// TestImportOfRDB: importing an RDB file (instead of its export) says what
// import reads and which command was meant, and writes nothing.
func TestImportOfRDB(t *testing.T) {
	out := filepath.Join(t.TempDir(), "i.rdb")
	r := mustRun(t, 2, nil, "import", testDump, "-o", out)
	if msg := r.err.Error(); !strings.HasPrefix(msg, testDump+" is an RDB file") || !strings.Contains(msg, "rdbtool rewrite") {
		t.Errorf("import of an RDB file: %q", msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written")
	}
}
