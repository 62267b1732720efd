package main

// Shared plumbing for the file commands: flags anywhere on the command
// line, inputs ("-" = stdin), outputs (-o FILE, -o -, --in-place) written
// atomically, progress bars, and errors mapped to exit codes.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/progress"
	"github.com/rdbtool/rdbtool/rdb"
)

// fileCommand lets flags follow the positional arguments
// (`rdbtool prune dump.rdb -o out.rdb --match 'fpg:*'`), which the flag
// package alone does not: it stops at the first argument. The command's
// flags are parsed here instead; "--" still ends them.
func fileCommand(cmd *cli.Command) *cli.Command {
	action := cmd.Action
	cmd.SkipFlagParsing = true
	cmd.HideHelpCommand = true
	cmd.Action = func(c *cli.Context) error {
		set, err := commandFlagSet(cmd)
		if err != nil {
			return err
		}
		args := c.Args().Slice()
		var flagArgs, pos []string
		for len(args) > 0 {
			if err := set.Parse(args); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return cli.ShowCommandHelp(c.Lineage()[1], cmd.Name)
				}
				return cmdUsageError(commandPath(c), "%s%s", flagErrorText(err), valueFormHint(cmd.Flags, err))
			}
			rest := set.Args()
			consumed := args[:len(args)-len(rest)]
			if n := len(consumed); n > 0 && consumed[n-1] == "--" {
				flagArgs = append(flagArgs, consumed[:n-1]...)
				pos = append(pos, rest...)
				break
			}
			flagArgs = append(flagArgs, consumed...)
			if len(rest) == 0 {
				break
			}
			pos = append(pos, rest[0])
			args = rest[1:]
		}
		final, _ := commandFlagSet(cmd)
		if err := final.Parse(append(append(flagArgs, "--"), pos...)); err != nil {
			return cmdUsageError(commandPath(c), "%s%s", flagErrorText(err), valueFormHint(cmd.Flags, err))
		}
		nc := cli.NewContext(c.App, final, c)
		nc.Command = cmd
		if nc.Bool("help") {
			return cli.ShowCommandHelp(c.Lineage()[1], cmd.Name)
		}
		return action(nc)
	}
	return cmd
}

// commandPath is the command as typed after "rdbtool": "keys",
// "migrate up".
func commandPath(c *cli.Context) string {
	var names []string
	var last *cli.Command
	for _, ctx := range c.Lineage() {
		// fileCommand's context sits on the command's own: skip the repeat
		if cmd := ctx.Command; cmd != nil && cmd != last && cmd.Name != "" && cmd.Name != c.App.Name {
			names = append([]string{cmd.Name}, names...)
			last = cmd
		}
	}
	return strings.Join(names, " ")
}

// commandFlagSet registers cmd's flags (and --help) on a new flag set. A
// flag's names share one value, so -o and --output (or -h and --help) are
// the same flag whichever is given: the cli package gives each name of a
// string or bool flag its own value, and relies on its own parsing to
// merge them, which fileCommand bypasses.
func commandFlagSet(cmd *cli.Command) (*flag.FlagSet, error) {
	set := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	flags := cmd.Flags
	if cli.HelpFlag != nil {
		flags = append(flags[:len(flags):len(flags)], cli.HelpFlag)
	}
	for _, f := range flags {
		names := f.Names()
		if set.Lookup(names[0]) != nil {
			continue // a command's own --help
		}
		one := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
		if err := f.Apply(one); err != nil {
			return nil, err
		}
		v := one.Lookup(names[0])
		for _, name := range names {
			set.Var(v.Value, name, v.Usage)
		}
	}
	return set, nil
}

// cmdUsageError is exit code 2 with one line naming the command's help.
func cmdUsageError(cmd, format string, args ...any) error {
	return cli.Exit(fmt.Sprintf("%s: %s (see rdbtool %s --help)", cmd, fmt.Sprintf(format, args...), cmd), exitError)
}

