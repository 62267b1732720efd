package rdb_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// Every value type has at least one byte of value. An entry without any
// used to be written as a type byte and a key, a file the Reader (and
// Redis) then fails on at the next record; WriteEntry must refuse it.
func TestQAWriteEntryWithoutValue(t *testing.T) {
	for _, typ := range []byte{rdb.TypeString, rdb.TypeList, rdb.TypeSetIntset, rdb.TypeHashListpack, rdb.TypeStreamListpacks3} {
		for _, val := range [][]byte{nil, {}} {
			var b bytes.Buffer
			w := rdb.NewWriter(&b, 11)
			e := &rdb.Entry{Key: []byte("k"), Type: typ, Value: val, ExpireMs: -1, Idle: -1, Freq: -1}
			err := w.WriteEntry(e)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				t.Errorf("type %d, value %#v: written without error", typ, val)
			}
		}
	}
	// a real value is still written
	e, err := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := rdb.NewWriter(&b, 10)
	if err := w.WriteEntry(e); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// shortWriter breaks the io.Writer contract: it accepts fewer bytes than
// given without an error.
type shortWriter struct{ n int }

func (s *shortWriter) Write(p []byte) (int, error) {
	s.n += len(p) / 2
	return len(p) / 2, nil
}

// A destination that takes part of a buffer without saying why must not
// leave a silently cut file: the Writer reports io.ErrShortWrite, as bufio
// does, for small outputs and for large ones (written in the background).
func TestQAWriterShortWrite(t *testing.T) {
	for _, size := range []int{10, 3 << 20} {
		w := rdb.NewWriter(&shortWriter{}, 10)
		e, err := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: bytes.Repeat([]byte{'x', 'y', 'z'}, size/3)}, 10)
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteEntry(e)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("value of %d bytes to a short writer: %v, want io.ErrShortWrite", size, err)
		}
	}
}
