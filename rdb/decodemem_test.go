package rdb

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"testing"
)

// bigCase is one big collection value in one encoding, with the total
// length of its elements' bytes (integers in decimal) and their number.
type bigCase struct {
	name  string
	typ   byte
	raw   []byte
	bytes int // sum of the element lengths (members, fields and values, stream names and values)
	elems int // number of byte slices the decoded value holds
}

// bigElem is the i-th element of the big collections: small strings and
// small and large integers mixed, as a site's lists and sets hold them.
func bigElem(i int) []byte {
	switch i % 4 {
	case 0:
		return strconv.AppendInt(nil, int64(i), 10) // an integer entry
	case 1:
		return strconv.AppendInt(nil, -int64(i), 10) // a negative integer
	case 2:
		return []byte("m:" + strconv.Itoa(i)) // a short string
	}
	return []byte(fmt.Sprintf("member-%09d-x", i)) // a longer string
}

func lpBlob(n, tuple int, elem func(i, k int) []byte) []byte {
	w := newLPBuilder()
	for i := 0; i < n; i++ {
		for k := 0; k < tuple; k++ {
			w.add(elem(i, k))
		}
	}
	return w.finish()
}

func zlBlob(n, tuple int, elem func(i, k int) []byte) []byte {
	w := newZLBuilder()
	for i := 0; i < n; i++ {
		for k := 0; k < tuple; k++ {
			w.add(elem(i, k))
		}
	}
	return w.finish()
}

func strVal(blob []byte) []byte {
	var e encBuf
	e.str(blob)
	return e.b
}

// bigCases builds one value of n elements (n pairs for hashes and zsets)
// per type and encoding.
func bigCases(tb testing.TB, n int) []bigCase {
	tb.Helper()
	list := make([][]byte, n)
	sum := 0
	for i := range list {
		list[i] = bigElem(i)
		sum += len(list[i])
	}
	var cs []bigCase
	add := func(name string, typ byte, raw []byte, bytes, elems int) {
		cs = append(cs, bigCase{name, typ, raw, bytes, elems})
	}
	enc := func(v *Value, version int, want byte) []byte {
		typ, raw, err := EncodeValue(v, version)
		if err != nil || typ != want {
			tb.Fatalf("encode %s for %d: type %d, %v", v.Kind, version, typ, err)
		}
		return raw
	}
	add("list/quicklist2", TypeListQuicklist2, enc(&Value{Kind: "list", List: list}, 10, TypeListQuicklist2), sum, n)
	add("list/quicklist", TypeListQuicklist, enc(&Value{Kind: "list", List: list}, 7, TypeListQuicklist), sum, n)
	add("list/linkedlist", TypeList, enc(&Value{Kind: "list", List: list}, 6, TypeList), sum, n)
	add("list/ziplist", TypeListZiplist, strVal(zlBlob(n, 1, func(i, _ int) []byte { return list[i] })), sum, n)
	add("set/hashtable", TypeSet, enc(&Value{Kind: "set", Set: list}, 10, TypeSet), sum, n)
	add("set/listpack", TypeSetListpack, strVal(lpBlob(n, 1, func(i, _ int) []byte { return list[i] })), sum, n)
	isb := cat(le32(8), le32(int32(n)))
	isum := 0
	for i := 0; i < n; i++ {
		x := int64(i)*7919 - int64(n)*3000
		isb = append(isb, le64(x)...)
		isum += len(strconv.FormatInt(x, 10))
	}
	add("set/intset", TypeSetIntset, strVal(isb), isum, n)
	zs := make([]ZMember, n)
	for i := range zs {
		zs[i] = ZMember{Member: list[i], Score: float64(i) / 4}
	}
	score := func(i int) []byte { return strconv.AppendFloat(nil, float64(i)/4, 'g', 17, 64) }
	zsum := 0
	for i := 0; i < n; i++ {
		zsum += len(list[i])
	}
	add("zset/skiplist", TypeZSet2, enc(&Value{Kind: "zset", ZSet: zs}, 10, TypeZSet2), zsum, n)
	zelem := func(i, k int) []byte {
		if k == 0 {
			return list[i]
		}
		return score(i)
	}
	add("zset/listpack", TypeZSetListpack, strVal(lpBlob(n, 2, zelem)), zsum, n)
	add("zset/ziplist", TypeZSetZiplist, strVal(zlBlob(n, 2, zelem)), zsum, n)
	hs := make([]HashField, n)
	hsum := 0
	for i := range hs {
		hs[i] = HashField{Field: list[i], Value: bigElem(i + 1), ExpireMs: -1}
		hsum += len(hs[i].Field) + len(hs[i].Value)
	}
	helem := func(i, k int) []byte {
		if k == 0 {
			return hs[i].Field
		}
		return hs[i].Value
	}
	add("hash/hashtable", TypeHash, enc(&Value{Kind: "hash", Hash: hs}, 10, TypeHash), hsum, 2*n)
	add("hash/listpack", TypeHashListpack, strVal(lpBlob(n, 2, helem)), hsum, 2*n)
	add("hash/ziplist", TypeHashZiplist, strVal(zlBlob(n, 2, helem)), hsum, 2*n)
	ents := make([]StreamEntry, n/2)
	ssum := 0
	for i := range ents {
		ents[i] = StreamEntry{ID: StreamID{uint64(1e12) + uint64(i/3), uint64(i % 3)},
			Fields: []StreamField{{[]byte("temp"), bigElem(i)}, {[]byte("node"), bigElem(i + 2)}}}
		for _, f := range ents[i].Fields {
			ssum += len(f.Name) + len(f.Value)
		}
	}
	add("stream", TypeStreamListpacks3, enc(&Value{Kind: "stream", Stream: &Stream{Entries: ents, Length: uint64(len(ents)),
		LastID: ents[len(ents)-1].ID, EntriesAdded: uint64(len(ents))}}, 11, TypeStreamListpacks3), ssum, 2*n)
	return cs
}

