package main

import (
	"strings"
	"testing"
)

// TestQACLIHelpTopic: `rdbtool help CMD [SUB]` prints what `rdbtool CMD
// [SUB] --help` prints (go help build, git help log), exit 0; `rdbtool
// help` alone is the main help; an unknown topic is a usage error naming
// the closest command.
func TestQACLIHelpTopic(t *testing.T) {
	for _, topic := range [][]string{{"keys"}, {"refresh"}, {"migrate"}, {"migrate", "up"}, {"ingest"}} {
		want := mustRun(t, 0, nil, append(topic, "--help")...).stdout
		got := mustRun(t, 0, nil, append([]string{"help"}, topic...)...).stdout
		if got != want || !strings.Contains(got, "rdbtool "+strings.Join(topic, " ")) {
			t.Errorf("rdbtool help %s:\n%s\nwant:\n%s", strings.Join(topic, " "), got, want)
		}
	}
	for _, args := range [][]string{{"help"}, {"help", "help"}} {
		if r := mustRun(t, 0, nil, args...); !strings.Contains(r.stdout, "COMMANDS:") {
			t.Errorf("rdbtool %v: %q", args, r.stdout)
		}
	}
	r := mustRun(t, 2, nil, "help", "kyes")
	if msg := r.err.Error(); !strings.Contains(msg, `unknown command "kyes"`) || !strings.Contains(msg, "did you mean keys?") {
		t.Errorf("rdbtool help kyes: %q", msg)
	}
	r = mustRun(t, 2, nil, "help", "migrate", "upp")
	if msg := r.err.Error(); !strings.Contains(msg, `unknown command "migrate upp"`) || !strings.Contains(msg, "did you mean migrate up?") {
		t.Errorf("rdbtool help migrate upp: %q", msg)
	}
	if r := mustRun(t, 0, nil, "--help"); !strings.Contains(r.stdout, "rdbtool help COMMAND") {
		t.Errorf("--help does not say how to get a command's help:\n%s", r.stdout)
	}
}

// TestQACLISuggestCommand: a mistyped command or subcommand names the
// closest one; a word far from every command suggests nothing.
func TestQACLISuggestCommand(t *testing.T) {
	for typed, want := range map[string]string{
		"kyes":     "keys",
		"inspct":   "inspect",
		"verfy":    "verify",
		"snapshto": "snapshot",
		"imprt":    "import",
		"prun":     "prune",
		"Keys":     "keys",
		"txtconv":  "textconv",
	} {
		r := mustRun(t, 2, nil, typed, testDump)
		if msg := r.err.Error(); !strings.Contains(msg, "did you mean "+want+"?") || strings.Contains(msg, "\n") {
			t.Errorf("rdbtool %s: %q, want a hint for %s", typed, msg, want)
		}
	}
	r := mustRun(t, 2, nil, "frobnicate", testDump)
	if strings.Contains(r.err.Error(), "did you mean") {
		t.Errorf("rdbtool frobnicate: %q", r.err)
	}
	r = mustRun(t, 2, nil, "migrate", "stauts")
	if msg := r.err.Error(); !strings.Contains(msg, `unknown command "stauts"`) || !strings.Contains(msg, "did you mean status?") {
		t.Errorf("rdbtool migrate stauts: %q", msg)
	}
}

// TestQACLISuggestFlag: a mistyped flag names the command's closest flag,
// for file commands (flags after FILE) and the others alike.
func TestQACLISuggestFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", testDump, "--mach", "x"}, "keys: unknown flag --mach, did you mean --match? (see rdbtool keys --help)"},
		{[]string{"prune", testDump, "-o", "/nonexistent/x", "--larger-then", "1"}, "prune: unknown flag --larger-then, did you mean --larger-than? (see rdbtool prune --help)"},
		{[]string{"inspect", "--jsn", testDump}, "inspect: unknown flag --jsn, did you mean --json? (see rdbtool inspect --help)"},
		{[]string{"snapshot", "--form", "redis://127.0.0.1:1"}, "snapshot: unknown flag --form, did you mean --from? (see rdbtool snapshot --help)"},
		{[]string{"--verison"}, "unknown flag --verison, did you mean --version? (see rdbtool --help)"},
		{[]string{"keys", testDump, "--frob"}, "keys: unknown flag --frob (see rdbtool keys --help)"},
		{[]string{"--json", "keys", testDump}, "unknown flag --json, a command's flag: put it after the command (rdbtool COMMAND ... --json) (see rdbtool --help)"},
		{[]string{"--frob", "keys", testDump}, "unknown flag --frob (see rdbtool --help)"},
	} {
		r := mustRun(t, 2, nil, tc.args...)
		if msg := r.err.Error(); msg != tc.want {
			t.Errorf("rdbtool %s:\n got %q\nwant %q", strings.Join(tc.args, " "), msg, tc.want)
		}
	}
}

// TestQACLIExitCodesDocumented: the main help lists every exit code the
// commands return: 1 also for refresh, load, ingest and migrate lint, and
// 128+signal when interrupted.
func TestQACLIExitCodesDocumented(t *testing.T) {
	help := mustRun(t, 0, nil, "--help").stdout
	for _, want := range []string{"refresh", "load", "ingest", "migrate lint", "130", "143", "2 usage error, bad input"} {
		if !strings.Contains(help[strings.Index(help, "Exit codes"):], want) {
			t.Errorf("the exit codes in --help do not mention %q:\n%s", want, help)
		}
	}
}

func TestQACLIClosest(t *testing.T) {
	names := []string{"check", "diff", "export", "import", "inspect", "keys", "verify"}
	for typed, want := range map[string]string{"chek": "check", "dif": "diff", "xport": "export", "a": "", "zzzzzz": "", "ins": "inspect", "i": ""} {
		if got := closest(typed, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", typed, got, want)
		}
	}
}

func TestQACLIJSONRequested(t *testing.T) {
	for args, want := range map[string]bool{
		"keys d.rdb --json": true, "keys --json=1 d.rdb": true, "keys -json": true, "check d --json=true": true,
		"keys d.rdb --json=false": false, "keys d.rdb": false, "keys -- --json": false, "keys --jsonx": false, "keys json": false,
	} {
		if got := jsonRequested(strings.Fields(args)); got != want {
			t.Errorf("jsonRequested(%s) = %v", args, got)
		}
	}
}
