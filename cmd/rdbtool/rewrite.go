package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(rewriteCommand()) }

func rewriteCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "rewrite",
		Usage:     "copy an RDB file record by record, optionally converting it to another RDB version",
		ArgsUsage: "FILE",
		UsageText: "rdbtool rewrite FILE (-o OUT | --in-place) [--rdb-version N [--skip-unconvertible]] [--json]",
		Description: "Reads every record of FILE (- for stdin) and writes it back. Without options the\n" +
			"output is byte-identical to the input. With --rdb-version N it is a file a server of\n" +
			"that version loads. Values N cannot read are re-encoded with the same data in plain\n" +
			"types, not ziplists: listpack hashes and sorted sets become a hash table (type 4)\n" +
			"and a skiplist (type 5; 3 before 8), set listpacks a plain set, quicklist 2 a\n" +
			"quicklist (a linked list before 7); values N reads keep their bytes. Data N cannot\n" +
			"hold is dropped with a warning: hash field expiries before 12, stream metadata\n" +
			"before 10, functions before 10, LRU/LFU and module aux before 9, aux fields and\n" +
			"resize-db hints before 7; before 3 expiries are stored in whole seconds, rounded up.\n" +
			"Keys N cannot express at all (module values before 8, streams before 9, expiries\n" +
			"after 2038 before 3) are listed; the command then fails unless --skip-unconvertible\n" +
			"drops them.\n" +
			"RDB versions: 9 = Redis 5.0-6.2, 10 = 7.0, 11 = 7.2, 12 = 7.4+.\n" +
			"With --rdb-version N (not the input's own) an input holding a key twice in one\n" +
			"database (a dump Redis refuses to load) is refused: exit 2, nothing written; the plain\n" +
			"copy does not look for one (rdbtool verify does). Bytes after the dump's checksum (an\n" +
			"appendonly.aof's commands after its RDB preamble) are not copied: a warning says how many.\n" +
			"--json prints the report as one JSON object (on stderr with -o -) instead of text:\n" +
			rewriteJSONHelp + "\n" +
			helpExamples("rdbtool rewrite dump.rdb -o copy.rdb",
				"rdbtool rewrite dump.rdb --rdb-version 9 -o dump-redis6.rdb",
				"rdbtool rewrite - -o - --rdb-version 10 < new.rdb > old.rdb"),
		Flags: append(outputFlags(),
			&cli.IntFlag{Name: "rdb-version", Usage: "write RDB version `N` (default: the input's)"},
			&cli.BoolFlag{Name: "skip-unconvertible", Usage: "drop keys the target version cannot express instead of failing"},
			jsonFlag(),
		),
		Action: runRewriteCmd,
	})
}

func runRewriteCmd(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	v := c.Int("rdb-version")
	if v < 0 || (v > 0 && v < 1) || (v > 12 && v < 80) {
		return cmdUsageError("rewrite", "--rdb-version %d: use 1-12 (Redis) or 80 and up (Valkey)", v)
	}
	if c.Bool("skip-unconvertible") && v == 0 {
		return cmdUsageError("rewrite", "--skip-unconvertible only applies with --rdb-version")
	}
	st, err := runRewrite(c, name, rewriteJob{label: "rewrite", opts: filter.RewriteOptions{Version: v, SkipUnconvertible: c.Bool("skip-unconvertible")}})
	// A pass that failed on a damaged input or the output wrote nothing:
	// the error line alone says so (no warnings or counts of a conversion
	// that was not written).
	if st != nil && (err == nil || errors.Is(err, rdb.ErrUnconvertible)) {
		if c.Bool("json") {
			// also when the pass failed (unconvertible keys): the report
			// lists them, as the text form does
			if jerr := printJSON(c, newRewriteJSON(c, name, st), c.String("o") == "-"); jerr != nil && err == nil {
				return jerr
			}
		} else {
			reportConversion(c, st.RewriteStats)
		}
	}
	return err
}

// jsonFlag is --json for the commands that report on stderr.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print the report as one JSON object (stdout; stderr with -o -), not text"}
}

// inputHelp says what the filtering commands do with a key given twice and
// with bytes after the dump.
const inputHelp = "An input holding a key twice in one database (a dump Redis refuses to load) is\n" +
	"refused: exit 2, nothing written. Bytes after the dump's checksum (an appendonly.aof's\n" +
	"commands after its RDB preamble) are not copied: a warning says how many.\n"