// decodeAlloc decodes c once and returns the bytes and objects allocated.
func decodeAlloc(tb testing.TB, c bigCase) (bytes, allocs uint64, v *Value) {
	tb.Helper()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	v, err := DecodeValue(c.typ, c.raw)
	runtime.ReadMemStats(&m1)
	if err != nil {
		tb.Fatalf("%s: %v", c.name, err)
	}
	return m1.TotalAlloc - m0.TotalAlloc, m1.Mallocs - m0.Mallocs, v
}

// TestDecodeBigAllocation: decoding a big collection allocates little more
// than its elements' bytes and one slice header (or pair) per element. It
// used to allocate several times that: the result slices grew by append
// node after node, and every integer element was its own allocation.
func TestDecodeBigAllocation(t *testing.T) {
	n := 200000
	if testing.Short() || raceEnabled {
		n = 50000
	}
	for _, c := range bigCases(t, n) {
		b, a, v := decodeAlloc(t, c)
		if v == nil {
			t.Fatal("no value")
		}
		// the bound: 3x the element bytes (their copy, the arena's slack)
		// plus 40 bytes per element (the duplicate check's map, slack),
		// plus the result's slice (24-byte element, 32-byte ZMember,
		// 56-byte HashField; a stream's entries and fields)
		limit := uint64(3*c.bytes + 40*c.elems)
		switch c.name[:3] {
		case "lis", "set":
			limit += uint64(24 * c.elems)
		case "zse":
			limit += uint64(32 * c.elems)
		case "has":
			limit += uint64(56 * c.elems / 2)
		case "str": // a 40-byte StreamEntry per 4 strings, a 48-byte StreamField per 2
			limit += uint64(40*c.elems/4 + 48*c.elems/2)
		}
		t.Logf("%-16s %8d raw bytes, %7d elem bytes: allocated %9d bytes (%.2fx the bound), %7d objects",
			c.name, len(c.raw), c.bytes, b, float64(b)/float64(limit), a)
		if b > limit {
			t.Errorf("%s: decoding %d elements of %d bytes allocated %d bytes, more than %d", c.name, c.elems, c.bytes, b, limit)
		}
		if a > uint64(c.elems/64+64) {
			t.Errorf("%s: decoding %d elements made %d allocations", c.name, c.elems, a)
		}
	}
}

// BenchmarkDecodeBig decodes one big collection per encoding, reporting
// bytes and allocations per MB of encoded value. RDB_BIG_N sets the
// element count (default 1000000).
func BenchmarkDecodeBig(b *testing.B) {
	n := 1000000
	if s := os.Getenv("RDB_BIG_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, c := range bigCases(b, n) {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.raw)))
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for i := 0; i < b.N; i++ {
				if _, err := DecodeValue(c.typ, c.raw); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&m1)
			mb := float64(len(c.raw)) / (1 << 20) * float64(b.N)
			b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/mb, "B/encMB")
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/mb, "allocs/encMB")
		})
	}
}

// elemsOf lists every byte slice of a decoded value, in order.
func elemsOf(v *Value) [][]byte {
	var out [][]byte
	out = append(out, v.List...)
	out = append(out, v.Set...)
	for _, m := range v.ZSet {
		out = append(out, m.Member)
	}
	for _, f := range v.Hash {
		out = append(out, f.Field, f.Value)
	}
	if v.Stream != nil {
		for _, e := range v.Stream.Entries {
			for _, f := range e.Fields {
				out = append(out, f.Name, f.Value)
			}
		}
	}
	return out
}

