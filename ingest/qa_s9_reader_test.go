package ingest

import (
	"bytes"
	"io"
	"testing"
)

// TestS9SpectraReaderTinyBuffer: whatever the caller's buffer, down to one
// byte, the header and the trailer are handed over whole (io.Reader allows
// any len(p); pgconn's is 64 KB, but nothing in the reader relies on it).
func TestS9SpectraReaderTinyBuffer(t *testing.T) {
	list, raw, valid := spectraFixture(3, 2)
	want := wantSpectra(list, raw, []int{0, 1, 2}, 7)
	for bufSize := 1; bufSize <= len(copyHeader())+2; bufSize++ {
		r := &spectraReader{list: list, raw: raw, valid: valid, t: 7}
		got, err := readSpectra(t, r, []int{3}, bufSize)
		if err != nil {
			t.Fatalf("buffer %d: %v", bufSize, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("buffer %d: %d bytes, want %d (% x)", bufSize, len(got), len(want), got[:min(len(got), 24)])
		}
	}
}

// TestS9SpectraReaderAfterEOF: a Read after EOF gives EOF again, no byte
// more, and an empty list is the header and the trailer alone.
func TestS9SpectraReaderAfterEOF(t *testing.T) {
	list, raw, valid := spectraFixture(2, 3)
	for _, n := range []int{0, 2} {
		r := &spectraReader{list: list[:n], raw: raw[:n], valid: valid[:n], t: 1}
		got, err := readSpectra(t, r, []int{n}, 4096)
		if err != nil {
			t.Fatal(err)
		}
		keep := []int{0, 1}[:n]
		if want := wantSpectra(list, raw, keep, 1); !bytes.Equal(got, want) {
			t.Fatalf("%d keys: %d bytes, want %d", n, len(got), len(want))
		}
		for range 3 {
			if k, err := r.Read(make([]byte, 100)); k != 0 || err != io.EOF {
				t.Fatalf("%d keys: Read after EOF = %d, %v", n, k, err)
			}
		}
	}
}
