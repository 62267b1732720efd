package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(exportCommand(), importCommand()) }

const jsonlHelp = "JSON lines: a header line {\"rdb_version\":N,\"magic\":\"REDIS\"}, one {\"function\":CODE} line per\n" +
	"function library, then one line per key: {\"db\",\"key\",\"type\",\"expire_ms\" (-1: none),\n" +
	"\"idle\"/\"freq\" (when present),\"value\"}. Bytes are JSON strings when valid UTF-8, else\n" +
	"{\"base64\":\"...\"}. value: string = bytes; list, set = [bytes]; zset = [{\"member\",\"score\"}]\n" +
	"(score may be \"inf\", \"-inf\"); hash = [{\"field\",\"value\",\"expire_ms\"?}]; stream =\n" +
	"{\"entries\":[{\"id\":\"ms-seq\",\"fields\":[[name,value]]}],\"groups\":[{\"name\",\"last_id\",\n" +
	"\"entries_read\",\"pending\":[...],\"consumers\":[...]}],\"length\",\"last_id\",...}; module =\n" +
	"{\"module\",\"encver\",\"rdb_type\":7,\"raw\"} (opaque bytes). The README has the full format.\n" +
	"import takes blank lines, CRLF line ends and a UTF-8 byte order mark, but no comments;\n" +
	"exports may be concatenated (cat a.jsonl b.jsonl) when their headers agree or\n" +
	"--rdb-version is given. Errors give the line (and column) and the field.\n"

func exportCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "export",
		Usage:     "write an RDB file as JSON lines, one key per line",
		ArgsUsage: "FILE",
		UsageText: "rdbtool export FILE [-o OUT]",
		Description: "Decodes every key of FILE (- for stdin) and writes it as one JSON object per line,\n" +
			"in file order, streaming. rdbtool import turns the result back into an RDB file with\n" +
			"the same data (a real Redis shows the same DEBUG DIGEST).\n" + jsonlHelp + "\n" +
			helpExamples("rdbtool export dump.rdb -o dump.jsonl",
				"rdbtool export dump.rdb | jq -c 'select(.type == \"hash\")'"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Value: "-", Usage: "write to `OUT` (default stdout); written to a temp file and renamed"},
		},
		Action: runExport,
	})
}

func runExport(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	in, out, err := openInOut(c, name, "export")
	if err != nil {
		return err
	}
	defer in.Close()
	defer out.abort()
	if _, err := export.Export(in, out); err != nil {
		return passError(in, out, err)
	}
	return out.commit()
}

func importCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "import",
		Usage:     "build an RDB file from the JSON lines of rdbtool export",
		ArgsUsage: "FILE",
		UsageText: "rdbtool import FILE -o OUT [--rdb-version N [--skip-unconvertible]] [--json]",
		Description: "Reads JSON lines (- for stdin) in the form rdbtool export writes and writes an RDB file,\n" +
			"streaming. The file is one a server of RDB version N loads (default: the version in\n" +
			"the header line, else 12), by the same rules as rdbtool rewrite --rdb-version:\n" +
			"values are written with the same data in plain types, not ziplists or listpacks:\n" +
			"hash table (type 4), skiplist (type 5; 3 before 8), plain set; lists as quicklist 2\n" +
			"(10+), quicklist (7-9) or linked list. Data N cannot hold is dropped with a warning\n" +
			"(hash field expiries before 12, stream metadata before 10, functions before 10,\n" +
			"LRU/LFU and module aux before 9; before 3 expiries are stored in whole seconds,\n" +
			"rounded up). Keys N cannot express (module values before 8, streams before 9,\n" +
			"expiries after 2038 before 3) are listed; the command then fails unless\n" +
			"--skip-unconvertible.\n" +
			"--json prints the report as one JSON object instead of warnings on stderr (stdout; on\n" +
			"stderr with -o -), also when keys are unconvertible (exit 2):\n" +
			"  {\"input\",\"output\" (- = stdout),\"rdb_version\" (written),\"keys\" (written),\"converted\",\n" +
			"  \"warnings\":[...],\"warnings_omitted\",\"unconvertible\":[{\"db\",\"key\"}]}\n" +
			jsonlHelp + "\n" +
			helpExamples("rdbtool import dump.jsonl -o dump.rdb --rdb-version 10",
				"rdbtool export a.rdb | jq -c 'select(.db == 0)' | rdbtool import - -o db0.rdb"),
		Flags: append(outputFlags()[:1],
			&cli.IntFlag{Name: "rdb-version", Usage: "write RDB version `N` (default: the export's, else 12)"},
			&cli.BoolFlag{Name: "skip-unconvertible", Usage: "leave out keys the target version cannot express instead of failing"},
			jsonFlag(),
		),
		Action: runImport,
	})
}