// rdbInputError is exit code 2 for an unreadable or damaged input.
func rdbInputError(name string, err error) error {
	var re *rdb.Error
	msg := fmt.Sprintf("%s: %v", srcName(name), err)
	switch {
	case errors.Is(err, rdb.ErrMagic) && strings.Contains(err.Error(), `(bad magic): "{`):
		// The magic error quotes the first bytes: a JSON object.
		msg += " (JSON lines from rdbtool export? make a dump of them with rdbtool import " + name + " -o OUT.rdb)"
	case errors.As(err, &re) && errors.Is(err, rdb.ErrChecksum):
		msg += " (the file is damaged; rdbtool verify shows details, rdbtool inspect reads it anyway)"
	case errors.As(err, &re) && errors.Is(err, rdb.ErrInvalidValue):
		// Only re-encoding finds these (a stream's entries out of ID order
		// within a node): the file reads, and verify passes it.
		msg += " (the value reads, but cannot be re-encoded; a redis-server may still load it as stored, and rewrite without --rdb-version copies it unchanged)"
	case errors.As(err, &re):
		msg += " (the file is damaged or not an RDB dump; check it with rdbtool verify " + name + ")"
	case errors.Is(err, os.ErrNotExist):
		msg = fmt.Sprintf("%s: no such file", srcName(name))
	case errors.Is(err, os.ErrPermission):
		msg = fmt.Sprintf("%s: permission denied (this user may not read it)", srcName(name))
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == name { // "X: open X: ..." says X twice
			msg = fmt.Sprintf("%s: %v", srcName(name), pe.Err)
		}
	}
	return cli.Exit(msg, exitError)
}

func srcName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// dstName is how errors name an output: "-" is stdout.
func dstName(name string) string {
	if name == "-" {
		return "stdout"
	}
	return name
}

// srcFile is an opened FILE argument.
type srcFile struct {
	io.Reader
	name  string
	size  int64           // -1 when unknown (a pipe)
	start int64           // where the dump starts in seek (stdin may be a file read from its middle)
	head  []byte          // the input's first bytes (up to 40), read before the pass
	file  *os.File        // opened here (closed by Close)
	seek  *os.File        // the regular file under Reader, for RemainingSize
	count *countingReader // a pipe's reads counted (countReads), for bytesAfter
	bar   *progress.Bar
	// stopSignals ends exitOnSignal's handling (nil: none).
	stopSignals func()
}

// openInput opens name ("-" = stdin) and, when stderr is a terminal,
// attaches a progress bar labelled label over its size.
func openInput(c *cli.Context, name, label string) (*srcFile, error) {
	in := &srcFile{name: name, size: -1}
	if name == "-" {
		if err := stdinTerminal(c); err != nil {
			return nil, err
		}
		in.Reader = c.App.Reader
		if f, ok := c.App.Reader.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
					in.size, in.seek, in.start = st.Size(), f, pos
				}
			}
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, rdbInputError(name, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, rdbInputError(name, err)
		}
		if st.IsDir() {
			f.Close()
			return nil, cli.Exit(name+": is a directory, not an RDB file", exitError)
		}
		if st.Mode().IsRegular() {
			in.size, in.seek = st.Size(), f
		}
		in.file, in.Reader = f, f
	}
	if err := in.refuseLFSPointer(); err != nil {
		if in.file != nil {
			in.file.Close()
		}
		return nil, err
	}
	in.bar = progress.New(c.App.ErrWriter, label, in.size)
	in.Reader = in.bar.Reader(in.Reader)
	return in, nil
}

// lfsPointer starts a Git LFS pointer file, which a checkout without LFS
// (or git show of an LFS-tracked dump) leaves in place of the file.
const lfsPointer = "version https://git-lfs.github.com/spec/"

// refuseLFSPointer names a Git LFS pointer given as the input, with the
// command that fetches the dump, instead of the reader's "bad magic". A
// regular file's start is read with pread (its offset stays); a pipe's
// start is read and put back in front of the rest.
func (in *srcFile) refuseLFSPointer() error {
	head := make([]byte, len(lfsPointer))
	var n int
	if in.seek != nil {
		n, _ = in.seek.ReadAt(head, in.start)
	} else {
		var err error
		n, err = io.ReadFull(in.Reader, head)
		rest := in.Reader
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			rest = errReader{err} // the read error comes after the bytes read, as it would have
		}
		in.Reader = io.MultiReader(bytes.NewReader(head[:n]), rest)
	}
	in.head = head[:n]
	if n == len(head) && string(head) == lfsPointer {
		return cli.Exit(fmt.Sprintf("%s: a Git LFS pointer, not the dump (checked out without LFS): run git lfs pull", srcName(in.name)), exitError)
	}
	return nil
}

