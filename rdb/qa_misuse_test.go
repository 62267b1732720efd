package rdb_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// noPanic runs f and fails the test, instead of crashing, when it panics.
func noPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v", name, p)
		}
	}()
	f()
}

// A nil source is misuse, not a reason to crash the program: the Reader's
// background goroutine used to dereference it, which no recover in the
// caller can catch. Next must return an *rdb.Error, and keep returning it.
func TestQANilSourceReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func() *rdb.Reader
	}{
		{"NewReader(nil)", func() *rdb.Reader { return rdb.NewReader(nil) }},
		{"NewReader(nil, SkipValues)", func() *rdb.Reader { return rdb.NewReader(nil, rdb.SkipValues()) }},
		{"zero Reader", func() *rdb.Reader { return new(rdb.Reader) }},
	} {
		noPanic(t, tc.name, func() {
			r := tc.r()
			for i := 0; i < 2; i++ {
				rec, err := r.Next()
				var re *rdb.Error
				if rec != nil || !errors.As(err, &re) || !errors.Is(err, rdb.ErrTruncated) {
					t.Errorf("%s: Next #%d = %v, %v; want an *rdb.Error wrapping ErrTruncated", tc.name, i+1, rec, err)
				}
			}
		})
	}
}

// The Writer returns errors for a nil destination and for typed nil records
// (Write(nil) already did), and refuses to start a file whose header its own
// Reader would refuse.
func TestQAWriterMisuse(t *testing.T) {
	noPanic(t, "nil destination", func() {
		w := rdb.NewWriter(nil, 10)
		err1 := w.WriteAux("a", "b")
		err2 := w.Close()
		if err1 == nil && err2 == nil {
			t.Errorf("NewWriter(nil, 10): WriteAux and Close both succeeded")
		}
	})
	nils := []rdb.Record{(*rdb.Header)(nil), (*rdb.Aux)(nil), (*rdb.ModuleAux)(nil), (*rdb.Function)(nil),
		(*rdb.SelectDB)(nil), (*rdb.ResizeDB)(nil), (*rdb.SlotInfo)(nil), (*rdb.SlotImport)(nil), (*rdb.Entry)(nil)}
	for _, rec := range nils {
		noPanic(t, "Write typed nil", func() {
			var b bytes.Buffer
			w := rdb.NewWriter(&b, 10)
			if err := w.Write(rec); err == nil {
				t.Errorf("Write(%T(nil)) = nil error", rec)
			}
		})
	}
	noPanic(t, "WriteEntry(nil)", func() {
		var b bytes.Buffer
		if err := rdb.NewWriter(&b, 10).WriteEntry(nil); err == nil {
			t.Errorf("WriteEntry(nil) = nil error")
		}
	})
	for _, tc := range []struct {
		magic   string
		version int
	}{{"REDIS", 0}, {"REDIS", rdb.MaxVersion + 2}, {"REDIS", 99}, {"VALKEY", 0}, {"VALKEY", 12}} {
		var b bytes.Buffer
		w := rdb.NewWriter(&b, tc.version, rdb.WithMagic(tc.magic))
		err := w.WriteAux("k", "v")
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			_, rerr := rdb.NewReader(bytes.NewReader(b.Bytes())).Next()
			t.Errorf("%s version %d: written without error as %q, which the Reader refuses: %v",
				tc.magic, tc.version, b.Bytes()[:9], rerr)
		}
	}
	// the versions the Reader reads stay writable
	for _, tc := range []struct {
		magic   string
		version int
	}{{"REDIS", 1}, {"REDIS", rdb.MaxVersion}, {"REDIS", rdb.MaxVersion + 1}, {"VALKEY", 80}} {
		var b bytes.Buffer
		w := rdb.NewWriter(&b, tc.version, rdb.WithMagic(tc.magic))
		if err := w.WriteSelectDB(0); err != nil {
			t.Fatalf("%s %d: %v", tc.magic, tc.version, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s %d: %v", tc.magic, tc.version, err)
		}
		r := rdb.NewReader(bytes.NewReader(b.Bytes()))
		for {
			_, err := r.Next()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s %d: reading back: %v", tc.magic, tc.version, err)
				}
				break
			}
		}
	}
}

// Functions that take an entry or a record return an error (or a zero
// result) for nil rather than panicking.
func TestQANilArguments(t *testing.T) {
	noPanic(t, "ConvertEntry(nil)", func() {
		if _, err := rdb.ConvertEntry(nil, 9); err == nil {
			t.Error("ConvertEntry(nil) = nil error")
		}
	})
	noPanic(t, "Conversion.Entry(nil)", func() {
		if _, err := rdb.NewConversion(9).Entry(nil); err == nil {
			t.Error("Conversion.Entry(nil) = nil error")
		}
	})
	noPanic(t, "PersistFields(nil)", func() {
		if _, _, _, err := rdb.PersistFields(nil, -1); err == nil {
			t.Error("PersistFields(nil) = nil error")
		}
	})
	noPanic(t, "FunctionLoadCode(nil)", func() {
		if c := rdb.FunctionLoadCode(nil); c != nil {
			t.Errorf("FunctionLoadCode(nil) = %q", c)
		}
	})
}

// A nil option (an option chosen conditionally and left unset) is ignored,
// as fixture's options are, instead of crashing NewReader or NewWriter.
func TestQANilOptions(t *testing.T) {
	var b bytes.Buffer
	noPanic(t, "NewWriter with a nil option", func() {
		w := rdb.NewWriter(&b, 10, nil)
		if err := w.WriteAux("k", "v"); err != nil {
			t.Error(err)
		}
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	noPanic(t, "NewReader with a nil option", func() {
		var none rdb.ReaderOption
		r := rdb.NewReader(bytes.NewReader(b.Bytes()), none, rdb.SkipValues())
		if _, err := r.Next(); err != nil {
			t.Error(err)
		}
	})
}
