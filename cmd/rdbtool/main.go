// Command rdbtool reads, cleans, checks, converts and serves Redis RDB dumps.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/rdbtool/rdbtool/internal/progress"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/urfave/cli/v2"
)

// Exit codes scripts can rely on (listed in the main help as exitCodesHelp;
// a signal ends a command with 128+its number).
const (
	exitOK    = 0
	exitFound = 1 // found something: check, diff, refresh, load, ingest, migrate lint
	exitError = 2 // usage error, bad input or another failure
)

const exitCodesHelp = "Exit codes: 0 ok; 1 found something (check: violations, diff: differences, refresh: the result\n" +
	"breaks the policy, load: keys not loaded, ingest: a group failed, migrate lint: problems);\n" +
	"2 usage error, bad input or another failure (a server that cannot be reached, an output that\n" +
	"cannot be written); 128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM)."

func init() {
	// Help lists each flag's default once, and not at all when it says
	// nothing (false, 0, ""): the cli package adds "(default: ...)" even
	// after a usage that already states the default.
	std := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string { return tidyFlagHelp(withValueForm(f, std(f))) }
}

// The forms a size and a duration take, said once for every flag that
// takes one (filter.ParseSize, time.ParseDuration).
const (
	sizeForm     = "512KiB, 4MB, 1.5GiB, bytes"
	durationForm = "90s, 5m, 1h30m"
)

// withValueForm adds to the help line s of f the form its value takes,
// when f takes a SIZE or a duration and its usage does not say it.
func withValueForm(f cli.Flag, s string) string {
	form := ""
	if _, ok := f.(*cli.DurationFlag); ok && !strings.Contains(s, durationForm) {
		form = durationForm
	} else if strings.Contains(s, dashes(f.Names()[0])+" SIZE") && !strings.Contains(s, sizeForm) {
		form = sizeForm
	}
	if form == "" {
		return s
	}
	if i := strings.LastIndex(s, " (default: "); i >= 0 {
		return s[:i] + " (" + form + ")" + s[i:]
	}
	return s + " (" + form + ")"
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

// setupCommands sorts the commands and installs the usage-error handling
// once: newApp runs for every in-process test, and wrapping an Action twice
// would hint twice.
var setupCommands sync.Once

func newApp() *cli.App {
	setupCommands.Do(func() {
		sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
		for _, cmd := range commands {
			oneLineUsageErrors(cmd, cmd.Name)
			completeCommands(cmd)
		}
	})
	for _, cmd := range commands {
		// App.Setup prefixes the app's name to HelpName: a second app
		// (in-process tests) would show "rdbtool rdbtool keys".
		cmd.HelpName = ""
	}
	return &cli.App{
		Name:  "rdbtool",
		Usage: "inspect, clean, check, convert and serve Redis RDB dumps",
		Description: "rdbtool works on dump.rdb files directly, streaming them with constant memory.\n" +
			"FILE arguments accept - for stdin; -o - writes to stdout.\n" +
			"rdbtool help COMMAND (or rdbtool COMMAND --help) shows a command's flags and examples.\n" +
			exitCodesHelp,
		Version:         version(),
		Commands:        commands,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // main prints and exits
		Action:          runNoCommand,
		// rdbtool completion SHELL prints the scripts that use it.
		EnableBashCompletion: true,
		BashComplete: func(c *cli.Context) {
			completeWord(c.App.Writer, c.App.VisibleFlags(), commandWords(c.App.Commands))
		},
		Before: terminalOutput,
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			hint := flagHint(c.App.VisibleFlags(), err)
			if hint == "" {
				hint = commandFlagHint(c.App.Commands, err)
			}
			return cli.Exit(flagErrorText(err)+hint+" (see rdbtool --help)", exitError)
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
			return cmdUsageError(path, "%s%s", flagErrorText(err), flagHint(cmd.Flags, err))
		}
	}
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		cmd.Action = func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			typed := c.Args().First()
			return cmdUsageError(path, "unknown command %q%s", typed, didYouMean(typed, commandNames(cmd.Subcommands)))
		}
	} else if action := cmd.Action; action != nil {
		// Commands that parse their own flags (fileCommand) report an
		// unknown one through their Action: add the hint there.
		cmd.Action = func(c *cli.Context) error { return hintUnknownFlag(action(c), cmd.Flags) }
	}
	for _, sub := range cmd.Subcommands {
		oneLineUsageErrors(sub, path+" "+sub.Name)
	}
}

