// Command rdbtool reads, cleans, checks, converts and serves Redis RDB dumps.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitFound = 1 // check found violations, diff found differences
	exitError = 2 // usage or input error
)

func init() {
	// Help lists each flag's default once, and not at all when it says
	// nothing (false, 0, ""): the cli package adds "(default: ...)" even
	// after a usage that already states the default.
	std := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string { return tidyFlagHelp(std(f)) }
}

func tidyFlagHelp(s string) string {
	for _, noise := range []string{" (default: false)", " (default: 0)", ` (default: "")`, " (default: 0s)"} {
		s = strings.TrimSuffix(s, noise)
	}
	if strings.Count(s, "(default") > 1 {
		s = s[:strings.LastIndex(s, " (default: ")]
	}
	return s
}

// commands is filled by each command file's init, so every group of commands
// lives in its own file and main stays small.
var commands []*cli.Command

func register(c ...*cli.Command) { commands = append(commands, c...) }

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	for _, cmd := range commands {
		oneLineUsageErrors(cmd, cmd.Name)
	}
	return &cli.App{
		Name:  "rdbtool",
		Usage: "inspect, clean, check, convert and serve Redis RDB dumps",
		Description: "rdbtool works on dump.rdb files directly, streaming them with constant memory.\n" +
			"FILE arguments accept - for stdin; -o - writes to stdout.\n" +
			"Exit codes: 0 ok, 1 found something (check, diff), 2 usage or input error.",
		Version:         version(),
		Commands:        commands,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // main prints and exits
		Action:          runNoCommand,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cli.Exit(flagErrorText(err)+" (see rdbtool --help)", exitError)
		},
	}
}

// oneLineUsageErrors makes a bad flag of cmd (and of its subcommands) one
// line naming the help, exit 2, where the cli package would print the
// whole help after "Incorrect Usage"; an unknown subcommand is an error too.
// path is the command as typed after "rdbtool" ("migrate up").
func oneLineUsageErrors(cmd *cli.Command, path string) {
	if cmd.OnUsageError == nil {
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return cmdUsageError(path, "%s", flagErrorText(err))
		}
	}
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		cmd.Action = func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			return cmdUsageError(path, "unknown command %q", c.Args().First())
		}
	}
	for _, sub := range cmd.Subcommands {
		oneLineUsageErrors(sub, path+" "+sub.Name)
	}
}

// flagErrorText rewrites the flag package's messages in the spelling users
// type: "flag provided but not defined: -frob" -> "unknown flag --frob".
func flagErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + dashes(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return dashes(name) + " needs a value"
	}
	if strings.HasPrefix(msg, "invalid value ") {
		if i := strings.Index(msg, " for flag "); i >= 0 {
			rest := msg[i+len(" for flag "):]
			name, why, _ := strings.Cut(rest, ": ")
			if j := strings.LastIndex(why, ": "); j >= 0 { // strconv.ParseInt: parsing "x": invalid syntax
				why = why[j+2:]
			}
			if why == "parse error" || why == "invalid syntax" {
				why = "not a valid value"
			}
			return fmt.Sprintf("%s %s: %s", dashes(name), msg[len("invalid value "):i], why)
		}
	}
	return msg
}

// dashes spells a flag as typed: -o, --output.
func dashes(name string) string {
	name = strings.TrimLeft(name, "-")
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// runNoCommand shows the help without a command; an unknown command is a
// usage error (exit 2), not the cli package's "No help topic" (exit 3).
func runNoCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	return cli.Exit(fmt.Sprintf("unknown command %q (rdbtool --help lists the commands)", c.Args().First()), exitError)
}

// version is the module version when built with go install, else the VCS
// revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel-" + rev
}

func main() {
	err := newApp().Run(os.Args)
	os.Exit(exitCode(err))
}

// exitCode prints err (when there is one) and maps it to an exit code.
func exitCode(err error) int {
	msg, code := exitStatus(err)
	if msg != "" {
		fmt.Fprintln(os.Stderr, "rdbtool:", msg)
	}
	return code
}

// exitStatus is the one-line message (empty for none) and the exit code
// for the error a command returned.
func exitStatus(err error) (string, int) {
	if err == nil {
		return "", exitOK
	}
	code := exitError
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	return oneLine(err.Error()), code
}

// oneLine joins a message that spans lines (some library errors do, often
// repeating themselves) into one line, dropping lines already said.
func oneLine(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	out := lines[:1]
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if l != "" && !strings.Contains(strings.Join(out, "; "), l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
