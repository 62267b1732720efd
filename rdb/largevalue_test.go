package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// sizedSource hides a bytes.Reader's type (as a progress counter would)
// but tells its size: rdb.SizedSource.
type sizedSource struct {
	io.Reader
	n int64
}

func (s sizedSource) RemainingSize() int64 { return s.n }

// largeValueFile builds an RDB file with a few small keys and one string
// value of each size given, under keys of different lengths; it returns the
// file and the values.
func largeValueFile(sizes ...int) ([]byte, [][]byte) {
	var vals [][]byte
	var w bytes.Buffer
	wr := NewWriter(&w, 10)
	wr.WriteAux("redis-ver", "7.0.15")
	for i, n := range sizes {
		v := xorshiftBytes(n, uint64(i)*0x9E3779B97F4A7C15+1) // incompressible: stored as a plain string
		vals = append(vals, v)
		e, _ := NewEntry(0, []byte(fmt.Sprintf("small:%d", i)), &Value{Kind: "string", String: []byte("x")}, 10)
		wr.WriteEntry(e)
		e, _ = NewEntry(0, bytes.Repeat([]byte{'k'}, i+1), &Value{Kind: "string", String: v}, 10)
		wr.WriteEntry(e)
	}
	wr.Close()
	return w.Bytes(), vals
}

// readAllocs reads every record of src and returns the bytes allocated
// meanwhile, checking each big value against want.
func readAllocs(t *testing.T, src io.Reader, want [][]byte, opts ...ReaderOption) uint64 {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rd := NewReader(src, opts...)
	i := 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*Entry); ok && e.Key[0] == 'k' {
			v, _, err := rdrString(e.Value) // a sub-slice: nothing allocated
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v, want[i]) {
				t.Fatalf("value %d differs", i)
			}
			i++
		}
	}
	runtime.ReadMemStats(&after)
	if i != len(want) {
		t.Fatalf("%d big values read, want %d", i, len(want))
	}
	return after.TotalAlloc - before.TotalAlloc
}

// TestReaderLargeValueAllocatedOnce: a value longer than the Reader's
// buffer is read into one buffer of its size, not grown by appends and
// copied again: the bytes allocated stay near the value's size, whether the
// input's size is known (a file, a bytes.Reader, a SizedSource wrapper) or
// not (a pipe: bounded growth, a sixteenth more at most); with ReuseBuffers
// values of about the same size share one buffer.
func TestReaderLargeValueAllocatedOnce(t *testing.T) {
	const mb = 1 << 20
	const size = 12 * mb
	file, vals := largeValueFile(size)
	noFeed := readerFeed(false) // the feeder's chunk buffers would blur the count
	slack := uint64(3 * mb)     // the Reader's buffer, small records
	cases := []struct {
		name string
		src  func() io.Reader
		max  uint64
	}{
		{"known size", func() io.Reader { return bytes.NewReader(file) }, size + slack},
		{"SizedSource", func() io.Reader { return sizedSource{struct{ io.Reader }{bytes.NewReader(file)}, int64(len(file))} }, size + slack},
		{"unknown size", func() io.Reader { return iotest.HalfReader(bytes.NewReader(file)) }, size + size/16 + slack},
	}
	for _, c := range cases {
		got := readAllocs(t, c.src(), vals, noFeed)
		if got > c.max {
			t.Errorf("%s: %d bytes allocated reading a %d-byte value (at most %d)", c.name, got, size, c.max)
		}
		// through the feeder too, the value comes out whole
		readAllocs(t, c.src(), vals, readerFeed(true))
	}

	// ReuseBuffers: three values of about the same size, then a larger one
	// (the buffer is replaced once), read with one buffer each time
	file, vals = largeValueFile(20*mb, 20*mb+100, 20*mb-5, 24*mb)
	for _, c := range []struct {
		name string
		src  func() io.Reader
		max  uint64
	}{
		{"known size", func() io.Reader { return bytes.NewReader(file) }, (20+1+24+1)*mb + slack},
		{"unknown size", func() io.Reader { return iotest.HalfReader(bytes.NewReader(file)) }, (20+1+2+24+1)*mb + slack},
	} {
		if got := readAllocs(t, c.src(), vals, noFeed, ReuseBuffers()); got > c.max {
			t.Errorf("ReuseBuffers, %s: %d bytes allocated reading values of 20, 20, 20 and 24 MiB (at most %d)", c.name, got, c.max)
		}
	}
}

// TestReaderSizedSource: a wrapper that tells its size gets the checks of
// a sized input: a length running past the end is found at the length, not
// at the end of the input.
func TestReaderSizedSource(t *testing.T) {
	file, _ := largeValueFile(3 << 20)
	trunc := file[:len(file)-100]
	for _, c := range []struct {
		name  string
		src   io.Reader
		early bool
	}{
		{"SizedSource", sizedSource{struct{ io.Reader }{bytes.NewReader(trunc)}, int64(len(trunc))}, true},
		{"unsized", struct{ io.Reader }{bytes.NewReader(trunc)}, false},
		{"unknown size told", sizedSource{struct{ io.Reader }{bytes.NewReader(trunc)}, -1}, false},
	} {
		_, _, err := rcReadAll(t, c.src)
		var re *Error
		if !errors.As(err, &re) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("%s: %v", c.name, err)
		}
		early := re.Offset < 1000 // the value's length is near the start
		if early != c.early {
			t.Errorf("%s: error at offset %d of %d (%v), want it at the length: %v", c.name, re.Offset, len(trunc), err, c.early)
		}
	}
}