// unknownFlagMsg finds "unknown flag --x" in a usage error's message.
var unknownFlagMsg = regexp.MustCompile(`unknown flag (-{1,2}[^ ,]+)`)

// hintUnknownFlag adds the closest flag of flags to an "unknown flag"
// usage error (keeping its exit code); other errors pass unchanged.
func hintUnknownFlag(err error, flags []cli.Flag) error {
	var ec cli.ExitCoder
	if err == nil || !errors.As(err, &ec) || ec.ExitCode() != exitError {
		return err
	}
	msg := err.Error()
	m := unknownFlagMsg.FindStringSubmatchIndex(msg)
	if m == nil || strings.HasPrefix(msg[m[1]:], ", did you mean") {
		return err
	}
	typed := msg[m[2]:m[3]]
	if cmd, ok := strings.CutSuffix(msg[:m[0]], ": "); ok && (typed == "-o" || typed == "--output") && !hasFlag(&cli.Command{Flags: flags}, "output") && !strings.Contains(cmd, " ") {
		// -o is a habit from the commands that write a file
		return cli.Exit(fmt.Sprintf("%s: %s prints to stdout, redirect it (rdbtool %s ... > FILE)%s", msg[:m[1]], cmd, cmd, msg[m[1]:]), exitError)
	}
	hint := closestFlag(flags, typed)
	if hint == "" {
		return err
	}
	return cli.Exit(msg[:m[1]]+", did you mean "+hint+"?"+msg[m[1]:], exitError)
}

// flagHint is ", did you mean --x?" for an unknown-flag error from the flag
// package when one of flags is close to the flag typed, ", want FORM" for
// a value one of flags refused without saying why, else "".
func flagHint(flags []cli.Flag, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return valueFormHint(flags, err)
	}
	if hint := closestFlag(flags, name); hint != "" {
		return ", did you mean " + hint + "?"
	}
	return ""
}

// valueFormHint is ", want FORM" for an "invalid value" error of the flag
// package that says no more than "parse error" (flagErrorText: "not a
// valid value"), naming what the flag of flags it is for takes.
func valueFormHint(flags []cli.Flag, err error) string {
	msg := err.Error()
	i := strings.Index(msg, " for flag ")
	if !strings.HasPrefix(msg, "invalid value ") || i < 0 || !strings.HasSuffix(flagErrorText(err), "not a valid value") {
		return ""
	}
	name, _, _ := strings.Cut(msg[i+len(" for flag "):], ": ")
	name = strings.TrimLeft(name, "-")
	for _, f := range flags {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		switch f.(type) {
		case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag,
			*cli.IntSliceFlag, *cli.Int64SliceFlag, *cli.UintSliceFlag, *cli.Uint64SliceFlag:
			return ", want a whole number"
		case *cli.Float64Flag, *cli.Float64SliceFlag:
			return ", want a number"
		case *cli.DurationFlag:
			return ", want a duration with a unit: " + durationForm
		}
	}
	return ""
}

// commandFlagHint is ", a command's flag: put it after the command" when
// the unknown flag before any command is a flag of some command
// (rdbtool --json keys dump.rdb), else "".
func commandFlagHint(cmds []*cli.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	for _, cmd := range cmds {
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				if n == strings.TrimLeft(name, "-") {
					return fmt.Sprintf(", a command's flag: put it after the command (rdbtool COMMAND ... %s)", dashes(name))
				}
			}
		}
	}
	return ""
}

