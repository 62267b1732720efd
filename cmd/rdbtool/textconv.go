package main

import (
	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
)

func init() { register(textconvCommand()) }

func textconvCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "textconv",
		Usage:     "print an RDB file as stable, sorted, readable text (for git diff)",
		ArgsUsage: "FILE",
		UsageText: "rdbtool textconv FILE",
		Description: "Prints every key of FILE (- for stdin) sorted by database and name, one element per\n" +
			"line (set members and hash fields sorted, zsets by score), expiries in RFC 3339,\n" +
			"strings quoted; strings over 1 KiB show their size and a SHA-256 prefix. Aux fields\n" +
			"(which change on every save) are left out, so two saves of the same data print the\n" +
			"same text. Meant for fixture-sized dumps: the text of every key is held in memory\n" +
			"for the sort. To make git diff show dump.rdb this way:\n" +
			"  echo 'dump.rdb diff=rdb' >> .gitattributes      # or '*.rdb diff=rdb'\n" +
			"  git config diff.rdb.textconv 'rdbtool textconv'\n\n" +
			helpExamples("rdbtool textconv dump.rdb | less", "git diff HEAD~1 -- testdata/dump.rdb"),
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
		return err
	}
	defer in.Close()
	w := &errWriter{w: c.App.Writer}
	if err := export.TextConv(in, w); err != nil {
		in.fail()
		if w.err != nil {
			return stdoutError(w.err)
		}
		return rdbInputError(name, err)
	}
	return nil
}
