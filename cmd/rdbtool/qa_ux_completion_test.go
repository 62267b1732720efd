package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// completions runs the test binary as rdbtool (RDBTOOL_TEST_MAIN) with
// args and the completion flag last, as the shell scripts do, and
// returns the lines it prints.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "--generate-bash-completion")...)
	cmd.Env = append(os.Environ(), "RDBTOOL_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rdbtool %s --generate-bash-completion: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("rdbtool %s --generate-bash-completion: stderr %q", strings.Join(args, " "), stderr.String())
	}
	return strings.Fields(string(out))
}

// TestCompletionCandidates: the word being completed (always passed, ""
// when empty) gets the commands, a command's subcommands, or the flags
// it begins; after a flag that takes one of a few values, those; after
// another flag that takes a value, or at a FILE, nothing, so the shell
// completes file names.
func TestCompletionCandidates(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		want     []string // all present
		unwanted []string // none present
		empty    bool
	}{
		{args: []string{""}, want: []string{"prune", "keys", "version", "completion", "migrate"}, unwanted: []string{"help"}},
		{args: []string{"-"}, want: []string{"--help", "--version"}},
		{args: []string{"prune", "--ma"}, want: []string{"--match"}, unwanted: []string{"--type"}},
		{args: []string{"prune", "dump.rdb", "--match", "a:*", "-"}, want: []string{"--match", "--type", "--output", "--in-place", "--help"}},
		{args: []string{"prune", "-"}, want: []string{"-o", "--output", "--json"}},
		{args: []string{"prune", "-o", ""}, empty: true},
		{args: []string{"prune", "dump.rdb", ""}, empty: true},
		{args: []string{"migrate", ""}, want: []string{"up", "down", "status", "lint"}},
		{args: []string{"migrate", "up", "--d"}, want: []string{"--db"}},
		{args: []string{"ingest", "--on"}, want: []string{"--only"}},
		{args: []string{"completion", ""}, want: []string{"bash", "zsh", "fish"}},
		{args: []string{"keys", "dump.rdb", "--type", ""}, want: []string{"string", "hash", "zset", "stream"}},
		{args: []string{"prune", "--type", "s"}, want: []string{"string", "set", "stream"}, unwanted: []string{"hash"}},
		{args: []string{"snapshot", "--method", ""}, want: []string{"scan", "sync"}},
		{args: []string{"serve", "dump.rdb", "--expiry", "w"}, want: []string{"wallclock"}, unwanted: []string{"persist"}},
		{args: []string{"keys", "--match", ""}, empty: true},
	} {
		got := completions(t, tc.args...)
		if tc.empty && len(got) > 0 {
			t.Errorf("%q: %q, want none (the shell completes files)", tc.args, got)
		}
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: %q lacks %s", tc.args, got, w)
			}
		}
		for _, u := range tc.unwanted {
			if slices.Contains(got, u) {
				t.Errorf("%q: %q has %s", tc.args, got, u)
			}
		}
	}
}

// TestCompletionRunsNothing: asking for completions never runs the
// command, even one that would change a file.
func TestCompletionRunsNothing(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "dump.rdb")
	orig, err := os.ReadFile(testDump)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := completions(t, "prune", dump, "--in-place", "--match", "*", ""); len(got) > 0 {
		t.Errorf("completions %q", got)
	}
	if now, _ := os.ReadFile(dump); !bytes.Equal(now, orig) {
		t.Fatal("completing a prune command changed the file")
	}
	assertOnly(t, dir, "dump.rdb")
	// "--" makes the cli package run the command with the completion flag
	// as an argument (here: a migration named --generate-bash-completion).
	for _, args := range [][]string{
		{"migrate", "create", "--dir", dir, "--"},
		{"migrate", "create", "--dir", dir, "--", "x"},
		{"prune", dump, "--in-place", "--match", "*", "--", ""},
	} {
		if got := completions(t, args...); len(got) > 0 {
			t.Errorf("%q: completions %q after --", args, got)
		}
	}
	if now, _ := os.ReadFile(dump); !bytes.Equal(now, orig) {
		t.Fatal("completing a prune command after -- changed the file")
	}
	assertOnly(t, dir, "dump.rdb")
}

// TestCompletionCommand: rdbtool completion SHELL prints a script for
// bash, zsh and fish; anything else is a usage error naming them.
func TestCompletionCommand(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := mustRun(t, 0, nil, "completion", sh)
		if !strings.Contains(r.stdout, "--generate-bash-completion") || !strings.Contains(r.stdout, "rdbtool") {
			t.Errorf("completion %s: %q", sh, r.stdout)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		r := mustRun(t, 2, nil, args...)
		if !strings.Contains(r.err.Error(), "bash, zsh or fish") {
			t.Errorf("rdbtool %s: %v", strings.Join(args, " "), r.err)
		}
	}
	if h := mustRun(t, 0, nil, "completion", "--help").stdout; !strings.Contains(h, "source <(rdbtool completion bash)") {
		t.Errorf("completion --help does not say how to install it: %q", h)
	}
}

// TestCompletionBash sources the bash script and completes as bash would
// on TAB (COMP_WORDS, COMP_CWORD), with rdbtool on PATH.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\nRDBTOOL_TEST_MAIN=1 exec '" + os.Args[0] + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "rdbtool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	comp := filepath.Join(bin, "rdbtool.bash")
	if err := os.WriteFile(comp, []byte(mustRun(t, 0, nil, "completion", "bash").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		words string // the command line up to the cursor, as bash splits it
		want  string // COMPREPLY, one per line
	}{
		{"rdbtool pru", "prune"},
		{"rdbtool prune dump.rdb --in-", "--in-place"},
		{"rdbtool migrate st", "stamp\nstatus"},
		{"rdbtool keys --ty", "--type"},
		{"rdbtool keys dump.rdb --", "--db\n--help\n--json\n--match\n--type"},
		{"rdbtool completion ''", "bash\nfish\nzsh"},
	} {
		words := strings.Fields(tc.words)
		code := "source " + comp + "\ncomplete -p rdbtool >/dev/null || exit 9\n" +
			"COMP_WORDS=(" + tc.words + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"; COMP_LINE='" + tc.words + "'; COMP_POINT=${#COMP_LINE}\n" +
			"_rdbtool rdbtool '" + words[len(words)-1] + "' '" + words[len(words)-2] + "'\n" +
			"printf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", code)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.words, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		slices.Sort(lines)
		if got := strings.Join(lines, "\n"); got != tc.want {
			t.Errorf("%s<TAB>: %q, want %q", tc.words, got, tc.want)
		}
	}
}