// closestFlag is the flag of flags (spelled with its dashes) closest to
// typed, or "".
func closestFlag(flags []cli.Flag, typed string) string {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	names = append(names, "help")
	if best := closest(strings.TrimLeft(typed, "-"), names); best != "" {
		return dashes(best)
	}
	return ""
}

// didYouMean is " (did you mean NAME?)"-style text for typed among names:
// ", did you mean NAME?" or "".
func didYouMean(typed string, names []string) string {
	if best := closest(typed, names); best != "" {
		return ", did you mean " + best + "?"
	}
	return ""
}

func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}

// closest is the name in names nearest to typed (case ignored): the only
// one typed (3+ letters) begins, else the one fewest edits away (a
// swap of neighbours counts as one edit), at most one edit per three
// letters typed and at most two; "" when none is that close or the
// nearest are tied.
func closest(typed string, names []string) string {
	typed = strings.ToLower(typed)
	if len(typed) >= 3 {
		var prefixed []string
		for _, n := range names {
			if strings.HasPrefix(n, typed) && n != typed {
				prefixed = append(prefixed, n)
			}
		}
		if len(prefixed) == 1 {
			return prefixed[0]
		}
	}
	limit := min(len(typed)/3, 2)
	best, bestD, tied := "", limit+1, false
	for _, n := range names {
		switch d := editDistance(typed, n); {
		case d < bestD:
			best, bestD, tied = n, d, false
		case d == bestD && n != best:
			tied = true
		}
	}
	if tied {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of adjacent letters.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
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
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// invalid boolean value "maybe" for -json: parse error (the
		// value, quoted, may hold " for " itself: the flag's is the last)
		if i := strings.LastIndex(rest, " for "); i >= 0 {
			val, name := rest[:i], rest[i+len(" for "):]
			name, _, _ = strings.Cut(name, ": ")
			return fmt.Sprintf("%s %s: use true or false", dashes(name), val)
		}
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

// runNoCommand shows the help without a command and for "help [CMD
// [SUB]]"; an unknown command is a usage error (exit 2) naming the closest
// command, not the cli package's "No help topic" (exit 3).
func runNoCommand(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 || (args[0] == "help" && (len(args) == 1 || args[1] == "help")) {
		return cli.ShowAppHelp(c)
	}
	if args[0] != "help" {
		return cli.Exit(fmt.Sprintf("unknown command %q%s (rdbtool --help lists the commands)", args[0], didYouMean(args[0], commandNames(c.App.Commands))), exitError)
	}
	// help CMD [SUB]: the same text as CMD [SUB] --help, from the same code.
	cmds, path := c.App.Commands, []string{}
	for _, name := range args[1:] {
		var found *cli.Command
		for _, cmd := range cmds {
			if cmd.HasName(name) && !cmd.Hidden {
				found = cmd
			}
		}
		if found == nil {
			if len(path) > 0 && len(cmds) == 0 {
				break // help CMD ARG: a command without subcommands
			}
			typed := strings.Join(append(path, name), " ")
			hint := didYouMean(name, commandNames(cmds))
			if hint != "" && len(path) > 0 {
				hint = ", did you mean " + strings.Join(path, " ") + " " + strings.TrimPrefix(hint, ", did you mean ")
			}
			see := "rdbtool --help"
			if len(path) > 0 {
				see = "rdbtool " + strings.Join(path, " ") + " --help"
			}
			return cli.Exit(fmt.Sprintf("help: unknown command %q%s (%s lists the commands)", typed, hint, see), exitError)
		}
		path = append(path, found.Name)
		cmds = found.Subcommands
	}
	return c.App.RunContext(c.Context, append(append([]string{c.App.Name}, path...), "--help"))
}

// terminalOutput decides, before any command runs, whether a progress bar
// may appear on stderr: only when stderr is a terminal, never with --json
// and never when stdout goes to another program (| jq, | less: the bar
// would land in the middle of what it shows on the terminal). Output
// written to a terminal erases a bar shown there first, so lines never
// follow the bar on its line.
func terminalOutput(c *cli.Context) error {
	app := c.App
	if !progress.IsTerminal(app.ErrWriter) {
		return nil
	}
	if jsonRequested(c.Args().Slice()) || toProgram(app.Writer) {
		app.ErrWriter = progress.WithoutBar(app.ErrWriter)
		return nil
	}
	app.ErrWriter = progress.Suspend(app.ErrWriter)
	app.Writer = progress.Suspend(app.Writer)
	return nil
}

// jsonRequested reports whether args (flags anywhere before "--") ask for
// JSON output.
func jsonRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if on, err := strconv.ParseBool(val); strings.HasPrefix(a, "-") && name == "json" && (!hasVal || err == nil && on) {
			return true
		}
	}
	return false
}