// rewriteJSONHelp lists the fields every rewriting command's --json has.
const rewriteJSONHelp = "  {\"input\",\"output\" (- = stdout),\"input_rdb_version\",\"output_rdb_version\",\"keys_in\",\n" +
	"  \"keys_out\",\"input_bytes\",\"output_bytes\",\"checksum\":{\"status\",\"stored\",\"computed\"},\n" +
	"  \"converted\",\"warnings\":[...],\"warnings_omitted\",\"unconvertible\":[{\"db\",\"key\"}],\n" +
	"  \"trailing_bytes\" (after the end of the dump: not copied, e.g. an appendonly.aof's commands)}\n"

// rewriteJSON is the --json report of a pass from FILE to OUT (rewrite,
// prune, persist, refresh): filter.RewriteStats with the checksum and the
// keys in readable form.
type rewriteJSON struct {
	Input  string `json:"input"`  // FILE, - for stdin
	Output string `json:"output"` // OUT, - for stdout
	*filter.RewriteStats
	// these shadow RewriteStats' own
	Checksum      checksumJSON `json:"checksum"`
	Warnings      []string     `json:"warnings"`
	Unconvertible []keyRefJSON `json:"unconvertible"`
	// bytes of the input after the end of its dump, not copied (an
	// appendonly.aof's command tail): the text form's warning
	TrailingBytes int64 `json:"trailing_bytes"`
}

func newRewriteJSON(c *cli.Context, name string, st *passStats) rewriteJSON {
	w := st.Warnings
	if w == nil {
		w = []string{}
	}
	return rewriteJSON{Input: name, Output: outputName(c, name), RewriteStats: st.RewriteStats,
		Checksum: newChecksumJSON(st.Checksum), Warnings: w, Unconvertible: keyRefsJSON(st.Unconvertible),
		TrailingBytes: st.Trailing}
}

// outputName is the output as given: OUT, - for stdout, FILE with --in-place.
func outputName(c *cli.Context, name string) string {
	if c.Bool("in-place") {
		return name
	}
	return c.String("o")
}

// checksumJSON is the trailing CRC-64 as inspect --json writes it.
type checksumJSON struct {
	Status   string `json:"status"`   // ok, zero, absent, mismatch, unread
	Stored   string `json:"stored"`   // 16 hex digits
	Computed string `json:"computed"` // 16 hex digits
}

func newChecksumJSON(s rdb.ChecksumInfo) checksumJSON {
	st := "unread"
	switch s.Status {
	case rdb.ChecksumOK:
		st = "ok"
	case rdb.ChecksumZero:
		st = "zero"
	case rdb.ChecksumAbsent:
		st = "absent"
	case rdb.ChecksumMismatch:
		st = "mismatch"
	}
	return checksumJSON{Status: st, Stored: fmt.Sprintf("%016x", s.Stored), Computed: fmt.Sprintf("%016x", s.Computed)}
}

// keyRefJSON is a key in a --json report: the key as check --json and
// export write it (a string, or {"base64": ...}).
type keyRefJSON struct {
	DB  int         `json:"db"`
	Key export.Blob `json:"key"`
}

// keyRefsJSON converts keys; never nil (a JSON [] rather than null).
func keyRefsJSON(ks []filter.KeyRef) []keyRefJSON {
	out := make([]keyRefJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, keyRefJSON{DB: k.DB, Key: export.Blob(k.Key)})
	}
	return out
}

// reportConversion prints conversion warnings and unconvertible keys.
func reportConversion(c *cli.Context, st *filter.RewriteStats) {
	printConversion(c, &st.ConversionReport, st.OutVersion)
	if st.Converted > 0 {
		stderrf(c, "converted %d values from RDB %d to RDB %d\n", st.Converted, st.InVersion, st.OutVersion)
	}
}

// printConversion prints what fitting a file to RDB version did: the
// warnings (omitted more), and the keys it cannot express.
func printConversion(c *cli.Context, r *filter.ConversionReport, version int) {
	for _, w := range r.Warnings {
		stderrf(c, "warning: %s\n", w)
	}
	if r.WarningsOmitted > 0 {
		stderrf(c, "warning: ... and %d more\n", r.WarningsOmitted)
	}
	if len(r.Unconvertible) > 0 {
		stderrf(c, "%d keys cannot be written as RDB version %d:\n", len(r.Unconvertible), version)
		for _, k := range r.Unconvertible {
			stderrf(c, "  %s\n", k)
		}
	}
}