// headerVersion is the RDB version in a dump's first bytes, -1 if none.
func headerVersion(head []byte) int {
	var digits []byte
	switch {
	case len(head) >= 9 && string(head[:5]) == "REDIS":
		digits = head[5:9]
	case len(head) >= 9 && string(head[:6]) == "VALKEY":
		digits = head[6:9]
	default:
		return -1
	}
	v := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return -1
		}
		v = v*10 + int(d-'0')
	}
	return v
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// stdinTerminal refuses FILE "-" when stdin is a terminal: the command
// would wait, silently, for a dump to be typed.
func stdinTerminal(c *cli.Context) error {
	if f, ok := c.App.Reader.(*os.File); ok && progress.IsTerminal(f) {
		return cmdUsageError(commandPath(c), "FILE is - but stdin is a terminal; pipe the input in (< dump.rdb) or give FILE")
	}
	return nil
}

// RemainingSize tells the rdb Reader how much of a regular file is left
// to read (the progress bar's wrapper hides the file), so a long value is
// read into one buffer of its size; -1 for a pipe.
func (in *srcFile) RemainingSize() int64 {
	if in.seek == nil {
		return -1
	}
	pos, err := in.seek.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1
	}
	return max(in.size-pos, 0)
}

// countReads makes in count a pipe's bytes as they are read, for
// bytesAfter (a regular file has its size); call it before the pass.
func (in *srcFile) countReads() {
	if in.size < 0 && in.count == nil {
		in.count = &countingReader{r: in.Reader}
		in.Reader = in.count
	}
}

// bytesAfter is how many bytes of the input follow the read first ones
// (the dump): Redis ignores them (an old AOF with an RDB preamble has its
// commands there). A pipe, whose reads countReads counted, is read to its
// end for that.
func (in *srcFile) bytesAfter(read int64) (int64, error) {
	if in.count == nil {
		return max(in.size-in.start-read, 0), nil
	}
	_, err := io.Copy(io.Discard, in.count)
	return max(in.count.count()-read, 0), err
}

// countingReader counts the bytes read through it. Reads are serialised:
// the rdb.Reader's background feeder may still be in a Read of the pipe
// (reading ahead) when the caller goes on to read the rest; every byte is
// then counted once, by whichever Read got it.
type countingReader struct {
	mu sync.Mutex
	r  io.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// count is the bytes read so far.
func (c *countingReader) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// exitOnSignal is for commands that only read: by default Ctrl-C ends
// them where they stand, leaving the progress bar on the terminal, so the
// prompt lands on its line. While a bar may show, an abort signal erases
// it and ends the program by the signal, as the default does (the shell
// shows 128+N, and a script running the command in a loop stops, where
// it goes on after a command that exited with 130; no temp files exist,
// but any scratch file goes too). Close stops it.
func (in *srcFile) exitOnSignal() {
	if in.bar != nil && in.stopSignals == nil {
		in.stopSignals = dieOnSignal()
	}
}

// Close ends the progress bar and closes the file.
func (in *srcFile) Close() error {
	if in.stopSignals != nil {
		in.stopSignals()
	}
	in.bar.Done()
	if in.file != nil {
		return in.file.Close()
	}
	return nil
}

// fail clears the progress bar before an error message.
func (in *srcFile) fail() { in.bar.Clear() }

// eachEntry reads every record of in through rd and calls fn for each
// key; a read error clears the progress bar and is an input error.
func (in *srcFile) eachEntry(rd *rdb.Reader, fn func(*rdb.Entry)) error {
	return in.eachEntryErr(rd, func(e *rdb.Entry) error { fn(e); return nil })
}

// eachEntryErr is eachEntry with an fn that may stop the loop: its error
// is returned as it is.
func (in *srcFile) eachEntryErr(rd *rdb.Reader, fn func(*rdb.Entry) error) error {
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			in.fail()
			return rdbInputError(in.name, err)
		}
		if e, ok := rec.(*rdb.Entry); ok {
			if err := fn(e); err != nil {
				in.fail()
				return err
			}
		}
	}
}

// stdoutError is exit 2 for output that could not be written to stdout
// (a full disk): never a success with the output cut. A closed pipe is
// errBrokenPipe.
func stdoutError(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return errBrokenPipe
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return cli.Exit(fmt.Sprintf("stdout: cannot write: %v", err), exitError)
}

