package rdb

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestWriterLargeValueIdentity: a value far larger than the Writer's
// buffers, read from a file (its CRC known from the read), is written back
// byte for byte with a valid checksum, as is what follows it.
func TestWriterLargeValueIdentity(t *testing.T) {
	big := make([]byte, 3*(8<<20)+12345)
	rand.New(rand.NewSource(1)).Read(big)
	var src bytes.Buffer
	w := NewWriter(&src, 10)
	for i, v := range [][]byte{[]byte("small"), big, []byte("after"), big[:8<<20+1]} {
		e, err := NewEntry(0, []byte{'k', byte('0' + i)}, &Value{Kind: "string", String: v}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.rdb")
	if err := os.WriteFile(path, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]ReaderOption{nil, {ReuseBuffers()}} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		ow := NewWriter(&out, 0)
		r := NewReader(f, opts...)
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			if err := ow.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		if err := ow.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), src.Bytes()) {
			t.Fatalf("rewrite of %d bytes differs (got %d bytes)", src.Len(), out.Len())
		}
	}
}
