package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(keysCommand()) }

// selectFlags are the key-selection flags shared by keys and prune.
func selectFlags() []cli.Flag {
	return []cli.Flag{
		newGlobFlag("match", "only keys matching the Redis glob `GLOB`"),
		newListFlag("type", "only keys of `TYPE`: string, list, set, zset, hash, stream, module (or several, comma-separated)"),
		&cli.IntSliceFlag{Name: "db", Usage: "only keys in database `N` (repeatable)"},
	}
}

// selection builds a filter.Select from the selection flags.
func selection(c *cli.Context) (filter.Select, error) {
	var names []string
	for _, v := range listValues(c, "type") { // --type string,hash as well as --type string --type hash
		names = append(names, strings.Split(v, ",")...)
	}
	types, err := filter.ParseTypes(names)
	if err != nil {
		return filter.Select{}, cmdUsageError(c.Command.Name, "%v", err)
	}
	dbs, err := dbFlag(c)
	if err != nil {
		return filter.Select{}, err
	}
	s := filter.Select{Match: filter.NewGlobs(listValues(c, "match")), Types: types, DBs: filter.DBs(dbs)}
	larger, err := sizeFlag(c, "larger-than")
	s.LargerThan = int64(larger)
	return s, err
}

// dbFlag returns the --db numbers; a negative one is a usage error (it
// would select nothing).
func dbFlag(c *cli.Context) ([]int, error) {
	dbs := c.IntSlice("db")
	for _, db := range dbs {
		if db < 0 {
			return nil, cmdUsageError(c.Command.Name, "--db %d: databases are numbered from 0", db)
		}
	}
	return dbs, nil
}

func keysCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "keys",
		Usage:     "list the keys of an RDB file: database, type, encoding, size, expiry, name",
		ArgsUsage: "FILE",
		UsageText: "rdbtool keys FILE [--match GLOB]... [--type TYPE]... [--db N]... [--json]",
		Description: "Prints one line per key of FILE (- for stdin), tab-separated: database, type,\n" +
			"encoding, value size in bytes (as stored), expiry (RFC 3339 in UTC, or -), key.\n" +
			"Keys that are not printable ASCII are quoted Go-style (\"a b\", \"\\xff\"). Several\n" +
			"--match (or --type, --db) select keys matching any of them; different flags must\n" +
			"all hold.\n" +
			"--json prints one JSON object per line: {\"db\",\"key\",\"type\",\"encoding\",\"bytes\",\n" +
			"\"expire_ms\" (-1 for none),\"expires\" (RFC 3339 or null)}; a key that is not UTF-8 is\n" +
			"{\"base64\": \"...\"}.\n\n" +
			helpExamples("rdbtool keys dump.rdb --match 'fpg:*'", "rdbtool keys dump.rdb --type hash --db 0 --json | jq -r .key"),
		Flags: append(selectFlags(),
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per line (see above)"},
		),
		Action: runKeys,
	})
}

type keyLine struct {
	DB       int         `json:"db"`
	Key      export.Blob `json:"key"`
	Type     string      `json:"type"`
	Encoding string      `json:"encoding"`
	Bytes    int64       `json:"bytes"`
	ExpireMs int64       `json:"expire_ms"`
	Expires  *string     `json:"expires"`
}

func runKeys(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	sel, err := selection(c)
	if err != nil {
		return err
	}
	in, err := openInput(c, name, "keys")
	if err != nil {
		return err
	}
	defer in.Close()
	in.exitOnSignal()
	w := bufio.NewWriterSize(c.App.Writer, 64<<10)
	asJSON := c.Bool("json")
	// Values are skipped by length: a key's line needs its size, and a
	// string's encoding, which the Reader notes while skipping.
	rd := rdb.NewReader(in, rdb.SkipValues(), rdb.ReuseBuffers()) // each line is printed before the next read
	err = in.eachEntryErr(rd, func(e *rdb.Entry) error {
		if !sel.Selects(e) {
			return nil
		}
		exp := "-"
		if e.HasExpiry() {
			exp = time.UnixMilli(e.ExpireMs).UTC().Format(time.RFC3339Nano)
		}
		if asJSON {
			l := keyLine{DB: e.DB, Key: e.Key, Type: rdb.TypeName(e.Type), Encoding: e.Encoding(), Bytes: e.ValueLen, ExpireMs: e.ExpireMs}
			if e.HasExpiry() {
				l.Expires = &exp
			}
			b, _ := json.Marshal(l)
			w.Write(b)
			if err := w.WriteByte('\n'); err != nil { // bufio's errors stick
				return stdoutError(err)
			}
			return nil
		}
		w.WriteString(strconv.Itoa(e.DB))
		if _, err := fmt.Fprintf(w, "\t%s\t%s\t%d\t%s\t%s\n", rdb.TypeName(e.Type), e.Encoding(), e.ValueLen, exp, filter.Quote(e.Key)); err != nil {
			return stdoutError(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return stdoutError(err)
	}
	return nil
}