// errBrokenPipe ends a command whose output's reader went away (| head,
// a >(...) that exited): nothing on stderr and status 141, 128+SIGPIPE, as
// for a program SIGPIPE ends (which the runtime does to writes to fd 1:
// rdbtool keys | head). -o /dev/stdout or -o >(head) get EPIPE instead,
// and said "broken pipe" with status 2 for the same closed pipe.
var errBrokenPipe = cli.Exit("", 128+int(syscall.SIGPIPE))

// printJSON writes v as an indented JSON object on stdout, or on stderr
// when stdout carries the command's RDB output (-o -): the --json form of
// a command's report.
func printJSON(c *cli.Context, v any, stdoutTaken bool) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // messages and keys as they are: "a < b", not "a \u003c b"
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	w := c.App.Writer
	if stdoutTaken {
		w = c.App.ErrWriter
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		if stdoutTaken {
			return err
		}
		return stdoutError(err)
	}
	return nil
}

// errWriter passes writes to w and remembers the first error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// fileArg returns the single FILE argument or a usage error.
func fileArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", cmdUsageError(c.Command.Name, "expected one FILE argument (- for stdin), got %d", c.NArg())
	}
	return c.Args().First(), nil
}

// outputFlags are -o and --in-place for commands that write an RDB file.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "write the result to `OUT` (- for stdout); written to a temp file and renamed, never partial"},
		&cli.BoolFlag{Name: "in-place", Usage: "replace FILE with the result (temp file beside it, fsync, rename; untouched on any failure or Ctrl-C)"},
	}
}

// dstFile is where a command writes its result.
type dstFile struct {
	io.Writer
	name string
	file *atomicfile.File // nil for stdout and dev
	dev  *os.File         // a device or FIFO written directly
	stop func()
}

// outputTarget resolves -o / --in-place for input inName: the path to
// write, "-" for stdout. -o naming the input itself (by any path) is
// refused: only --in-place replaces the input.
func outputTarget(c *cli.Context, inName string) (string, error) {
	out, inPlace := c.String("o"), c.Bool("in-place")
	switch {
	case out != "" && inPlace:
		return "", cmdUsageError(c.Command.Name, "give either -o OUT or --in-place, not both")
	case inPlace && inName == "-":
		return "", cmdUsageError(c.Command.Name, "--in-place needs a FILE, not stdin; use -o OUT")
	case inPlace:
		if st, err := os.Stat(inName); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
			return "", cmdUsageError(c.Command.Name, "--in-place needs a regular file; %s is not one (use -o OUT)", inName)
		}
		return inName, nil
	case out == "" && hasFlag(c.Command, "in-place"):
		return "", cmdUsageError(c.Command.Name, "give -o OUT (- for stdout) or --in-place")
	case out == "":
		return "", cmdUsageError(c.Command.Name, "give -o OUT (- for stdout)")
	}
	if st, err := os.Stat(out); out != "-" && (strings.HasSuffix(out, "/") || err == nil && st.IsDir()) {
		// -o out/ or -o .: the file's name is missing (a directory that
		// does not exist yet is no better: it would be created next)
		example := "dump.rdb"
		if c.Command.Name == "export" {
			example = "dump.jsonl"
		}
		return "", cmdUsageError(commandPath(c), "-o %s is a directory: give the file to write, e.g. -o %s", out, strings.TrimSuffix(out, "/")+"/"+example)
	}
	if out != "-" && inName != "-" && regularFile(out) && sameFile(inName, out) {
		if hasFlag(c.Command, "in-place") {
			return "", cmdUsageError(c.Command.Name, "-o %s is the input file itself: give --in-place to replace it, or another OUT", out)
		}
		return "", cmdUsageError(c.Command.Name, "-o %s is the input file itself: give another OUT", out)
	}
	return out, nil
}

// regularFile reports whether path (followed through links) is a regular file.
func regularFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// sameFile reports whether paths a and b both exist and are one file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// createOutput opens out, the target outputTarget resolved.
func createOutput(c *cli.Context, out string) (*dstFile, error) {
	if out == "-" {
		return &dstFile{Writer: c.App.Writer, name: "-"}, nil
	}
	if st, err := os.Stat(out); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		// A device, FIFO or socket (-o /dev/null, -o /dev/stdout, -o
		// >(gzip > x)) is written to: renaming a temp file over it would
		// replace the device node itself.
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return nil, outputError(out, err)
		}
		return &dstFile{Writer: f, name: out, dev: f}, nil
	}
	// Handle Ctrl-C before the temp file exists, so no signal can arrive
	// between its creation and the handler that removes it.
	stop := abortOnSignal()
	f, err := atomicfile.Create(out)
	if err != nil {
		stop()
		return nil, outputError(out, err)
	}
	return &dstFile{Writer: f, name: out, file: f, stop: stop}, nil
}

