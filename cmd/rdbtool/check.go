package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(checkCommand()) }

func checkCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "check",
		Usage:     "check that an RDB file obeys the policy (for pre-commit hooks and CI)",
		ArgsUsage: "FILE",
		UsageText: "rdbtool check FILE [--policy FILE] [--no-ttl] [--max-value-size SIZE] [--max-file-size SIZE]\n" +
			"                  [--forbid GLOB]... [--require GLOB]... [--json]",
		Description: "Reads FILE (- for stdin; values skipped) and checks every rule of the policy\n" +
			"(--policy FILE, or FILE.policy / .rdbpolicy beside the dump) plus the rules given\n" +
			"as flags.\n" +
			"Exit 0: every rule holds. Exit 1: one line per violation (rule: db key: what), at\n" +
			"most 1000 per rule. Exit 2: the file is unreadable or no rule was given.\n" +
			"--json prints {\"input\",\"file\" (both FILE),\"keys\",\"size_bytes\",\"violations\":[{\"rule\",\"db\",\"key\",\"message\"}],\n" +
			"\"omitted\":{rule:count}} (db and key are absent for file-wide rules).\n\n" +
			policyHelp + "\n" +
			helpExamples("rdbtool check testdata/dump.rdb",
				"rdbtool check dump.rdb --no-ttl --forbid 'fpg:*' --max-file-size 20MB"),
		Flags: []cli.Flag{
			policyFlag(),
			&cli.BoolFlag{Name: "no-ttl", Usage: "no key may have an expiry"},
			&cli.StringFlag{Name: "max-value-size", Usage: "no value may be larger than `SIZE`"},
			&cli.StringFlag{Name: "max-file-size", Usage: "the file may not be larger than `SIZE`"},
			newGlobFlag("forbid", "no key may match the Redis glob `GLOB`"),
			newGlobFlag("require", "at least one key must match the Redis glob `GLOB`"),
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object (see above), not text"},
		},
		Action: runCheck,
	})
}

type checkJSON struct {
	Input      string          `json:"input"` // FILE, as every report names it
	File       string          `json:"file"`  // the same, the older name
	Keys       int             `json:"keys"`
	SizeBytes  int64           `json:"size_bytes"`
	Violations []violationJSON `json:"violations"`
	Omitted    map[string]int  `json:"omitted"`
}

type violationJSON struct {
	Rule    string       `json:"rule"`
	DB      *int         `json:"db,omitempty"`
	Key     *export.Blob `json:"key,omitempty"`
	Message string       `json:"message"`
}

func runCheck(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(c, name)
	if err != nil {
		return err
	}
	maxVal, err := sizeFlag(c, "max-value-size")
	if err != nil {
		return err
	}
	maxFile, err := sizeFlag(c, "max-file-size")
	if err != nil {
		return err
	}
	pol.Merge(&filter.Policy{NoTTL: c.Bool("no-ttl"), MaxValueSize: maxVal, MaxFileSize: maxFile,
		Forbid: listValues(c, "forbid"), Require: listValues(c, "require")})
	// A missing or unreadable FILE is the first thing to fix, rules or not.
	in, err := openInput(c, name, "check")
	if err != nil {
		return err
	}
	defer in.Close()
	in.exitOnSignal()
	if !pol.HasRules() {
		if pol.Path != "" {
			return cmdUsageError("check", "no rules: the policy %s has none that check enforces (no-ttl, max-value-size, max-file-size, forbid, require); add one, or give --no-ttl, --forbid, ...", pol.Path)
		}
		if name == "-" {
			return cmdUsageError("check", "no rules: give --policy FILE (stdin has no policy beside it) or use --no-ttl, --forbid, ...")
		}
		return cmdUsageError("check", "no rules: give --policy FILE, commit %s.policy beside the dump, or use --no-ttl, --forbid, ...", name)
	}
	ck := filter.NewChecker(pol)
	ropts := []rdb.ReaderOption{rdb.ReuseBuffers()} // the Checker copies what it keeps
	if !pol.NoTTL {
		ropts = append(ropts, rdb.SkipValues()) // no-ttl reads hash field expiries
	}
	// The file's size, for max-file-size: bytes after the dump (Redis
	// ignores them; an old AOF with an RDB preamble has its commands
	// there) are in the file all the same. A pipe's are counted.
	in.countReads()
	rd := rdb.NewReader(in, ropts...)
	if err := in.eachEntry(rd, ck.Observe); err != nil {
		return err
	}
	after, err := in.bytesAfter(rd.Offset())
	if err != nil {
		in.fail()
		return rdbInputError(name, err)
	}
	size := rd.Offset() + after
	in.Close()
	vs := ck.Finish(size)
	w := &errWriter{w: c.App.Writer}
	if c.Bool("json") {
		out := checkJSON{Input: name, File: name, Keys: ck.Keys, SizeBytes: size, Violations: violationsJSON(vs), Omitted: ck.Omitted}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	} else {
		printViolations(c, func(f string, a ...any) { fmt.Fprintf(w, f, a...) }, ck, vs)
	}
	if w.err != nil {
		return stdoutError(w.err)
	}
	if len(vs) > 0 {
		n := len(vs)
		for _, m := range ck.Omitted {
			n += m
		}
		return cli.Exit(fmt.Sprintf("%s: %s", srcName(name), countOf(n, "policy violation")), exitFound)
	}
	return nil
}

// countOf is "1 policy violation", "3 policy violations".
func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
