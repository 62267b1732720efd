package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
)

func init() { register(diffCommand()) }

func diffCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "diff",
		Usage:     "compare two RDB files by content: keys added, removed, changed",
		ArgsUsage: "A B",
		UsageText: "rdbtool diff A B [--json]",
		Description: "Compares the keys of A and B (either may be - for stdin). Values are compared by\n" +
			"their data, not their encoding: a set stored as intset in one file and as listpack in\n" +
			"the other is equal; a hash's field order does not matter. Type and expiry changes are\n" +
			"shown. Prints '- dbN KEY (TYPE)' for removed keys, then '+' for added, '~' for changed\n" +
			"(each sorted by database and key; KEY quoted unless plain printable ASCII), then\n" +
			"the function libraries added, removed or changed (by name and code), then a summary\n" +
			"line 'N added, N removed, N changed, N unchanged'. Every difference is listed.\n" +
			"Exit 0 when equal, 1 when not, 2 when a file is unreadable.\n" +
			"--json prints {\"added\":[{\"db\",\"key\",\"type\"}],\"removed\":[...],\"changed\":[{\"db\",\"key\",\n" +
			"\"what\":[\"type\"|\"value\"|\"expiry\"],\"old_type\",\"new_type\",\"old_expire_ms\",\"new_expire_ms\",\n" +
			"\"detail\"}],\"unchanged\":N,\"functions\":{\"added\":[names],\"removed\":[...],\"changed\":[...]}},\n" +
			"lists sorted by db and key; expiries in unix ms, -1 for none; detail is absent when\n" +
			"there is no short description. Memory: each file's keys are sorted 32 MiB at a time, then\n" +
			"through a temporary file in $TMPDIR (removed at once), so it grows with the differences\n" +
			"found, not with the number of keys; the largest value is held decoded.\n\n" +
			helpExamples("rdbtool diff old.rdb new.rdb", "git show HEAD:testdata/dump.rdb | rdbtool diff - testdata/dump.rdb"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object (see above), not text"},
		},
		Action: runDiff,
	})
}

func runDiff(c *cli.Context) error {
	if c.NArg() != 2 {
		return cmdUsageError("diff", "expected two files A B, got %d", c.NArg())
	}
	a, b := c.Args().Get(0), c.Args().Get(1)
	if a == "-" && b == "-" {
		return cmdUsageError("diff", "only one of A and B can be stdin")
	}
	fa, err := openInput(c, a, "diff A")
	if err != nil {
		return err
	}
	defer fa.Close()
	fa.exitOnSignal()
	fb, err := openInput(c, b, "diff B")
	if err != nil {
		return err
	}
	defer fb.Close()
	fb.exitOnSignal()
	res, err := export.Diff(fa, fb)
	if err != nil {
		fa.fail()
		fb.fail()
		var ie *export.DiffInputError
		if errors.As(err, &ie) {
			return rdbInputError([2]string{a, b}[ie.Input], ie.Err)
		}
		return cli.Exit(fmt.Sprintf("diff: %v", err), exitError)
	}
	fa.Close()
	fb.Close()
	if c.Bool("json") {
		if err := printJSON(c, res, false); err != nil {
			return err
		}
	} else if err := res.WriteText(c.App.Writer); err != nil {
		return stdoutError(err)
	}
	if !res.Equal() {
		return cli.Exit("", exitFound)
	}
	return nil
}
