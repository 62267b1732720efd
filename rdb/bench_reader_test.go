package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The benchmarks read a file the Writer generates: many small keys of mixed
// types (strings, sets, hashes, zsets) and a few multi-MB strings, all in
// encodings redis-server 7 loads, so redis-check-rdb can serve as the
// baseline. Sizes: RDB_BENCH_KEYS (default 200000) small keys and
// RDB_BENCH_BIG (default 10) 4 MB values.

func benchEnvInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil && n >= 0 {
			return n
		}
	}
	return def
}

// benchFile writes the benchmark file into the benchmark's temporary
// directory (removed afterwards) and returns its path.
func benchFile(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.rdb")
	if err := writeBenchFile(path, benchEnvInt("RDB_BENCH_KEYS", 200000), benchEnvInt("RDB_BENCH_BIG", 10)); err != nil {
		b.Fatal(err)
	}
	return path
}

func writeBenchFile(path string, keys, big int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := NewWriter(f, 10)
	w.WriteAux("redis-ver", "7.0.15")
	w.WriteAux("redis-bits", "64")
	w.WriteSelectDB(0)
	w.WriteResizeDB(uint64(keys+big), uint64(keys/10))
	str := func(s string) []byte { return append(appendLen(nil, uint64(len(s))), s...) }
	var v []byte
	for i := 0; i < keys; i++ {
		e := &Entry{Key: []byte(fmt.Sprintf("key:%08d", i)), ExpireMs: -1, Idle: -1, Freq: -1}
		if i%10 == 0 {
			e.ExpireMs = 4102444800000 + int64(i)
		}
		v = v[:0]
		switch i % 4 {
		case 0, 1:
			e.Type = TypeString
			v = append(v, str(fmt.Sprintf("value-%d-%s", i, "padding-padding"))...)
		case 2:
			e.Type = TypeHash
			v = appendLen(v, 3)
			for j := 0; j < 3; j++ {
				v = append(v, str(fmt.Sprintf("field%d", j))...)
				v = append(v, str(fmt.Sprintf("v%d", i+j))...)
			}
		case 3:
			e.Type = TypeZSet2
			v = appendLen(v, 3)
			for j := 0; j < 3; j++ {
				v = append(v, str(fmt.Sprintf("member%d", j))...)
				v = binary.LittleEndian.AppendUint64(v, math.Float64bits(float64(i+j)))
			}
		}
		e.Value = v
		if err := w.WriteEntry(e); err != nil {
			return err
		}
	}
	blob := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	for i := 0; i < big; i++ {
		e := &Entry{Key: []byte(fmt.Sprintf("fpg:%d", i)), Type: TypeString, ExpireMs: -1, Idle: -1, Freq: -1}
		e.Value = append(appendLen(nil, uint64(len(blob))), blob...)
		if err := w.WriteEntry(e); err != nil {
			return err
		}
	}
	return w.Close()
}

func benchRead(b *testing.B, opts ...ReaderOption) {
	path := benchFile(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := NewReader(f, opts...)
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
		if r.Checksum().Status != ChecksumOK {
			b.Fatal(r.Checksum())
		}
	}
}

// BenchmarkReaderSkipValues is the inspect path: checksum verified, values
// skipped by their structure.
func BenchmarkReaderSkipValues(b *testing.B) { benchRead(b, SkipValues()) }

// BenchmarkReaderValues keeps every value's raw bytes.
func BenchmarkReaderValues(b *testing.B) { benchRead(b) }

// BenchmarkReaderReuse keeps values but reuses the Reader's buffers (the
// verify path).
func BenchmarkReaderReuse(b *testing.B) { benchRead(b, ReuseBuffers()) }

func benchRewrite(b *testing.B, toFile bool, opts ...ReaderOption) {
	path := benchFile(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out.rdb")
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		var dst io.Writer = io.Discard
		var of *os.File
		if toFile {
			if of, err = os.Create(out); err != nil {
				b.Fatal(err)
			}
			dst = of
		}
		r := NewReader(f, opts...)
		var w *Writer
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if h, ok := rec.(*Header); ok {
				w = NewWriter(dst, h.Version, WithMagic(h.Magic))
			}
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if of != nil {
			if err := of.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRewriteDiscard is read with values + write, output discarded.
func BenchmarkRewriteDiscard(b *testing.B) { benchRewrite(b, false) }

// BenchmarkRewriteFile is the identity rewrite to a new file.
func BenchmarkRewriteFile(b *testing.B) { benchRewrite(b, true) }

// BenchmarkRewriteReuse is the identity rewrite to a file as rdbtool
// rewrite does it (ReuseBuffers: each entry written before the next).
func BenchmarkRewriteReuse(b *testing.B) { benchRewrite(b, true, ReuseBuffers()) }

// BenchmarkRewriteReuseDiscard is the same, output discarded.
func BenchmarkRewriteReuseDiscard(b *testing.B) { benchRewrite(b, false, ReuseBuffers()) }

// BenchmarkBaselineCopyFile copies the file (the `cp` baseline for rewrite).
func BenchmarkBaselineCopyFile(b *testing.B) {
	path := benchFile(b)
	fi, _ := os.Stat(path)
	out := filepath.Join(b.TempDir(), "copy.rdb")
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := exec.Command("cp", path, out).Run(); err != nil {
			b.Skip("cp:", err)
		}
	}
}

// BenchmarkBaselineRedisCheckRDB runs redis-check-rdb on the file (the
// baseline for the inspect path).
func BenchmarkBaselineRedisCheckRDB(b *testing.B) {
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		b.Skip("redis-check-rdb not installed (apt-get install redis-server)")
	}
	path := benchFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, path).CombinedOutput(); err != nil {
			b.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	}
}
