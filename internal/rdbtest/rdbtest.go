// Package rdbtest holds checks that tests of several packages make on the
// RDB files the code under test writes. Its facts are written out here,
// independently of the rdb package's own conversion rules, so that a test
// using them can catch those rules being wrong.
package rdbtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// KnownSince is the first RDB version that loads each record or opcode
// (rdb.h and the RDB version history): 253 (seconds) always, 252 (ms) from
// 3, 250/251 from 7, 247/248/249 from 9, 245 from 10, 244 from 12; 246 only
// in 7.0 release candidates, which released servers refuse. Valkey files
// (magic VALKEY) know all of them.
var KnownSince = map[string]int{
	"expire-seconds": 1, "expire-ms": 3, "aux": 7, "resizedb": 7,
	"module-aux": 9, "idle": 9, "freq": 9, "function": 10, "function-prega": 1000, "slot-info": 12,
}

// VersionProblems reads an RDB file and names every record, opcode or value
// type that its header's version does not know; none means a server of that
// version can load it. An unreadable file fails tb.
func VersionProblems(tb testing.TB, data []byte) []string {
	tb.Helper()
	probs, err := versionProblems(data)
	if err != nil {
		tb.Fatalf("output %v", err)
	}
	return probs
}

func versionProblems(data []byte) ([]string, error) {
	recs, err := readAll(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("unreadable: %w", err)
	}
	var probs []string
	version, valkey := 0, false
	note := func(what string, r rdb.Record, key []byte) {
		if !valkey && version < KnownSince[what] {
			p := fmt.Sprintf("%s at offset %d", what, r.Offset())
			if key != nil {
				p += fmt.Sprintf(" (key %q)", key)
			}
			probs = append(probs, p)
		}
	}
	for _, rec := range recs {
		switch r := rec.(type) {
		case *rdb.Header:
			version, valkey = r.Version, r.Magic == "VALKEY"
		case *rdb.Aux:
			note("aux", r, nil)
		case *rdb.ResizeDB:
			note("resizedb", r, nil)
		case *rdb.ModuleAux:
			note("module-aux", r, nil)
		case *rdb.SlotInfo:
			note("slot-info", r, nil)
		case *rdb.SlotImport:
			if !valkey {
				probs = append(probs, fmt.Sprintf("slot import at offset %d", r.Offset()))
			}
		case *rdb.Function:
			if r.Opcode == rdb.OpFunctionPreGA {
				note("function-prega", r, nil)
			}
			note("function", r, nil)
		case *rdb.Entry:
			if r.HasExpiry() {
				if r.ExpireSeconds {
					note("expire-seconds", r, r.Key)
				} else {
					note("expire-ms", r, r.Key)
				}
			}
			if r.Idle >= 0 {
				note("idle", r, r.Key)
			}
			if r.Freq >= 0 {
				note("freq", r, r.Key)
			}
			if !rdb.TypeSupported(r.Type, version) {
				probs = append(probs, fmt.Sprintf("value type %d at offset %d (key %q)", r.Type, r.Offset(), r.Key))
			}
		}
	}
	return probs, nil
}

// Records reads an RDB file and returns its records; an unreadable file
// fails tb.
func Records(tb testing.TB, data []byte) []rdb.Record {
	tb.Helper()
	recs, err := readAll(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}

// Entries reads an RDB file and returns its entries; an unreadable file
// fails tb.
func Entries(tb testing.TB, data []byte) []*rdb.Entry {
	tb.Helper()
	var out []*rdb.Entry
	for _, rec := range Records(tb, data) {
		if e, ok := rec.(*rdb.Entry); ok {
			out = append(out, e)
		}
	}
	return out
}

// CopyWithout writes the RDB file src to dst, leaving out the records drop
// selects (module data a server without the module refuses, say).
func CopyWithout(src, dst string, drop func(rdb.Record) bool) error {
	in, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 0)
	rd := rdb.NewReader(bytes.NewReader(in))
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if drop(rec) {
			continue
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// ReadRecords reads the RDB file at path whole and returns its records, up
// to the first error (also returned). For the small files of tests.
func ReadRecords(path string) ([]rdb.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := readAll(f)
	if err != nil {
		return recs, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// readAll returns the records of src up to the first error (also returned).
func readAll(src io.Reader) ([]rdb.Record, error) {
	var recs []rdb.Record
	rd := rdb.NewReader(src)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// Key is one key for Dump.
type Key struct {
	DB    int
	Name  string
	Value *rdb.Value
}

// Dump writes keys, without expiries, as an RDB file of the given version
// (rdb.NewEntry's encodings); any error fails tb.
func Dump(tb testing.TB, version int, keys ...Key) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, version)
	for _, k := range keys {
		e, err := rdb.NewEntry(k.DB, []byte(k.Name), k.Value, version)
		if err != nil {
			tb.Fatal(err)
		}
		if err := w.WriteEntry(e); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
