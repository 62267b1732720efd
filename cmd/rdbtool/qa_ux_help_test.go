package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// allCommands is every command and subcommand with its path as typed
// after rdbtool ("migrate up").
func allCommands() map[string]*cli.Command {
	newApp()
	all := map[string]*cli.Command{}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			all[prefix+c.Name] = c
			walk(prefix+c.Name+" ", c.Subcommands)
		}
	}
	walk("", commands)
	return all
}

// TestHelpFlagForms: every flag that takes a value shows a placeholder
// (not the cli package's "value"), and the ones taking a size or a
// duration say in what form, in every command: a user reading
// --max-file-size SIZE should not have to find out that 20MB works.
func TestHelpFlagForms(t *testing.T) {
	for path, cmd := range allCommands() {
		for _, f := range cmd.Flags {
			help := cli.FlagStringer(f)
			name := f.Names()[0]
			if _, ok := f.(*cli.BoolFlag); !ok && strings.Contains(help, "--"+name+" value") {
				t.Errorf("%s --%s: no placeholder: %q", path, name, help)
			}
			if strings.Contains(help, "--"+name+" SIZE") && !strings.Contains(help, "512KiB, 4MB, 1.5GiB") {
				t.Errorf("%s --%s: a size without its units: %q", path, name, help)
			}
			if strings.Contains(help, "--"+name+" GLOB") && !strings.Contains(help, "SCAN MATCH: * ? [a-z] [^x]") {
				t.Errorf("%s --%s: a glob without its syntax: %q", path, name, help)
			}
			if _, ok := f.(*cli.DurationFlag); ok && !strings.Contains(help, "90s, 5m, 1h30m") {
				t.Errorf("%s --%s: a duration without its form: %q", path, name, help)
			}
		}
	}
}

// TestHelpCommandSameAsFlag: rdbtool help CMD [SUB], CMD [SUB] --help and
// -h print the same text for every command, the new ones included.
func TestHelpCommandSameAsFlag(t *testing.T) {
	for path := range allCommands() {
		args := strings.Fields(path)
		want := mustRun(t, 0, nil, append(args, "--help")...).stdout
		if !strings.Contains(want, "rdbtool "+path) {
			t.Errorf("%s --help: %q", path, want)
		}
		if got := mustRun(t, 0, nil, append([]string{"help"}, args...)...).stdout; got != want {
			t.Errorf("help %s differs from %s --help:\n%s\n---\n%s", path, path, got, want)
		}
		if got := mustRun(t, 0, nil, append(args, "-h")...).stdout; got != want {
			t.Errorf("%s -h differs from --help", path)
		}
	}
}

// TestBadValueSaysForm: a value a flag refuses is answered with the form
// it takes, not only "not a valid value".
func TestBadValueSaysForm(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", testDump, "--db", "x"}, `keys: --db "x": not a valid value, want a whole number (see rdbtool keys --help)`},
		{[]string{"inspect", testDump, "--top", "ten"}, `inspect: --top "ten": not a valid value, want a whole number`},
		{[]string{"ingest", "--rdb", testDump, "--every", "60"}, `ingest: --every "60": not a valid value, want a duration with a unit: 90s, 5m, 1h30m`},
		{[]string{"ingest", "--every=1h30"}, `ingest: --every "1h30": not a valid value, want a duration with a unit`},
	} {
		r := mustRun(t, 2, nil, tc.args...)
		if msg := r.err.Error(); !strings.Contains(msg, tc.want) {
			t.Errorf("rdbtool %s: %q, want %q", strings.Join(tc.args, " "), msg, tc.want)
		}
	}
}

// TestOutputFlagOnStdoutCommand: -o (a habit from prune, rewrite, export)
// given to a command that prints its result says to redirect stdout,
// rather than only "unknown flag -o".
func TestOutputFlagOnStdoutCommand(t *testing.T) {
	dir := t.TempDir()
	out := dir + "/out.txt"
	for _, args := range [][]string{
		{"keys", testDump, "-o", out},
		{"inspect", testDump, "--output", out},
		{"textconv", testDump, "-o", out},
		{"diff", testDump, testDump, "--output=" + out},
		{"verify", "-o", out, testDump},
	} {
		r := mustRun(t, 2, nil, args...)
		want := args[0] + ": unknown flag " + strings.SplitN(args[slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") })], "=", 2)[0] +
			": " + args[0] + " prints to stdout, redirect it (rdbtool " + args[0] + " ... > FILE) (see rdbtool " + args[0] + " --help)"
		if msg := r.err.Error(); msg != want {
			t.Errorf("rdbtool %s:\n got %q\nwant %q", strings.Join(args, " "), msg, want)
		}
	}
	assertOnly(t, dir)
}