// ignoredAtStart are the signals this process was started with ignored:
// SIGHUP under nohup, SIGINT for a command a non-interactive shell runs
// with &. Read before any handler is installed (signal.Ignored is false
// once one is). Go keeps only these two ignored on its own.
var ignoredAtStart = func() (sigs []os.Signal) {
	for _, sg := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(sg) {
			sigs = append(sigs, sg)
		}
	}
	return sigs
}()

// handledSignals is sigs less those this process was started with
// ignored: a handler installed for one would un-ignore it.
func handledSignals(sigs ...os.Signal) []os.Signal {
	var out []os.Signal
	for _, sg := range sigs {
		if !slices.Contains(ignoredAtStart, sg) {
			out = append(out, sg)
		}
	}
	return out
}

// dieOnSignal makes the abort signals the caller has not chosen to ignore
// remove the temp files, erase the progress bar and end the program by
// that signal (atomicfile.DieOnSignalAfter).
func dieOnSignal() (stop func()) {
	return atomicfile.DieOnSignalAfter(progress.End, handledSignals(atomicfile.AbortSignals...)...)
}

// abortOnSignal is atomicfile.DieOnSignalAfter (a signal removes the temp
// files, erases the progress bar and ends the program by that signal, so
// the shell shows 128+N and a script looping over files stops on Ctrl-C
// instead of going on with the next) for the signals the caller has not
// chosen to ignore: nohup rdbtool refresh ... must outlive the terminal as
// nohup promises, and finish its output, where taking SIGHUP over killed
// it.
//
// While a temp file exists, a closed stdout pipe (| head) is also an error
// the command returns (errBrokenPipe), so its deferred clean-up runs: by
// default the runtime ends the program with SIGPIPE at once, which left
// prune --keep-newest's spooled copy of stdin behind.
func abortOnSignal() (stop func()) {
	abort := dieOnSignal()
	pipe := make(chan os.Signal, 1) // never read: a write to the closed pipe fails with EPIPE instead
	signal.Notify(pipe, syscall.SIGPIPE)
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(pipe)
			abort()
		})
	}
}

// hasFlag reports whether cmd has a flag called name.
func hasFlag(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// outputError says why OUT cannot be created, naming OUT rather than the
// temp file beside it, and what to check.
func outputError(out string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	hint := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint = fmt.Sprintf(" (create the directory %s first)", filepath.Dir(out))
	case errors.Is(err, fs.ErrPermission):
		hint = fmt.Sprintf(" (no permission to write in %s; write elsewhere with -o OUT)", filepath.Dir(out))
	}
	return cli.Exit(fmt.Sprintf("%s: cannot write the output: %v%s", out, err, hint), exitError)
}

// commit makes the output final.
func (o *dstFile) commit() error {
	if o.dev != nil {
		err := o.dev.Close()
		o.dev = nil
		if err != nil {
			return cli.Exit(fmt.Sprintf("%s: %v", o.name, err), exitError)
		}
		return nil
	}
	if o.file == nil {
		return nil
	}
	defer o.stop()
	if err := o.file.Commit(); err != nil {
		return cli.Exit(fmt.Sprintf("%s: %v (nothing was replaced)", o.name, err), exitError)
	}
	return nil
}

// abort discards the output (a no-op after commit).
func (o *dstFile) abort() {
	if o.dev != nil {
		o.dev.Close()
		o.dev = nil
	}
	if o.file == nil {
		return
	}
	o.file.Abort()
	o.stop()
}

// stderrf prints a line on stderr.
func stderrf(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(c.App.ErrWriter, format, args...)
}

// helpExamples formats help examples.
func helpExamples(lines ...string) string {
	return "Examples:\n  " + strings.Join(lines, "\n  ")
}

// listFlag is a repeatable string flag whose values are kept whole: the
// cli package's StringSliceFlag would split "[a,b]*" at the comma.
type listFlag struct {
	cli.StringSliceFlag
	check func(string) error // each value, when set
}