// TestDecodeBigContent: the big values decode to the elements they were
// built from, and the decoded elements share no memory with the raw
// value: overwriting raw afterwards changes none of them.
func TestDecodeBigContent(t *testing.T) {
	n := 3000
	for _, c := range bigCases(t, n) {
		v, err := DecodeValue(c.typ, c.raw)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		switch c.name[:3] {
		case "lis":
			for i, s := range v.List {
				if want := bigElem(i); string(s) != string(want) {
					t.Fatalf("%s: element %d is %q, want %q", c.name, i, s, want)
				}
			}
		case "has":
			for i, f := range v.Hash {
				if string(f.Field) != string(bigElem(i)) || string(f.Value) != string(bigElem(i+1)) {
					t.Fatalf("%s: field %d is %q=%q", c.name, i, f.Field, f.Value)
				}
			}
		}
		els := elemsOf(v)
		if len(els) != c.elems {
			t.Fatalf("%s: %d elements, want %d", c.name, len(els), c.elems)
		}
		before := make([]string, len(els))
		for i, s := range els {
			before[i] = string(s)
		}
		for i := range c.raw {
			c.raw[i] ^= 0xA5
		}
		for i, s := range els {
			if string(s) != before[i] {
				t.Fatalf("%s: element %d changed from %q to %q when the raw value was overwritten", c.name, i, before[i], s)
			}
		}
	}
}

// TestDecodeAppendKeepsNeighbours: appending to a decoded element (as a
// caller building a key from a member might) never writes into the next
// element, whichever chunk of memory they share.
func TestDecodeAppendKeepsNeighbours(t *testing.T) {
	for _, c := range bigCases(t, 2000) {
		v, err := DecodeValue(c.typ, c.raw)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		els := elemsOf(v)
		want := make([]string, len(els))
		for i, s := range els {
			want[i] = string(s)
		}
		for i := 0; i+1 < len(els); i++ {
			_ = append(els[i], "XXXXXXXXXXXXXXXXXXXXXXXX"...)
			if string(els[i+1]) != want[i+1] {
				t.Fatalf("%s: appending to element %d changed element %d from %q to %q", c.name, i, i+1, want[i+1], els[i+1])
			}
		}
		if v.Stream != nil {
			e0 := v.Stream.Entries[0]
			next := v.Stream.Entries[1].Fields[0]
			_ = append(e0.Fields, StreamField{Name: []byte("x"), Value: []byte("y")})
			if !bytes.Equal(v.Stream.Entries[1].Fields[0].Name, next.Name) || string(v.Stream.Entries[1].Fields[0].Name) == "x" {
				t.Fatalf("appending a field to a stream entry changed the next entry's fields")
			}
		}
	}
}

// TestDecodeKeptAcrossReuse: Values decoded from a Reader's entries with
// ReuseBuffers stay correct after the Reader has moved on and reused its
// buffers for the next records.
func TestDecodeKeptAcrossReuse(t *testing.T) {
	cs := append(bigCases(t, 5000), bigCases(t, 40)...)
	var file bytes.Buffer
	w := NewWriter(&file, 11)
	for i, c := range cs {
		if err := w.WriteEntry(&Entry{Key: []byte(c.name), Type: c.typ, Value: c.raw, ExpireMs: -1, Idle: -1, Freq: -1}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]ReaderOption{{ReuseBuffers()}, {ReuseBuffers(), readerBuffer(4096)},
		{ReuseBuffers(), readerBuffer(100), readerFeed(true)}} {
		checkKeptAcrossReuse(t, cs, file.Bytes(), opts)
	}
}

func checkKeptAcrossReuse(t *testing.T, cs []bigCase, file []byte, opts []ReaderOption) {
	r := NewReader(bytes.NewReader(file), opts...)
	var kept []*Value
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*Entry); ok {
			v, err := e.Decode()
			if err != nil {
				t.Fatalf("%s: %v", e.Key, err)
			}
			kept = append(kept, v)
		}
	}
	if len(kept) != len(cs) {
		t.Fatalf("read %d values, wrote %d", len(kept), len(cs))
	}
	for i, c := range cs {
		want, err := DecodeValue(c.typ, c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(kept[i], want) {
			t.Errorf("%s: the value decoded while reading changed once the Reader moved on", c.name)
		}
	}
}

// FuzzLZFPrefix: lzfPrefix, which reads a compressed node's header ahead
// of decoding it, never panics on any input and gives the first bytes of
// what lzfCompress compressed.
func FuzzLZFPrefix(f *testing.F) {
	f.Add(bytes.Repeat([]byte("abcabcabd"), 40), 10)
	f.Add([]byte{0x01, 'a', 'b', 0x20, 0x01}, 4)
	f.Add(lpBlob(300, 1, func(i, _ int) []byte { return bigElem(i) }), 6)
	f.Add(zlBlob(300, 1, func(i, _ int) []byte { return bigElem(i) }), 10)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		dst := make([]byte, n)
		lzfPrefix(data, dst) // arbitrary data as LZF: must not panic
		c := lzfCompress(data)
		if c == nil {
			return
		}
		k := min(n, len(data))
		if !lzfPrefix(c, dst[:k]) || !bytes.Equal(dst[:k], data[:k]) {
			t.Fatalf("lzfPrefix of %d bytes gives %x, want %x", k, dst[:k], data[:k])
		}
	})
}
