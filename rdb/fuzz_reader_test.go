package rdb

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReader: any input either reads to the end or fails with an *Error;
// never a panic or a hang. When a file reads without error, writing its
// records back reproduces the bytes exactly. The seed corpus
// (testdata/fuzz/FuzzReader) holds small real and hand-built files.
func FuzzReader(f *testing.F) {
	f.Add(rcAllFile())
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, opts := range [][]ReaderOption{nil, {SkipValues(), readerBuffer(16)}, {readerFeed(true), readerBuffer(16)}} {
			var src io.Reader = bytes.NewReader(data)
			if i == 2 {
				src = iotest.HalfReader(src) // size unknown, through the feeder
			}
			recs, r, err := rcReadAll(t, src, opts...)
			if err != nil {
				var re *Error
				if !errors.As(err, &re) {
					t.Fatalf("error %T %v is not *rdb.Error", err, err)
				}
				if re.Offset < 0 || re.Offset > int64(len(data)) {
					t.Fatalf("error offset %d outside the input of %d bytes", re.Offset, len(data))
				}
				continue
			}
			if i == 1 {
				continue
			}
			var wopts []WriterOption
			if r.Checksum().Status == ChecksumZero {
				wopts = append(wopts, WithoutChecksum())
			}
			out := rcRewrite(t, recs, wopts...)
			if !bytes.Equal(out, data[:r.Offset()]) {
				t.Fatalf("rewrite differs:\n got %x\nwant %x", out, data[:r.Offset()])
			}
		}
		// ReuseBuffers, each record written as soon as it is read: the
		// same outcome as the default Reader
		_, _, want := rcReadAll(t, bytes.NewReader(data), readerBuffer(16))
		out, r, err := reuseRewrite(t, bytes.NewReader(data), readerBuffer(16))
		if (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
			t.Fatalf("ReuseBuffers: %v, default Reader: %v", err, want)
		}
		if err == nil && !bytes.Equal(out, data[:r.Offset()]) {
			t.Fatalf("ReuseBuffers rewrite differs:\n got %x\nwant %x", out, data[:r.Offset()])
		}
	})
}
