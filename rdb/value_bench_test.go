package rdb

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"testing"
)

type benchValue struct {
	typ byte
	raw []byte
}

// benchMix is a mix of small values shaped like a real keyspace (as the
// corpus generator's 2-million-key dump): strings of every encoding, small
// listpack hashes/sets/zsets/lists, intsets, a few bigger collections and
// streams, encoded the way Redis 7.0 writes them.
func benchMix(n int) ([]benchValue, int) {
	rng := rand.New(rand.NewSource(1))
	var out []benchValue
	total := 0
	word := func(k int) []byte { return []byte(fmt.Sprintf("w%0*d", k, rng.Intn(1000000))) }
	add := func(typ byte, raw []byte) {
		out = append(out, benchValue{typ, raw})
		total += len(raw)
	}
	for i := 0; i < n; i++ {
		switch i % 10 {
		case 0, 1, 2:
			_, raw, _ := EncodeValue(&Value{Kind: "string", String: word(8 + i%40)}, 10)
			add(TypeString, raw)
		case 3:
			_, raw, _ := EncodeValue(&Value{Kind: "string", String: []byte(fmt.Sprint(rng.Int63()))}, 10)
			add(TypeString, raw)
		case 4:
			w := newLPBuilder()
			for j := 0; j < 10; j++ {
				w.add([]byte(fmt.Sprintf("field-%d", j)))
				w.add(word(10))
			}
			e := encBuf{}
			e.str(w.finish())
			add(TypeHashListpack, e.b)
		case 5:
			w := newLPBuilder()
			for j := 0; j < 8; j++ {
				w.add([]byte(fmt.Sprintf("member-%d-%d", j, rng.Intn(1000))))
				w.addInt(int64(rng.Intn(1000)))
			}
			e := encBuf{}
			e.str(w.finish())
			add(TypeZSetListpack, e.b)
		case 6:
			var l [][]byte
			for j := 0; j < 15; j++ {
				l = append(l, word(12))
			}
			_, raw, _ := EncodeValue(&Value{Kind: "list", List: l}, 10)
			add(TypeListQuicklist2, raw)
		case 7:
			b := cat(le32(4), le32(16))
			for j := 0; j < 16; j++ {
				b = append(b, le32(int32(j*1000+rng.Intn(999)))...)
			}
			e := encBuf{}
			e.str(b)
			add(TypeSetIntset, e.b)
		case 8:
			var h []HashField
			for j := 0; j < 200; j++ {
				h = append(h, HashField{[]byte(fmt.Sprintf("f%d-%d", j, rng.Intn(1000))), word(30), -1})
			}
			_, raw, _ := EncodeValue(&Value{Kind: "hash", Hash: h}, 10)
			add(TypeHash, raw)
		case 9:
			var ents []StreamEntry
			for j := 0; j < 20; j++ {
				ents = append(ents, StreamEntry{ID: StreamID{uint64(1e12) + uint64(j), 0}, Fields: []StreamField{{[]byte("a"), word(5)}, {[]byte("b"), word(9)}}})
			}
			_, raw, _ := EncodeValue(&Value{Kind: "stream", Stream: &Stream{Entries: ents}}, 10)
			add(TypeStreamListpacks2, raw)
		}
	}
	return out, total
}

// BenchmarkValidateValue measures the deep check verify runs on every
// value, over a mix of small values (MB/s of raw value bytes).
func BenchmarkValidateValue(b *testing.B) {
	vals, total := benchMix(20000)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range vals {
			if err := ValidateValue(v.typ, v.raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
}

// BenchmarkValidateValueLarge checks 4 MB values: an incompressible one
// (FPGA bitfile) and an LZF-compressed one.
func BenchmarkValidateValueLarge(b *testing.B) {
	rng := rand.New(rand.NewSource(2))
	blob := make([]byte, 4<<20)
	rng.Read(blob)
	for i := 0; i < len(blob); i += 64 { // partly compressible, like a bitfile
		copy(blob[i:i+32], make([]byte, 32))
	}
	_, comp, _ := EncodeValue(&Value{Kind: "string", String: blob}, 10)
	rng.Read(blob)
	_, plain, _ := EncodeValue(&Value{Kind: "string", String: blob}, 10)
	if comp[0] != 0xC3 || plain[0] == 0xC3 {
		b.Fatal("bench setup: expected one LZF and one plain value")
	}
	b.SetBytes(int64(len(comp) + len(plain)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ValidateValue(TypeString, comp); err != nil {
			b.Fatal(err)
		}
		if err := ValidateValue(TypeString, plain); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValue decodes the small-value mix.
func BenchmarkDecodeValue(b *testing.B) {
	vals, total := benchMix(20000)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, v := range vals {
			if _, err := DecodeValue(v.typ, v.raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkVerifyFile is the verify path on the reader benchmarks' file:
// every entry read, the checksum checked and every value deep-validated.
// Compare with BenchmarkBaselineRedisCheckRDB in the same run (target: at
// most 1.0x its time).
func BenchmarkVerifyFile(b *testing.B) {
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
		r := NewReader(f)
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if e, ok := rec.(*Entry); ok {
				if err := ValidateValue(e.Type, e.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
		f.Close()
		if r.Checksum().Status != ChecksumOK {
			b.Fatal(r.Checksum())
		}
	}
}
