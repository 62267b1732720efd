package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/inspect"
)

func init() { register(inspectCommand()) }

func inspectCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "inspect",
		Usage:     "summarize an RDB file: version, aux fields, keys per database, types, expiries, largest keys, prefixes, checksum",
		ArgsUsage: "FILE",
		UsageText: "rdbtool inspect FILE [--json] [--top N] [--prefixes N] [--now TIME] [--read-values]",
		Description: "Reads FILE (- for stdin) once, skipping value bytes by length, and reports the RDB\n" +
			"version and magic, aux fields, key count per database, counts per type and encoding,\n" +
			"keys with an expiry and how many of those are already past (a real Redis drops them\n" +
			"on load), total and largest values, the N largest keys, key counts by prefix (up to\n" +
			"the first ':') and the trailing checksum's status. String encodings (int, raw, lzf)\n" +
			"come from each value's first byte, noted while skipping. A checksum mismatch is\n" +
			"reported and exits 2.\n" +
			"--json prints one object: {\"input\" (FILE),\"magic\",\"rdb_version\",\"size_bytes\",\"aux\":[{\"key\",\n" +
			"\"value\"}],\"functions\",\"module_aux\",\"keys\",\"databases\":[{\"db\",\"keys\",\"expiring\",\"expired\",\n" +
			"\"value_bytes\"}],\"types\":{TYPE:{\"keys\",\"value_bytes\",\"encodings\":{ENC:N}}},\"expiring\",\n" +
			"\"expired\",\"now\" (RFC 3339),\"value_bytes\",\"largest\":{\"db\",\"key\",\"type\",\"encoding\",\"bytes\"},\n" +
			"\"top\":[same],\"prefixes\":[{\"prefix\",\"keys\",\"value_bytes\"}],\"checksum\":{\"status\",\"stored\",\n" +
			"\"computed\"}} (the README has the details).\n\n" +
			helpExamples("rdbtool inspect dump.rdb", "rdbtool inspect --top 20 --json dump.rdb | jq .types"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object (see above)"},
			&cli.IntFlag{Name: "top", Value: 10, Usage: "list the `N` largest keys"},
			&cli.IntFlag{Name: "prefixes", Value: 20, Usage: "list the `N` prefixes with the most keys"},
			nowFlagDef(),
			&cli.BoolFlag{Name: "read-values", Usage: "read every value's bytes too (slower; the report is the same, kept for scripts)"},
		},
		Action: runInspect,
	})
}

func runInspect(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	now, err := nowFlag(c)
	if err != nil {
		return err
	}
	if c.Int("top") < 0 || c.Int("prefixes") < 0 {
		return cmdUsageError("inspect", "--top and --prefixes take a number >= 0")
	}
	in, err := openInput(c, name, "inspect")
	if err != nil {
		return err
	}
	defer in.Close()
	in.exitOnSignal()
	prefixes := c.Int("prefixes")
	if prefixes == 0 {
		prefixes = -1 // --prefixes 0 lists none, as --top 0 does (inspect's 0 is its default)
	}
	st, err := inspect.Read(in, inspect.Options{Top: c.Int("top"), Prefixes: prefixes, Now: now, ReadValues: c.Bool("read-values")})
	if err != nil {
		in.fail()
		return rdbInputError(name, err)
	}
	in.Close()
	if c.Bool("json") {
		// FILE first, under the key every report names it by
		report := struct {
			Input string `json:"input"`
			*inspect.Stats
		}{name, st}
		if err := printJSON(c, report, false); err != nil {
			return err
		}
	} else if err := st.WriteText(c.App.Writer); err != nil {
		return stdoutError(err)
	}
	if st.Checksum.Status == "mismatch" {
		return cli.Exit(fmt.Sprintf("%s: checksum mismatch (stored %s, computed %s): the file is damaged; rdbtool verify shows more",
			srcName(name), st.Checksum.Stored, st.Checksum.Computed), exitError)
	}
	return nil
}

// nowFlagDef is --now for the commands that tell expired keys apart.
func nowFlagDef() cli.Flag {
	return &cli.StringFlag{Name: "now", Usage: "count expiries before `TIME` (RFC 3339) as already past (default: now)"}
}

// nowFlag reads --now (RFC 3339), default the current time.
func nowFlag(c *cli.Context) (time.Time, error) {
	s := c.String("now")
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, cmdUsageError(c.Command.Name, "--now %q: use RFC 3339, e.g. 2026-01-02T15:04:05Z", s)
	}
	return t, nil
}
