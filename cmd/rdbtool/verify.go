package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/rdbtool/rdbtool/rdb"
)

func init() { register(verifyCommand()) }

func verifyCommand() *cli.Command {
	return fileCommand(&cli.Command{
		Name:      "verify",
		Usage:     "check that an RDB file is sound: every record, every value decoded, the checksum",
		ArgsUsage: "FILE",
		UsageText: "rdbtool verify FILE",
		Description: "Reads every record of FILE (- for stdin), decodes every value completely (the deep\n" +
			"check redis-check-rdb does) and verifies the trailing CRC-64. Exits 0 and prints a\n" +
			"summary line when the file is sound; exits 2 with the first problem: its byte offset,\n" +
			"the key being read and what is wrong.\n\n" +
			helpExamples("rdbtool verify dump.rdb", "curl -s https://example.org/dump.rdb | rdbtool verify -"),
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
	// each entry is validated and dropped before the next: the Reader may
	// reuse its buffers (no allocation per entry, values not copied)
	rd := rdb.NewReader(in, rdb.ReuseBuffers())
	var keys int64
	var version int
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			in.fail()
			return verifyError(name, err)
		}
		switch r := rec.(type) {
		case *rdb.Header:
			version = r.Version
		case *rdb.Entry:
			keys++
			if err := rdb.ValidateValue(r.Type, r.Value); err != nil {
				in.fail()
				return verifyError(name, &rdb.Error{Offset: r.Offset(), Key: append([]byte(nil), r.Key...), Err: err})
			}
		}
	}
	in.Close()
	sum := rd.Checksum()
	extra := ""
	if in.size > rd.Offset() { // Redis stops at the checksum too, and so do the other commands
		extra = fmt.Sprintf(" (%d bytes after the end of the dump, ignored)", in.size-rd.Offset())
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