// toProgram reports whether w is a pipe or a socket (another program
// reads it), not a terminal, file or device.
func toProgram(w any) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

// buildVersion is set by `make build` (-ldflags -X main.buildVersion=...)
// to git describe's name of the commit, for builds without VCS stamping.
var buildVersion string

// versionInfo is what rdbtool version (and --version) reports: what a
// user filing a bug is asked for, as go version -m reads it from the
// binary.
type versionInfo struct {
	Version    string `json:"version"`               // make's stamp, the module version, or "devel"
	Commit     string `json:"commit,omitempty"`      // vcs.revision, when built in a checkout
	CommitTime string `json:"commit_time,omitempty"` // vcs.time (RFC 3339)
	Modified   bool   `json:"modified"`              // built with uncommitted changes
	Go         string `json:"go"`                    // the Go toolchain: go1.26.8
	Platform   string `json:"platform"`              // linux/amd64
}

// readVersion is the version report of the binary bi describes (nil: no
// build info) and stamped (buildVersion): make's stamp first, then the
// module version (go install pkg@v1.2.3, or the pseudo-version go build
// records in a git checkout), else "devel".
func readVersion(bi *debug.BuildInfo, stamped string) versionInfo {
	v := versionInfo{Version: "devel", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.CommitTime = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if stamped != "" {
		v.Version = stamped
	}
	return v
}

// text is the report as --version prints it: the first line is the cli
// package's usual "rdbtool version V", for scripts that read it.
func (v versionInfo) text() string {
	s := "rdbtool version " + v.Version + "\n"
	if v.Commit != "" {
		s += "commit " + v.Commit
		if v.CommitTime != "" {
			s += " (" + v.CommitTime + ")"
		}
		if v.Modified {
			s += ", with uncommitted changes"
		}
		s += "\n"
	}
	return s + "built with " + v.Go + " for " + v.Platform + "\n"
}

// thisVersion is the version report of the running binary.
func thisVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return readVersion(bi, buildVersion)
}

// version is the one-word version the main help shows.
func version() string { return thisVersion().Version }

func init() {
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprint(c.App.Writer, thisVersion().text()) }
	register(versionCommand(), completionCommand())
}

// versionCommand is rdbtool version, as go, gh, kubectl and restic have it
// beside (or instead of) --version: the same report, or --json.
func versionCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "version",
		UsageText: "rdbtool version [--json]",
		Usage:     "print the version, the commit it was built from and the Go version (same as --version)",
		Description: "Prints the version (make build's git describe, the module version of go install\n" +
			"or of a go build in a git checkout, else devel), the commit with its time and whether\n" +
			"the tree had uncommitted changes (when built in a checkout), and the Go toolchain and\n" +
			"platform. --json prints {\"version\",\"commit\",\"commit_time\",\"modified\",\"go\",\"platform\"}\n" +
			"(commit and commit_time absent when not built in a checkout).\n\n" +
			"Examples:\n" +
			"  rdbtool version\n" +
			"  rdbtool version --json | jq -r .commit",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object (see above)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return cmdUsageError("version", "unexpected argument %q", c.Args().First())
			}
			v := thisVersion()
			if !c.Bool("json") {
				_, err := fmt.Fprint(c.App.Writer, v.text())
				return err
			}
			return printJSON(c, v, false)
		},
	})
}