// Apply registers a fresh, non-splitting list value.
func (f *listFlag) Apply(set *flag.FlagSet) error {
	v := &listValue{check: f.check}
	for _, name := range f.Names() {
		set.Var(v, name, f.Usage)
	}
	return nil
}

// newListFlag makes a repeatable flag; put the value's placeholder in
// backquotes in usage ("keys matching `GLOB`").
func newListFlag(name, usage string) *listFlag {
	return &listFlag{StringSliceFlag: cli.StringSliceFlag{Name: name, Usage: usage + " (repeatable)"}}
}

// globSyntax is what a Redis glob may hold.
const globSyntax = `as SCAN MATCH: * ? [a-z] [^x] \x`

// newGlobFlag is a repeatable Redis glob flag; an unterminated [ is a
// usage error rather than a pattern that silently matches nothing.
// Its help says the syntax, as every glob flag's does.
func newGlobFlag(name, usage string) *listFlag {
	if !strings.Contains(usage, globSyntax) {
		usage += " (" + globSyntax + ")"
	}
	f := newListFlag(name, usage)
	f.check = filter.CheckGlob
	return f
}

type listValue struct {
	vals  []string
	check func(string) error
}

func (v *listValue) String() string { return strings.Join(v.vals, ",") }

func (v *listValue) Set(s string) error {
	if v.check != nil {
		if err := v.check(s); err != nil {
			return err
		}
	}
	v.vals = append(v.vals, s)
	return nil
}

func (v *listValue) Get() any { return append([]string(nil), v.vals...) }

// listValues returns the values of a listFlag.
func listValues(c *cli.Context, name string) []string {
	if v, ok := c.Value(name).([]string); ok {
		return v
	}
	return nil
}

// openInOut opens FILE and the -o / --in-place output of a one-pass
// command; the caller closes the input and aborts the output when done.
func openInOut(c *cli.Context, name, label string) (*srcFile, *dstFile, error) {
	return openCopyInOut(c, name, name, label)
}

// openCopyInOut is openInOut reading src, a copy of FILE name (errors
// name FILE).
func openCopyInOut(c *cli.Context, name, src, label string) (*srcFile, *dstFile, error) {
	// Usage errors first: opening a FIFO to read waits for its writer.
	target, err := outputTarget(c, name)
	if err != nil {
		return nil, nil, err
	}
	in, err := openInput(c, src, label)
	if err != nil {
		return nil, nil, err
	}
	in.name = name
	out, err := createOutput(c, target)
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, out, nil
}

// passError reports a failed pass: a damaged input names the input, any
// other failure (writing, mostly) the output.
func passError(in *srcFile, out *dstFile, err error) error {
	in.fail()
	var re *rdb.Error
	if errors.As(err, &re) {
		return rdbInputError(in.name, err)
	}
	if errors.Is(err, syscall.EPIPE) {
		return errBrokenPipe
	}
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) && (out.file == nil || pe.Path == out.file.TempPath()) {
		// "write dir/.out.rdb.tmp-1c3c: no space left on device": the temp
		// file (or /dev/stdout) is not the name the user gave.
		msg = pe.Err.Error()
	}
	msg = strings.TrimPrefix(msg, "writing output: ")
	if out.file != nil {
		msg += " (nothing was written)" // the temp file is removed
	}
	return cli.Exit(fmt.Sprintf("%s: cannot write the output: %s", dstName(out.name), msg), exitError)
}

// rewriteJob is one streaming pass from an input RDB to an output RDB.
type rewriteJob struct {
	label  string // progress bar label
	src    string // the path to read, when not FILE itself (a temp copy of it)
	filter filter.Filter
	opts   filter.RewriteOptions
	// beforeCommit may veto the output (e.g. a policy violation); the
	// output is then discarded and the original left as it was.
	beforeCommit func(st *passStats, out *dstFile) error
}

// passStats is what a pass did: the filter's stats and the bytes of the
// input after the end of its dump, which no pass copies (Redis stops at
// the checksum too): an appendonly.aof's command tail after its RDB
// preamble, a dump copied over a longer file.
type passStats struct {
	*filter.RewriteStats
	Trailing int64
}

// refuseRDBToTerminal stops -o - when stdout is a terminal: an RDB file
// there is unreadable noise that can upset the terminal.
func refuseRDBToTerminal(c *cli.Context) error {
	if c.String("o") == "-" && progress.IsTerminal(c.App.Writer) {
		return cmdUsageError(commandPath(c), "-o -: stdout is a terminal; redirect it (> out.rdb, | rdbtool inspect -) or give -o FILE")
	}
	return nil
}

