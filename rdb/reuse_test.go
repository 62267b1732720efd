package rdb

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// reuseFiles returns the inputs the ReuseBuffers tests read: every real
// file, the every-record file and one with values larger than any buffer.
func reuseFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"all": rcAllFile()}
	for _, f := range rcCaseFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	b := rcHeader("REDIS", 12)
	b = append(b, OpSelectDB, 0)
	for i := 0; i < 40; i++ {
		b = append(b, TypeString)
		b = append(b, rcStr(strings.Repeat("k", i*37))...)
		b = append(b, rcStr(strings.Repeat(string(rune('a'+i%26)), i*i*97))...)
		b = append(b, TypeSet)
		b = append(b, rcStr("set:"+strings.Repeat("s", i))...)
		b = append(b, rcLen(3)...)
		b = append(b, rcCat(rcStr("x"), rcStr(strings.Repeat("y", i*300)), []byte{0xC0, byte(i)})...)
	}
	files["big"] = rcFinish(b, 12)
	return files
}

// TestReaderReuseBuffers: with ReuseBuffers every entry, looked at before
// the next Next, equals the default Reader's; writing each record as it
// comes gives the input back byte for byte; with SkipValues the keys and
// lengths agree too.
func TestReaderReuseBuffers(t *testing.T) {
	for name, in := range reuseFiles(t) {
		want, _, err := rcReadAll(t, bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, bufSize := range []int{0, 16, 100, 4096} {
			for _, skip := range []bool{false, true} {
				opts := []ReaderOption{ReuseBuffers(), readerFeed(bufSize == 0 || bufSize == 100)}
				if bufSize > 0 {
					opts = append(opts, readerBuffer(bufSize))
				}
				if skip {
					opts = append(opts, SkipValues())
				}
				var src io.Reader = bytes.NewReader(in)
				if bufSize == 100 {
					src = iotest.HalfReader(src)
				}
				r := NewReader(src, opts...)
				var out bytes.Buffer
				var w *Writer
				var last *Entry
				for i := 0; ; i++ {
					rec, err := r.Next()
					if err == io.EOF {
						if i != len(want) {
							t.Fatalf("%s: %d records, want %d", name, i, len(want))
						}
						break
					}
					if err != nil {
						t.Fatalf("%s (buffer %d, skip %v): %v", name, bufSize, skip, err)
					}
					if i >= len(want) {
						t.Fatalf("%s: more records than the default Reader", name)
					}
					if h, ok := rec.(*Header); ok {
						w = NewWriter(&out, h.Version, WithMagic(h.Magic))
					}
					e, ok := rec.(*Entry)
					if !ok {
						if !skip {
							if err := w.Write(rec); err != nil {
								t.Fatal(err)
							}
						}
						continue
					}
					if last != nil && e != last {
						t.Fatalf("%s: ReuseBuffers returned a new *Entry", name)
					}
					last = e
					we := want[i].(*Entry)
					if !bytes.Equal(e.Key, we.Key) || e.Type != we.Type || e.DB != we.DB || e.ExpireMs != we.ExpireMs ||
						e.Idle != we.Idle || e.Freq != we.Freq || e.ValueLen != we.ValueLen || e.Offset() != we.Offset() {
						t.Fatalf("%s (buffer %d, skip %v): entry %d %q differs from %q", name, bufSize, skip, i, e.Key, we.Key)
					}
					if skip {
						if e.Value != nil {
							t.Fatalf("%s: SkipValues kept a value", name)
						}
						continue
					}
					if !bytes.Equal(e.Value, we.Value) {
						t.Fatalf("%s (buffer %d): value of %q differs", name, bufSize, e.Key)
					}
					if err := w.WriteEntry(e); err != nil {
						t.Fatal(err)
					}
				}
				if skip {
					continue
				}
				if r.Checksum().Status == ChecksumZero {
					continue // the zero checksum is the caller's to keep (WithoutChecksum)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), in) {
					t.Fatalf("%s (buffer %d): streamed identity rewrite differs at byte %d", name, bufSize, firstDiffAt(out.Bytes(), in))
				}
			}
		}
	}
}

func firstDiffAt(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestReaderReuseBuffersAllocs: reading many small entries with
// ReuseBuffers allocates nothing per entry.
func TestReaderReuseBuffersAllocs(t *testing.T) {
	const n = 5000
	b := rcHeader("REDIS", 12)
	b = append(b, OpSelectDB, 0)
	for i := 0; i < n; i++ {
		b = append(b, OpExpireTimeMs)
		b = append(b, rcU64(1700000000000)...)
		b = append(b, TypeString)
		b = append(b, rcStr("key:"+strings.Repeat("x", i%50))...)
		b = append(b, rcStr(strings.Repeat("v", i%300))...)
	}
	in := rcFinish(b, 12)
	for _, opts := range [][]ReaderOption{{ReuseBuffers()}, {ReuseBuffers(), SkipValues()}} {
		allocs := testing.AllocsPerRun(3, func() {
			r := NewReader(bytes.NewReader(in), opts...)
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs > 50 {
			t.Fatalf("%d allocations for %d entries", int(allocs), n)
		}
	}
}

// reuseRewrite reads src with ReuseBuffers (and opts), writing every record
// as soon as it is read, and returns the output.
func reuseRewrite(t testing.TB, src io.Reader, opts ...ReaderOption) ([]byte, *Reader, error) {
	t.Helper()
	r := NewReader(src, append([]ReaderOption{ReuseBuffers()}, opts...)...)
	var out bytes.Buffer
	var w *Writer
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r, err
		}
		if h, ok := rec.(*Header); ok {
			w = NewWriter(&out, h.Version, WithMagic(h.Magic))
		}
		if err := w.Write(rec); err != nil {
			t.Fatalf("write %T at %d: %v", rec, rec.Offset(), err)
		}
	}
	if r.Checksum().Status == ChecksumZero {
		w.zeroSum = true
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), r, nil
}

// TestReaderReuseBigValues: values larger than the Reader's buffer, read
// with ReuseBuffers from a file (through the feeder) or a pipe and written
// as they come, come out intact: identity.
func TestReaderReuseBigValues(t *testing.T) {
	b := rcHeader("REDIS", 12)
	b = append(b, OpSelectDB, 0)
	for i, n := range []int{300 << 10, 5, 1200 << 10, 2 << 20, 7, 600 << 10, 256 << 10, 3<<20 + 1} {
		v := make([]byte, n)
		for j := range v {
			v[j] = byte(i*31 + j*7 + j>>9)
		}
		b = append(b, TypeString)
		b = append(b, rcStr("big:"+strings.Repeat("k", i))...)
		b = append(b, append(rcLen(uint64(n)), v...)...)
		for k := 0; k < 50; k++ {
			b = append(b, TypeString)
			b = append(b, rcStr("small")...)
			b = append(b, rcStr(strings.Repeat("s", k))...)
		}
	}
	in := rcFinish(b, 12)
	p := t.TempDir() + "/big.rdb"
	if err := os.WriteFile(p, in, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, src := range map[string]func() io.Reader{
		"file": func() io.Reader { f.Seek(0, io.SeekStart); return f },
		"pipe": func() io.Reader { return iotest.HalfReader(bytes.NewReader(in)) },
	} {
		out, _, err := reuseRewrite(t, src())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("%s: rewrite differs at byte %d", name, firstDiffAt(out, in))
		}
	}
}
