package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reviewGit runs git in dir and returns its stdout; a failure fails t.
func reviewGit(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// reviewEdit exports src, lets edit change the JSON lines (the header
// line included) and imports the result to dst.
func reviewEdit(t *testing.T, src, dst string, edit func(lines []map[string]any) []map[string]any) {
	t.Helper()
	out := mustRun(t, 0, nil, "export", src).stdout
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	var b strings.Builder
	for _, m := range edit(lines) {
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	mustRun(t, 0, strings.NewReader(b.String()), "import", "-", "-o", dst)
}

// TestQAReviewTextconvGitDiff: set up as the README says (.gitattributes
// and git config diff.rdb.textconv 'rdbtool textconv', rdbtool on PATH), a
// pull request that changes one hash field of testdata/dump.rdb shows in
// git diff as one hunk, one line out and one line in, and the hunk header
// names the key; a change that saves the same data again (another RDB
// version, aux fields gone) shows no key lines at all.
func TestQAReviewTextconvGitDiff(t *testing.T) {
	_, dump, git := reviewGitRepo(t, "rdbtool textconv")
	git("add", ".")
	git("commit", "-qm", "dump")

	// the same data saved again: RDB 12, no aux fields
	mustRun(t, 0, nil, "rewrite", "--in-place", dump, "--rdb-version", "12")
	git("commit", "-qam", "resave")
	d := git("diff", "HEAD~1", "--", "testdata/dump.rdb")
	for _, l := range strings.Split(d, "\n") {
		if (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "+++") &&
			!strings.HasPrefix(l, "-# rdbtool textconv") && !strings.HasPrefix(l, "+# rdbtool textconv") {
			t.Fatalf("the same data saved again shows key lines:\n%s", d)
		}
	}

	reviewEdit(t, dump, dump, func(lines []map[string]any) []map[string]any {
		for _, m := range lines {
			if m["key"] != "status:snap:heraNode1Snap0" {
				continue
			}
			for _, f := range m["value"].([]any) {
				if f := f.(map[string]any); f["field"] == "temp" {
					f["value"] = "99.5"
					return lines
				}
			}
		}
		t.Fatal("no temp field in status:snap:heraNode1Snap0")
		return nil
	})
	git("commit", "-qam", "one field")
	d = git("diff", "HEAD~1", "--", "testdata/dump.rdb")
	var hunks, minus, plus []string
	for _, l := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(l, "@@"):
			hunks = append(hunks, l)
		case strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			minus = append(minus, l)
		case strings.HasPrefix(l, "+"):
			plus = append(plus, l)
		}
	}
	if len(hunks) != 1 || len(minus) != 1 || len(plus) != 1 || !strings.HasPrefix(minus[0], `-  "temp" = "`) || plus[0] != `+  "temp" = "99.5"` ||
		!strings.Contains(hunks[0], ` @@ db0 "status:snap:heraNode1Snap0" hash`) {
		t.Fatalf("one field changed, git diff shows:\n%s", d)
	}
}

