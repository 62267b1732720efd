package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
)

func init() { register(textconvCommand()) }

func textconvCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "textconv",
		Usage:     "print an RDB file as stable, sorted, readable text (for git diff)",
		ArgsUsage: "FILE",
		UsageText: "rdbtool textconv FILE [--inline-errors]",
		Description: "Prints every key of FILE (- for stdin) sorted by database and name, one element per\n" +
			"line (set members and hash fields sorted, zsets by score), expiries in RFC 3339,\n" +
			"strings quoted; strings over 1 KiB show their size and a SHA-256 prefix. Aux fields\n" +
			"(which change on every save) are left out, so two saves of the same data print the\n" +
			"same text. Memory: the keys' text is sorted 32 MiB at a time, then through a temporary\n" +
			"file in $TMPDIR (removed at once), so it does not grow with the dump; the largest value\n" +
			"is held decoded. To make git diff show dump.rdb this way:\n" +
			"  echo 'dump.rdb diff=rdb' >> .gitattributes      # or '*.rdb diff=rdb'\n" +
			"  git config diff.rdb.textconv 'rdbtool textconv --inline-errors'\n" +
			"A dump that cannot be read (damaged, cut short, empty, a Git LFS pointer) is exit 2,\n" +
			"but git stops the whole diff when textconv fails: with --inline-errors the text is\n" +
			"the one line '# rdbtool textconv: cannot read this dump: WHAT' and the exit is 0.\n\n" +
			helpExamples("rdbtool textconv dump.rdb | less", "git diff HEAD~1 -- testdata/dump.rdb"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "inline-errors", Usage: "print why a dump cannot be read as the text, exit 0 (for git diff, which stops at a failing textconv)"},
		},
		Action: runTextconv,
	})
}

func runTextconv(c *cli.Context) error {
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	in, err := openInput(c, name, "textconv")
	if err != nil {
		return inlineError(c, err, strings.TrimPrefix(err.Error(), srcName(name)+": "))
	}
	defer in.Close()
	in.exitOnSignal()
	w := &errWriter{w: c.App.Writer}
	if err := export.TextConv(in, w); err != nil {
		in.fail()
		if w.err != nil {
			return stdoutError(w.err)
		}
		if errors.Is(err, export.ErrTempFile) {
			// not the dump's fault: no "cannot read this dump", no hint
			// to verify it
			return cli.Exit("textconv: "+err.Error(), exitError)
		}
		// inline, the error alone: the hint names git's temp file
		return inlineError(c, rdbInputError(name, err), err.Error())
	}
	return nil
}

// inlineError returns err (an input error), or with --inline-errors
// prints msg (what is wrong, without the file name: git passes a temp
// file's) as the whole text and returns nil, so git diff shows why the
// dump cannot be read instead of stopping. TextConv writes nothing before
// it has read the whole dump, so the line is all there is.
func inlineError(c *cli.Context, err error, msg string) error {
	if !c.Bool("inline-errors") {
		return err
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	if _, werr := fmt.Fprintf(c.App.Writer, "# rdbtool textconv: cannot read this dump: %s\n", msg); werr != nil {
		return stdoutError(werr)
	}
	return nil
}
