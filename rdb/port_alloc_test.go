package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// A record or an LZF string larger than maxAlloc (1 GiB on a 32-bit build,
// all of int on 64-bit) is ErrLength with the offset and key, not a
// makeslice panic or an out-of-memory crash, whether the record is one big
// string or grows string by string, through every way the Reader reads;
// SkipValues, which keeps no value, still reads such a file. maxAlloc is
// lowered to 1 MiB here so this runs on every platform.
func TestRecordLargerThanMaxAlloc(t *testing.T) {
	old := maxAlloc
	t.Cleanup(func() { maxAlloc = old })
	maxAlloc = 1 << 20

	lzf := portLZF(16<<10, 1<<20+1, make([]byte, 16<<10))
	if _, err := DecodeValue(TypeString, lzf); !errors.Is(err, ErrLength) {
		t.Errorf("DecodeValue, LZF string beyond maxAlloc: %v, want ErrLength", err)
	}

	str := func(n int) []byte { // a plain RDB string of n bytes
		b := []byte{0x80, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], uint32(n))
		return append(b, bytes.Repeat([]byte{'x'}, n)...)
	}
	file := func(value ...[]byte) []byte {
		b := append([]byte("REDIS0011"), bytes.Join(value, nil)...)
		return append(b, OpEOF, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	entry := func(typ byte, parts ...[]byte) []byte {
		return bytes.Join(append([][]byte{{typ, 1, 'k'}}, parts...), nil)
	}
	list := [][]byte{{40}}
	for range 40 {
		list = append(list, str(64<<10))
	}
	over := map[string][]byte{
		"one string":        file(entry(TypeString, str(3<<20))),
		"string by string":  file(entry(TypeList, list...)),
		"LZF key":           file(append([]byte{TypeString}, append(lzf, 1, 'v')...)),
		"string after fits": file(entry(TypeString, str(1<<19)), entry(TypeString, str(3<<20))),
	}
	type source struct {
		name string
		open func([]byte) io.Reader
		opts []ReaderOption
	}
	sources := []source{
		{"sized", func(b []byte) io.Reader { return bytes.NewReader(b) }, nil},
		{"unsized", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }, nil},
		{"feeder", func(b []byte) io.Reader { return bytes.NewReader(b) }, []ReaderOption{readerFeed(true)}},
		{"unsized feeder", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }, []ReaderOption{readerFeed(true)}},
		{"reused", func(b []byte) io.Reader { return bytes.NewReader(b) }, []ReaderOption{ReuseBuffers()}},
		{"small buffer", func(b []byte) io.Reader { return bytes.NewReader(b) }, []ReaderOption{readerBuffer(16)}},
	}
	for name, data := range over {
		for _, s := range sources {
			n, err := portReadAll(s.open(data), s.opts...)
			var re *Error
			if !errors.As(err, &re) || !errors.Is(err, ErrLength) || re.Offset < 9 || re.Offset > int64(len(data)) {
				t.Errorf("%s, %s: %v, want *Error with ErrLength", name, s.name, err)
				continue
			}
			if name != "LZF key" && string(re.Key) != "k" {
				t.Errorf("%s, %s: error names key %q, want \"k\"", name, s.name, re.Key)
			}
			if name == "string after fits" && n != 1 {
				t.Errorf("%s, %s: %d entries read before the error, want 1", name, s.name, n)
			}
			if name == "LZF key" {
				continue
			}
			if n, err := portReadAll(s.open(data), append(s.opts, SkipValues())...); err != nil || n == 0 {
				t.Errorf("%s, %s, SkipValues: %d entries, %v; want all, no error", name, s.name, n, err)
			}
		}
	}
	// a record just within maxAlloc reads whole
	data := file(entry(TypeString, str(1<<20-64)))
	for _, s := range sources {
		r := NewReader(s.open(data), s.opts...)
		var got *Entry
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("record within maxAlloc, %s: %v", s.name, err)
			}
			if e, ok := rec.(*Entry); ok {
				got = e
				if !bytes.Equal(e.Value, str(1<<20-64)) {
					t.Errorf("record within maxAlloc, %s: value of %d bytes differs", s.name, len(e.Value))
				}
			}
		}
		if got == nil || string(got.Key) != "k" {
			t.Errorf("record within maxAlloc, %s: entry %v", s.name, got)
		}
	}
}

// portReadAll reads every record, returning how many entries it read and
// the error that ended it (nil at the end of the file).
func portReadAll(src io.Reader, opts ...ReaderOption) (int, error) {
	r := NewReader(src, opts...)
	defer r.Close()
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if _, ok := rec.(*Entry); ok {
			n++
		}
	}
}

// portLZF is an LZF string (0xC3 encoding) of clen compressed bytes that
// claims ulen.
func portLZF(clen, ulen uint64, body []byte) []byte {
	b := []byte{0xC3, 0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], uint32(clen))
	binary.BigEndian.PutUint32(b[7:], uint32(ulen))
	return append(b, body...)
}

// A ziplist prevlen of 2^31 or more is reported as the number stored, also
// where int has 32 bits (it read as negative there: "prevlen -16").
func TestZiplistHugePrevlenMessage(t *testing.T) {
	// zlbytes, zltail, zllen; one entry: prevlen 0xFE + 0xFFFFFFF0, a
	// 1-byte string "a"; the 0xFF end
	b := []byte{0, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0xFE, 0xF0, 0xFF, 0xFF, 0xFF, 0x01, 'a', 0xFF}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	_, err := DecodeValue(TypeListZiplist, portStr(b))
	if !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("prevlen 4294967280,")) {
		t.Errorf("ziplist whose first prevlen is 4294967280: %v", err)
	}
}

// portStr is b as a plain RDB string (32-bit length form).
func portStr(b []byte) []byte {
	h := []byte{0x80, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[1:], uint32(len(b)))
	return append(h, b...)
}