// reviewGitRepo makes a git repository set up as the README says, with
// textconv (rdbtool run as the test binary, on PATH) and
// testdata/dump.rdb not yet added.
func reviewGitRepo(t *testing.T, textconv string) (repo, dump string, git func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed (apt-get install git)")
		}
		t.Skip("git is not installed (apt-get install git)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// the test binary runs as rdbtool (TestMain) under the name rdbtool
	script := "#!/bin/sh\nRDBTOOL_TEST_MAIN=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "rdbtool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	repo = t.TempDir()
	git = func(args ...string) string { t.Helper(); return reviewGit(t, repo, env, args...) }
	git("init", "-q")
	git("config", "diff.rdb.textconv", textconv)
	os.WriteFile(filepath.Join(repo, ".gitattributes"), []byte("testdata/dump.rdb diff=rdb\n"), 0o644)
	os.Mkdir(filepath.Join(repo, "testdata"), 0o755)
	dump = filepath.Join(repo, "testdata", "dump.rdb")
	data, err := os.ReadFile("../../testdata/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dump, data, 0o644)
	return repo, dump, git
}

// TestQAReviewTextconvVersions: the site dump, the raw site dump and corpus
// files print the same key text when rewritten for
// other RDB versions (other encodings: ziplists, linked lists, hash tables
// instead of listpacks), as long as the version holds the data; only the
// first line, which names the version, differs. (Function libraries,
// which rewrite drops below RDB 10, are left out of the comparison.)
func TestQAReviewTextconvVersions(t *testing.T) {
	dir := t.TempDir()
	body := func(p string) string {
		t.Helper()
		out := mustRun(t, 0, nil, "textconv", p).stdout
		first, rest, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(first, "# rdbtool textconv: ") {
			t.Fatalf("%s: first line %q", p, first)
		}
		if i := strings.Index(rest, "\ndb"); i >= 0 && !strings.HasPrefix(rest, "db") {
			rest = rest[i+1:] // the keys: function libraries are dropped below RDB 10
		}
		return rest
	}
	for _, f := range []string{"../../testdata/dump.rdb", reviewRawSite(t), "../../testdata/corpus/all.rdb", "../../testdata/corpus/hashes.rdb",
		"../../testdata/corpus/zsets.rdb", "../../testdata/corpus/sets.rdb", "../../testdata/corpus/lists.rdb", "../../testdata/corpus/strings.rdb"} {
		want := body(f)
		if strings.Count(want, "\ndb") < 3 {
			t.Fatalf("%s: too few keys to compare:\n%s", f, want)
		}
		for _, v := range []string{"3", "6", "9", "11"} {
			out := filepath.Join(dir, filepath.Base(f)+".v"+v)
			r := run(t, nil, "rewrite", f, "--rdb-version", v, "-o", out)
			if r.code != 0 {
				continue // data the version cannot hold (functions, streams): not the same data
			}
			if got := body(out); got != want {
				t.Errorf("%s at RDB %s: textconv differs:\n%s\n---\n%s", f, v, firstDiff(want, got), firstDiff(got, want))
			}
		}
	}
}

// firstDiff returns a's lines around its first difference from b.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return strings.Join(al[max(0, i-2):min(len(al), i+3)], "\n")
		}
	}
	return "(a prefix of the other)"
}

// TestQAReviewTextconvDamagedInGit: a pull request whose dump is damaged
// (cut short) or emptied is exactly the one a reviewer must see, but git
// stops the whole diff ("fatal: unable to read files to diff", nothing after
// the dump shown) when textconv fails. With --inline-errors textconv prints
// the error as the text and exits 0, so git diff shows it; without, a
// damaged file stays exit 2 with the error on stderr, as everywhere.
func TestQAReviewTextconvDamagedInGit(t *testing.T) {
	repo, dump, git := reviewGitRepo(t, "rdbtool textconv --inline-errors")
	os.WriteFile(filepath.Join(repo, "z.txt"), []byte("a\n"), 0o644)
	git("add", ".")
	git("commit", "-qm", "dump")
	data, _ := os.ReadFile(dump)
	os.WriteFile(dump, data[:500], 0o644)
	os.WriteFile(filepath.Join(repo, "z.txt"), []byte("b\n"), 0o644)
	d := git("diff")
	if !strings.Contains(d, "\n+# rdbtool textconv: cannot read this dump: ") || !strings.Contains(d, `key "auto:103e"`) ||
		!strings.Contains(d, "\n-db0 \"auto:103e\" string\n") || !strings.Contains(d, "\n+b\n") {
		t.Fatalf("git diff of a cut dump:\n%.3000s", d)
	}
	os.WriteFile(dump, nil, 0o644)
	if d := git("diff"); !strings.Contains(d, "\n+# rdbtool textconv: cannot read this dump: ") {
		t.Fatalf("git diff of an emptied dump:\n%.3000s", d)
	}

	cut := filepath.Join(t.TempDir(), "cut.rdb")
	os.WriteFile(cut, data[:500], 0o644)
	r := mustRun(t, 2, nil, "textconv", cut)
	if r.stdout != "" || r.err == nil || !strings.Contains(r.err.Error(), "cut.rdb: offset") {
		t.Errorf("textconv of a cut dump: stdout %q, err %v", r.stdout, r.err)
	}
	r = mustRun(t, 0, nil, "textconv", cut, "--inline-errors")
	if !strings.HasPrefix(r.stdout, "# rdbtool textconv: cannot read this dump: ") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Errorf("textconv --inline-errors of a cut dump: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if a, b := mustRun(t, 0, nil, "textconv", dump+"x", "--inline-errors").stdout, "# rdbtool textconv: cannot read this dump: "; !strings.HasPrefix(a, b) {
		t.Errorf("textconv --inline-errors of a missing file: %q", a)
	}
}