func runImport(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	v := c.Int("rdb-version")
	if v < 0 || (v > rdb.MaxVersion && v < 80) {
		return cmdUsageError("import", "--rdb-version %d: use 1-12 (Redis) or 80 and up (Valkey)", v)
	}
	if err := refuseRDBToTerminal(c); err != nil {
		return err
	}
	in, out, err := openInOut(c, name, "import")
	if err != nil {
		return err
	}
	defer in.Close()
	defer out.abort()
	br := bufio.NewReaderSize(in, 64<<10)
	if magic, _ := br.Peek(5); string(magic) == "REDIS" || string(magic) == "VALKE" {
		in.fail()
		return cli.Exit(fmt.Sprintf("%s is an RDB file: import reads the JSON lines of rdbtool export (rdbtool rewrite copies or converts an RDB file)", srcName(name)), exitError)
	}
	// ew tells a failed write of the output (disk full, a closed pipe)
	// from bad input, which ImportWith reports the same way, by line.
	ew := &errWriter{w: out}
	st, err := export.ImportWith(br, ew, export.ImportOptions{Version: v, SkipUnconvertible: c.Bool("skip-unconvertible")})
	jsonOut := c.Bool("json")
	// A failed import wrote nothing: only unconvertible keys, which made
	// it fail, are worth the report; any other error is its one line.
	if st != nil && !jsonOut && (err == nil || errors.Is(err, rdb.ErrUnconvertible)) {
		printConversion(c, &st.ConversionReport, st.Version)
	}
	if err != nil && ew.err != nil {
		return passError(in, out, ew.err)
	}
	if err != nil {
		in.fail()
		if st != nil && jsonOut && errors.Is(err, rdb.ErrUnconvertible) {
			// the keys that made it fail are the report
			if jerr := printJSON(c, newImportJSON(name, out.name, st), out.name == "-"); jerr != nil {
				return jerr
			}
		}
		var le *export.LineError
		if errors.As(err, &le) {
			return cli.Exit(fmt.Sprintf("%s: %v (the format is in rdbtool import --help)", srcName(name), err), exitError)
		}
		return cli.Exit(fmt.Sprintf("%s: %v", srcName(name), err), exitError)
	}
	if err := out.commit(); err != nil {
		return err
	}
	if jsonOut {
		return printJSON(c, newImportJSON(name, out.name, st), out.name == "-")
	}
	return nil
}

// importJSON is import --json: export.ImportStats with the keys in
// readable form.
type importJSON struct {
	Input  string `json:"input"`  // FILE, - for stdin
	Output string `json:"output"` // OUT, - for stdout
	*export.ImportStats
	// these shadow ImportStats' own
	Warnings      []string     `json:"warnings"`
	Unconvertible []keyRefJSON `json:"unconvertible"`
}

func newImportJSON(in, out string, st *export.ImportStats) importJSON {
	w := st.Warnings
	if w == nil {
		w = []string{}
	}
	return importJSON{Input: in, Output: out, ImportStats: st, Warnings: w, Unconvertible: keyRefsJSON(st.Unconvertible)}
}