// completeCommands sets the completion of cmd and its subcommands: their
// flags and subcommand names (a command's own BashComplete is kept).
func completeCommands(cmd *cli.Command) {
	if cmd.BashComplete == nil {
		cmd.BashComplete = func(c *cli.Context) {
			completeWord(c.App.Writer, cmd.Flags, commandWords(cmd.Subcommands))
		}
	}
	for _, sub := range cmd.Subcommands {
		completeCommands(sub)
	}
}

// commandWords are the names of cmds a user may complete (no help).
func commandWords(cmds []*cli.Command) []string {
	var words []string
	for _, name := range commandNames(cmds) {
		if name != "help" {
			words = append(words, name)
		}
	}
	return words
}

// completeWord prints, one a line, the completions of the word being
// completed: the values it begins after a flag of flagValues, the names
// of flags (and --help) it begins when it starts with -, else the words
// it begins. Nothing for a FILE or a flag's value,
// so the shell completes file names. The word is the argument before the
// completion flag (the cli package strips it and keeps no raw arguments
// but os.Args); the scripts of rdbtool completion always pass it, "" for
// an empty one, which tells "-o<TAB>" (complete the flag) from "-o <TAB>"
// (complete a file).
func completeWord(w io.Writer, flags []cli.Flag, words []string) {
	cur, prev := "", ""
	if n := len(os.Args); n > 2 {
		cur = os.Args[n-2]
		if n > 3 {
			prev = os.Args[n-3]
		}
	}
	if name, ok := strings.CutPrefix(strings.TrimPrefix(prev, "-"), "-"); ok && flagValues[name] != nil && hasFlag(&cli.Command{Flags: flags}, name) {
		words = flagValues[name]
	} else if strings.HasPrefix(cur, "-") {
		words = nil
		for _, f := range flags {
			for _, name := range f.Names() {
				words = append(words, dashes(name))
			}
		}
		if !slices.Contains(words, "--help") {
			words = append(words, "--help")
		}
	}
	for _, word := range words {
		if strings.HasPrefix(word, cur) && word != "--generate-bash-completion" {
			fmt.Fprintln(w, word)
		}
	}
}

// flagValues are the values of the flags that take one of a few, for
// completion (keys/prune --type, snapshot --method, serve --expiry).
var flagValues = map[string][]string{
	"type":   rdb.TypeNames,
	"method": {"scan", "sync"},
	"expiry": {"relative", "wallclock", "persist"},
}

// completingAfterDashes reports whether args ask for completions (the
// completion flag last) on a command line holding "--". The cli package
// then runs the command with the flag as one more argument: a FILE, a
// migration's NAME. rdbtool's scripts never ask, other scripts may.
func completingAfterDashes(args []string) bool {
	n := len(args)
	return n > 1 && args[n-1] == "--generate-bash-completion" && slices.Contains(args[1:n-1], "--")
}

