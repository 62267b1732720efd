package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(verifyCommand()) }

func verifyCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "verify",
		Usage:     "check that an RDB file is sound: every record, every value decoded, no key twice, the checksum",
		ArgsUsage: "FILE",
		UsageText: "rdbtool verify FILE [--json]",
		Description: "Reads every record of FILE (- for stdin), decodes every value completely (the deep\n" +
			"check redis-check-rdb does), checks that no key is given twice in one database (Redis\n" +
			"refuses to start from such a file; 8 bytes a key are kept, outside the Go heap) and\n" +
			"verifies the trailing CRC-64. Exits 0 and prints a summary line when the file is sound;\n" +
			"exits 2 with the first problem: its byte offset, the key being read and what is wrong\n" +
			"(for a key given twice: the second copy, and the offset of the first).\n" +
			"--json prints the result as one JSON object on stdout instead, also for a damaged file\n" +
			"(exit 2): {\"input\",\"ok\",\"rdb_version\",\"keys\",\"size_bytes\" (bytes read),\n" +
			"\"trailing_bytes\" (after the end of the dump, ignored),\"checksum\":{\"status\" (ok, zero,\n" +
			"absent, mismatch, unread),\"stored\",\"computed\"},\"problems\":[{\"offset\",\"key\" (when\n" +
			"inside a key),\"kind\",\"message\"}]}. kind: truncated, magic, version, unknown_type,\n" +
			"unknown_opcode, length, checksum, corrupt, duplicate_key or other. A file that cannot\n" +
			"be opened or read is an error on stderr only.\n\n" +
			helpExamples("rdbtool verify dump.rdb", "curl -s https://example.org/dump.rdb | rdbtool verify -"),
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object (see above), not text"}},
		Action: runVerify,
	})
}

func runVerify(c *cli.Context) error {
	streamingGC()
	name, err := fileArg(c)
	if err != nil {
		return err
	}
	in, err := openInput(c, name, "verify")
	if err != nil {
		return err
	}
	defer in.Close()
	in.exitOnSignal()
	// each entry is validated and dropped before the next: the Reader may
	// reuse its buffers (no allocation per entry, values not copied)
	rd := rdb.NewReader(in, rdb.ReuseBuffers())
	// a key twice in one database: Redis refuses to start from the file
	dups := newDupCheck(in)
	defer dups.release()
	var keys int64
	var version int
	// fail reports a problem: the JSON form too with --json, when the
	// problem is in the file (not a failure to read it).
	fail := func(err error) error {
		if derr := dups.finish(); derr != nil {
			err = derr // a key given twice before the problem: the first problem
		}
		in.fail()
		var re *rdb.Error
		if c.Bool("json") && errors.As(err, &re) {
			v := verifyJSON{Input: name, RDBVersion: version, Keys: keys, SizeBytes: rd.Offset(),
				Checksum: newChecksumJSON(rd.Checksum()), Problems: []verifyProblem{newVerifyProblem(re)}}
			if jerr := printJSON(c, v, false); jerr != nil {
				return jerr
			}
		}
		return verifyError(name, err)
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		switch r := rec.(type) {
		case *rdb.Header:
			version = r.Version
		case *rdb.Entry:
			keys++
			if err := rdb.ValidateValue(r.Type, r.Value); err != nil {
				return fail(&rdb.Error{Offset: r.Offset(), Key: append([]byte(nil), r.Key...), Err: err})
			}
			dups.add(r.DB, r.Key, r.Offset())
		}
	}
	if err := dups.finish(); err != nil {
		return fail(err)
	}
	in.Close()
	sum := rd.Checksum()
	// Redis stops at the checksum too, and so do the other commands (a
	// pipe's rest is not read: 0)
	trailing, _ := in.bytesAfter(rd.Offset())
	extra := ""
	if trailing > 0 {
		extra = fmt.Sprintf(" (%d bytes after the end of the dump, ignored)", trailing)
	}
	if c.Bool("json") {
		return printJSON(c, verifyJSON{Input: name, OK: true, RDBVersion: version, Keys: keys, SizeBytes: rd.Offset(),
			TrailingBytes: trailing, Checksum: newChecksumJSON(sum), Problems: []verifyProblem{}}, false)
	}
	if _, err := fmt.Fprintf(c.App.Writer, "%s: ok: RDB version %d, %d keys, %d bytes, checksum %s%s\n", srcName(name), version, keys, rd.Offset(), checksumWord(sum.Status), extra); err != nil {
		return stdoutError(err)
	}
	return nil
}

func verifyError(name string, err error) error {
	var re *rdb.Error
	if errors.As(err, &re) {
		return cli.Exit(fmt.Sprintf("%s: %v", srcName(name), err), exitError)
	}
	return rdbInputError(name, err)
}

func checksumWord(s rdb.ChecksumStatus) string {
	switch s {
	case rdb.ChecksumOK:
		return "ok"
	case rdb.ChecksumZero:
		return "zero (written with rdbchecksum no)"
	case rdb.ChecksumAbsent:
		return "absent (RDB < 5)"
	case rdb.ChecksumMismatch:
		return "mismatch"
	}
	return s.String()
}

// verifyJSON is verify --json.
type verifyJSON struct {
	Input         string          `json:"input"` // FILE, - for stdin
	OK            bool            `json:"ok"`
	RDBVersion    int             `json:"rdb_version"`    // 0 when the header is unreadable
	Keys          int64           `json:"keys"`           // keys read (up to the problem)
	SizeBytes     int64           `json:"size_bytes"`     // bytes of the dump read (up to the problem)
	TrailingBytes int64           `json:"trailing_bytes"` // bytes after the end of the dump, ignored
	Checksum      checksumJSON    `json:"checksum"`
	Problems      []verifyProblem `json:"problems"` // the first problem (verify stops there); [] when ok
}

// verifyProblem is one problem in the file.
type verifyProblem struct {
	Offset  int64        `json:"offset"`        // byte offset in FILE
	Key     *export.Blob `json:"key,omitempty"` // the key being read, if any
	Kind    string       `json:"kind"`
	Message string       `json:"message"` // what is wrong
}

func newVerifyProblem(re *rdb.Error) verifyProblem {
	p := verifyProblem{Offset: re.Offset, Kind: "other", Message: re.Error()}
	if re.Err != nil {
		p.Message = re.Err.Error()
	}
	if re.Key != nil {
		k := export.Blob(re.Key)
		p.Key = &k
	}
	for _, k := range []struct {
		err  error
		kind string
	}{{rdb.ErrTruncated, "truncated"}, {rdb.ErrMagic, "magic"}, {rdb.ErrVersion, "version"},
		{rdb.ErrUnknownType, "unknown_type"}, {rdb.ErrUnknownOpcode, "unknown_opcode"}, {rdb.ErrLength, "length"},
		{rdb.ErrChecksum, "checksum"}, {rdb.ErrCorrupt, "corrupt"}, {errDuplicateKey, "duplicate_key"}} {
		if errors.Is(re, k.err) {
			p.Kind = k.kind
			break
		}
	}
	return p
}
