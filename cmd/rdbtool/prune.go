package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(pruneCommand()) }

func pruneCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "prune",
		Usage:     "remove keys from an RDB file by name, type, database or size",
		ArgsUsage: "FILE",
		UsageText: "rdbtool prune FILE (-o OUT | --in-place) [--match GLOB]... [--type TYPE]... [--db N]...\n" +
			"                  [--larger-than SIZE] [--keep-newest N] [--json]",
		Description: "Removes from FILE (- for stdin) the keys that satisfy every condition given\n" +
			"(several --match, --type or --db values: any of them). Globs are Redis's (as in SCAN\n" +
			"MATCH). Sizes are value bytes as stored: 512KiB, 4MB (10^6), 1.5GiB, or plain bytes.\n" +
			"--keep-newest N spares the N matching keys whose names sort last in natural order\n" +
			"(numbers compare as numbers), so date-stamped keys like\n" +
			"fpg:snap_fengine_2020-07-16_1253.fpg keep the newest; it reads the file twice (key\n" +
			"names first), so stdin is first copied to a temp file.\n" +
			"Every other record and key is copied byte for byte.\n" + inputHelp +
			"Reports on stderr what was removed (count, bytes); --json prints it as one JSON object\n" +
			"instead (on stderr with -o -): {\"removed\",\"removed_value_bytes\",\"spared\",\n" +
			"\"keep_newest\"} and the fields of rewrite --json:\n" + rewriteJSONHelp + "\n" +
			helpExamples("rdbtool prune dump.rdb --in-place --match 'fpg:*'",
				"rdbtool prune dump.rdb -o small.rdb --larger-than 1MiB",
				"rdbtool prune dump.rdb --in-place --match 'fpg:snap_*' --keep-newest 2"),
		Flags: append(append(outputFlags(), selectFlags()...),
			&cli.StringFlag{Name: "larger-than", Usage: "only values larger than `SIZE` (512KiB, 4MB, 1.5GiB, bytes)"},
			&cli.IntFlag{Name: "keep-newest", Usage: "spare the `N` matching keys whose names sort last (natural order)"},
			jsonFlag(),
		),
		Action: runPrune,
	})
}

func runPrune(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	sel, err := selection(c)
	if err != nil {
		return err
	}
	if sel.Empty() {
		return cmdUsageError("prune", "give at least one of --match, --type, --db, --larger-than (pruning every key is not what you want)")
	}
	keep := c.Int("keep-newest")
	if keep < 0 {
		return cmdUsageError("prune", "--keep-newest takes a number >= 0")
	}
	p := &filter.Prune{Select: sel}
	job := rewriteJob{label: "prune", filter: p}
	if keep > 0 {
		// The first pass reads the whole input: refuse a bad output first.
		if _, err := outputTarget(c, name); err != nil {
			return err
		}
		if err := refuseRDBToTerminal(c); err != nil {
			return err
		}
		src := name
		if name == "-" || !regularFile(name) {
			// Read twice: stdin, a pipe or a FIFO is copied to a temp
			// file first. Ctrl-C while spooling or pruning removes it too.
			var from io.Reader = c.App.Reader
			if name == "-" {
				if err := stdinTerminal(c); err != nil {
					return err
				}
			} else {
				in, err := openInput(c, name, "prune: copy")
				if err != nil {
					return err
				}
				defer in.Close()
				from = in
			}
			stop := abortOnSignal()
			defer stop()
			tmp, remove, err := spool(from, name)
			if err != nil {
				return err
			}
			defer remove()
			src = tmp
		}
		spare, err := newestKeys(c, src, name, sel, keep)
		if err != nil {
			return err
		}
		p.Spare = spare
		job.src = src // the rewrite pass reads the copy
	}
	st, err := runRewrite(c, name, job)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, pruneJSON{rewriteJSON: newRewriteJSON(c, name, st), Prune: p, KeepNewest: keep}, c.String("o") == "-")
	}
	reportPrune(c, p)
	if p.Spared > 0 {
		stderrf(c, "spared the %d newest matching keys (--keep-newest %d)\n", p.Spared, keep)
	}
	stderrf(c, "wrote %d keys, %s\n", st.KeysOut, filter.FormatSize(st.BytesOut))
	return nil
}

// pruneJSON is prune --json: what the Prune filter removed and the pass.
type pruneJSON struct {
	rewriteJSON
	*filter.Prune
	KeepNewest int `json:"keep_newest"` // --keep-newest, 0 when not given
}

// reportPrune says what a Prune filter removed (prune and refresh).
func reportPrune(c *cli.Context, p *filter.Prune) {
	stderrf(c, "pruned %d keys (%d value bytes, %s)\n", p.Removed, p.RemovedBytes, filter.FormatSize(p.RemovedBytes))
}

// newestKeys is the first pass of --keep-newest: it reads only key names
// of the file at path, reporting errors as the input shown.
func newestKeys(c *cli.Context, path, shown string, sel filter.Select, n int) (*filter.Spare, error) {
	in, err := openInput(c, path, "prune: names")
	if err != nil {
		if path != shown {
			return nil, cli.Exit(fmt.Sprintf("cannot read the copy of %s: %v", srcName(shown), err), exitError)
		}
		return nil, err
	}
	defer in.Close()
	in.exitOnSignal()
	in.name = shown
	k := filter.NewKeepNewest(n)
	rd := rdb.NewReader(in, rdb.SkipValues(), rdb.ReuseBuffers()) // Offer copies the names it keeps
	if err := in.eachEntry(rd, func(e *rdb.Entry) {
		if sel.Selects(e) {
			k.Offer(e.DB, e.Key)
		}
	}); err != nil {
		return nil, err
	}
	return k.Spare(), nil
}

// spool copies the input name (stdin, a pipe) from r to a temp file for
// commands that read twice.
func spool(r io.Reader, name string) (path string, remove func(), err error) {
	fail := func(err error) (string, func(), error) {
		return "", nil, cli.Exit(fmt.Sprintf("cannot copy %s to a temp file: %v (set TMPDIR, or pass a regular FILE)", srcName(name), err), exitError)
	}
	f, remove, err := atomicfile.Scratch("", "rdbtool-stdin-*.rdb")
	if err != nil {
		return fail(err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		remove()
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Op == "read" {
			return "", nil, rdbInputError(name, err)
		}
		return fail(err)
	}
	if err := f.Close(); err != nil {
		remove()
		return fail(err)
	}
	return f.Name(), remove, nil
}