// completionScripts are what rdbtool completion SHELL prints. Each passes
// the command line up to the word being completed, that word (even when
// empty) and the completion flag to rdbtool, offers what it prints, and
// completes file names when it prints nothing. After "--" only file names
// are completed, and "--" being completed is sent as "-": the cli package
// would run the command (completingAfterDashes).
var completionScripts = map[string]string{
	"bash": `# bash completion for rdbtool; load it with: source <(rdbtool completion bash)
_rdbtool() {
	local cur=${COMP_WORDS[COMP_CWORD]} w
	for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
		[[ $w == -- ]] && return 0
	done
	local word=$cur IFS=$'\n'
	[[ $word == -- ]] && word=-
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$word" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o default -o bashdefault -F _rdbtool rdbtool
`,
	"zsh": `#compdef rdbtool
# zsh completion for rdbtool; load it with: source <(rdbtool completion zsh) (after compinit)
_rdbtool() {
	local -a args opts
	args=("${(@Q)words[2,CURRENT-1]}")
	if (( ${args[(I)--]} )); then
		_files
		return
	fi
	local word=${(Q)words[CURRENT]}
	[[ $word == -- ]] && word=-
	opts=("${(@f)$("${words[1]}" "${args[@]}" "$word" --generate-bash-completion 2>/dev/null)}")
	if [[ -n ${opts[1]} ]]; then
		compadd -a opts
	else
		_files
	fi
}
# sourced: register; autoloaded from a file _rdbtool in $fpath: complete now
if [[ ${funcstack[1]} == _rdbtool ]]; then
	_rdbtool "$@"
else
	compdef _rdbtool rdbtool
fi
`,
	"fish": `# fish completion for rdbtool; load it with: rdbtool completion fish | source
function __rdbtool_complete
	set -l words (commandline -opc)
	set -l prog $words[1]
	set -e words[1]
	set -l cur (commandline -ct)
	if contains -- -- $words
		__fish_complete_path "$cur"
		return
	end
	set -l word "$cur"
	test "$word" = -- && set word -
	set -l out ($prog $words "$word" --generate-bash-completion 2>/dev/null)
	if set -q out[1]
		printf '%s\n' $out
	else
		__fish_complete_path "$cur"
	end
end
complete -c rdbtool -f -a '(__rdbtool_complete)'
`,
}

// completionCommand is rdbtool completion SHELL, as gh, kubectl and other
// Go CLIs have it: the cli package completes, but leaves the scripts to
// copy from its repository.
func completionCommand() *cli.Command {
	shells := []string{"bash", "zsh", "fish"}
	cmd := fileCommand(&cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		UsageText: "rdbtool completion bash|zsh|fish",
		Description: "Prints a script that makes the shell complete rdbtool's commands, subcommands and\n" +
			"flags (and file names where a FILE or a flag's value goes). Load it in the shell's\n" +
			"start-up file:\n" +
			"  bash (~/.bashrc):                source <(rdbtool completion bash)\n" +
			"  zsh (~/.zshrc, after compinit):  source <(rdbtool completion zsh)\n" +
			"    (or save it as _rdbtool in a directory of $fpath)\n" +
			"  fish:                            rdbtool completion fish > ~/.config/fish/completions/rdbtool.fish\n" +
			"The script runs rdbtool ... --generate-bash-completion to find the candidates.\n\n" +
			"Examples:\n" +
			"  source <(rdbtool completion bash)\n" +
			"  rdbtool completion bash | sudo tee /etc/bash_completion.d/rdbtool",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || completionScripts[c.Args().First()] == "" {
				got := "no shell"
				if c.NArg() > 0 {
					got = fmt.Sprintf("%q", strings.Join(c.Args().Slice(), " "))
				}
				return cmdUsageError("completion", "%s: give one shell, bash, zsh or fish", got)
			}
			_, err := io.WriteString(c.App.Writer, completionScripts[c.Args().First()])
			return err
		},
	})
	cmd.BashComplete = func(c *cli.Context) { completeWord(c.App.Writer, cmd.Flags, shells) }
	return cmd
}

func main() {
	if completingAfterDashes(os.Args) {
		return // nothing to offer but file names, which the shell completes
	}
	err := newApp().Run(os.Args)
	os.Exit(exitCode(err))
}

// exitCode prints err (when there is one) and maps it to an exit code.
func exitCode(err error) int {
	msg, code := exitStatus(err)
	if msg != "" {
		progress.Hide() // a bar left by a failed command would run into the message
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

// signalName names a stopping signal the way the messages do.
func signalName(sg os.Signal) string {
	switch sg {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sg.String()
}

// exitCodeFor is the status a command stopped by sg exits with: 128+n.
func exitCodeFor(sg os.Signal) int {
	if n, ok := sg.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 128 + int(syscall.SIGINT)
}
