package rdb

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// TestEntryEncodingSkipped: with SkipValues the Reader still tells a
// string's encoding (int, raw, lzf) through Entry.Encoding, the same
// answer EncodingName gives from the value bytes, whatever the buffering.
func TestEntryEncodingSkipped(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	seen := map[string]int{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := rcReadAll(t, bytes.NewReader(data))
		if err != nil {
			continue // files the Reader refuses are other tests' business
		}
		var want []string
		for _, rec := range full {
			if e, ok := rec.(*Entry); ok {
				want = append(want, EncodingName(e.Type, e.Value))
				if e.Encoding() != want[len(want)-1] {
					t.Fatalf("%s: key %q: Encoding %q with the value read, EncodingName %q", p, e.Key, e.Encoding(), want[len(want)-1])
				}
			}
		}
		srcs := map[string]func() io.Reader{
			"buffered": func() io.Reader { return bytes.NewReader(data) },
			"tiny":     func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		}
		for name, src := range srcs {
			for _, reuse := range []bool{false, true} {
				opts := []ReaderOption{SkipValues()}
				if reuse {
					opts = append(opts, ReuseBuffers())
				}
				if name == "tiny" {
					opts = append(opts, readerBuffer(16))
				}
				rd := NewReader(src(), opts...)
				i := 0
				for {
					rec, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s (%s, reuse %v): %v", p, name, reuse, err)
					}
					e, ok := rec.(*Entry)
					if !ok {
						continue
					}
					if e.Value != nil {
						t.Fatalf("%s: SkipValues kept a value", p)
					}
					if got := e.Encoding(); got != want[i] {
						t.Fatalf("%s (%s, reuse %v): key %q (type %d): skipped value's encoding %q, want %q", p, name, reuse, e.Key, e.Type, got, want[i])
					}
					if e.Type == TypeString {
						seen[want[i]]++
					}
					i++
				}
				if i != len(want) {
					t.Fatalf("%s: %d entries skipping values, %d reading them", p, i, len(want))
				}
			}
		}
	}
	for _, enc := range []string{"int", "raw", "lzf"} {
		if seen[enc] == 0 {
			t.Errorf("no %s-encoded string in the corpus was checked (seen %v)", enc, seen)
		}
	}
	// an Entry built by hand without a value does not guess
	if got := (&Entry{Type: TypeString, ValueLen: 5}).Encoding(); got != "string" {
		t.Errorf("hand-built skipped string: %q", got)
	}
}
