package rdb_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// A value that must be re-encoded for an older version is decoded first;
// when it is damaged (a dump written with rdbchecksum no has nothing else
// to catch a flipped bit), the error must say where in the input and which
// key, as every other error about the data does: callers tell a damaged
// input from a failed output by *rdb.Error.
func TestQAConfigsConversionDamagedValueIsInputError(t *testing.T) {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 10)
	if err := w.WriteAux("redis-ver", "7.0.15"); err != nil {
		t.Fatal(err)
	}
	// a listpack hash (type 16) whose listpack is 4 bytes of nonsense,
	// after a key that is fine
	good, err := rdb.NewEntry(0, []byte("fine"), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
	if err != nil {
		t.Fatal(err)
	}
	bad := &rdb.Entry{DB: 0, Key: []byte("damaged"), Type: rdb.TypeHashListpack, ExpireMs: -1, Idle: -1, Freq: -1,
		Value: []byte{0x04, 0x07, 0x00, 0x00, 0x00}, ValueLen: 5}
	for _, e := range []*rdb.Entry{good, bad} {
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := rdb.NewReader(bytes.NewReader(buf.Bytes()))
	conv := rdb.NewConversion(9)
	found := false
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e, ok := rec.(*rdb.Entry)
		if !ok || string(e.Key) != "damaged" {
			continue
		}
		found = true
		_, cerr := conv.Entry(e)
		var re *rdb.Error
		switch {
		case cerr == nil:
			t.Fatal("a damaged listpack converted without error")
		case !errors.As(cerr, &re):
			t.Errorf("error %q is not an *rdb.Error (no offset, no key)", cerr)
		case re.Offset != e.Offset() || string(re.Key) != "damaged":
			t.Errorf("error %q: offset %d key %q, want offset %d key \"damaged\"", cerr, re.Offset, re.Key, e.Offset())
		}
		if !errors.Is(cerr, rdb.ErrCorrupt) && !errors.Is(cerr, rdb.ErrLength) && !errors.Is(cerr, rdb.ErrTruncated) {
			t.Errorf("error %q wraps none of ErrCorrupt, ErrLength, ErrTruncated", cerr)
		}
		if errors.Is(cerr, rdb.ErrUnconvertible) {
			t.Errorf("error %q calls damage unconvertible (rewrite would list the key as such)", cerr)
		}
	}
	if !found {
		t.Fatal("the damaged entry was not read back")
	}
}
