package rdb

import (
	"bytes"
	"testing"
)

func TestLZFRoundTrip(t *testing.T) {
	inputs := [][]byte{
		bytes.Repeat([]byte("a"), 100),
		bytes.Repeat([]byte("abcdefgh"), 1000),
		[]byte("the quick brown fox jumps over the lazy dog, the quick brown fox jumps again"),
	}
	for _, in := range inputs {
		c := lzfCompress(in)
		if c == nil {
			t.Fatalf("expected %q to compress", in[:10])
		}
		out := make([]byte, len(in))
		if err := lzfDecompress(c, out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip mismatch for %q", in[:10])
		}
	}
	if lzfCompress([]byte("abc")) != nil {
		t.Fatal("tiny input should not compress")
	}
}

func TestLZFDecompressRejectsCorrupt(t *testing.T) {
	cases := [][]byte{
		{31},              // literal run past the end
		{0xe0},            // long back reference missing its length byte
		{0x20, 0x05},      // back reference before the start
		{0x00, 'a', 0xff}, // truncated back reference
	}
	for _, c := range cases {
		if err := lzfDecompress(c, make([]byte, 8)); err == nil {
			t.Fatalf("%x: expected an error", c)
		}
	}
}

func FuzzLZFDecompress(f *testing.F) {
	f.Add([]byte{0x01, 'a', 'b', 0x20, 0x01}, 5)
	f.Fuzz(func(t *testing.T, src []byte, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		_ = lzfDecompress(src, make([]byte, n))
	})
}