// runRewrite streams FILE (the only argument) to -o/--in-place through the
// job's filter. Any failure discards the output.
func runRewrite(c *cli.Context, name string, job rewriteJob) (*passStats, error) {
	st, err := rewritePass(c, name, job)
	if err == nil && st.Trailing > 0 && !c.Bool("json") {
		stderrf(c, "warning: %s: %d bytes after the end of the dump were not copied (only the RDB part is written; an appendonly.aof's command tail is not)\n", srcName(name), st.Trailing)
	}
	return st, err
}

// rewritePass is runRewrite's pass; trailing counts the input's bytes
// after the dump (a pipe is read to its end for that).
func rewritePass(c *cli.Context, name string, job rewriteJob) (*passStats, error) {
	if err := refuseRDBToTerminal(c); err != nil {
		return nil, err
	}
	src := name
	if job.src != "" {
		src = job.src
	}
	in, out, err := openCopyInOut(c, name, src, job.label)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	defer out.abort()
	var st *filter.RewriteStats
	var trailing int64
	// A dump with a key twice in one database does not load: the commands
	// whose output claims to load (the filters, --rdb-version) refuse to
	// write one. The plain rewrite is a byte-for-byte copy (verify checks).
	// (Not with --rdb-version the input's own either: a filter would make
	// filter.Rewrite write a real checksum where the input has zero.)
	var dups *dupCheck
	if job.filter != nil || (job.opts.Version != 0 && job.opts.Version != headerVersion(in.head)) {
		dups = newDupCheck(in)
		defer dups.release()
		if job.filter != nil {
			job.filter = filter.Chain{job.filter, dupFilter{dups}}
		} else {
			job.filter = dupFilter{dups}
		}
	}
	if job.filter == nil && job.opts.Version == 0 && in.file != nil && in.size >= 0 && out.file != nil && out.file.TempPath() != "" {
		// The identity from file to file: a kernel copy checked record by record.
		st, err = filter.CopyVerified(in.file, out.file.File, in.size, in.bar.Reader, job.opts)
	} else {
		in.countReads()
		st, err = filter.Rewrite(in, out, job.filter, job.opts)
	}
	if err == nil {
		// (a pipe's read error after the dump leaves the count short; the
		// dump itself was read whole)
		trailing, _ = in.bytesAfter(st.BytesIn)
	}
	if err == nil && dups != nil && dups.finish() != nil {
		in.fail()
		where := "nothing was written"
		if out.name == "-" {
			where = "the output already sent to stdout has it twice: discard it"
		} else if out.dev != nil {
			where = "the output already written to " + out.name + " has it twice: discard it"
		}
		return nil, cli.Exit(fmt.Sprintf("%s: %v; %s", srcName(name), dups.finish(), where), exitError)
	}
	var ps *passStats
	if st != nil {
		ps = &passStats{RewriteStats: st, Trailing: trailing}
	}
	if errors.Is(err, rdb.ErrUnconvertible) {
		in.fail()
		return ps, unconvertibleExit{fmt.Errorf("%s: %w", srcName(name), err)}
	}
	if err != nil {
		return ps, passError(in, out, err)
	}
	if job.beforeCommit != nil {
		if err := job.beforeCommit(ps, out); err != nil {
			return ps, err
		}
	}
	return ps, out.commit()
}

// unconvertibleExit is how a pass ends that stopped on keys the target
// version cannot express: exit code 2 with the message as it is, and
// errors.Is finds rdb.ErrUnconvertible, so the command can still print its
// report, which lists those keys (any other failure prints only the error).
type unconvertibleExit struct{ err error }

func (e unconvertibleExit) Error() string { return e.err.Error() }
func (e unconvertibleExit) ExitCode() int { return exitError }
func (e unconvertibleExit) Unwrap() error { return e.err }

// streamingGC tunes the garbage collector for the one-pass commands: their
// live heap is small and bounded (one entry, a few buffers), so collecting
// less often saves much CPU (every entry allocates) while a soft memory
// limit keeps the peak well under 64 MB plus the largest value.
// GOGC and GOMEMLIMIT in the environment take precedence.
func streamingGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(streamGOGC)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(streamMemLimit)
	}
}

const (
	streamGOGC     = 300
	streamMemLimit = 40 << 20
)
