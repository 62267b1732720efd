package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// ---- hand-building helpers (independent of the package's encoders) ----

// rstr is an RDB string with a plain length.
func rstr(b []byte) []byte {
	var out []byte
	switch n := len(b); {
	case n < 64:
		out = []byte{byte(n)}
	case n < 16384:
		out = []byte{0x40 | byte(n>>8), byte(n)}
	default:
		out = binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n))
	}
	return append(out, b...)
}

func rlen(n int) []byte { return rstr(make([]byte, n))[:len(rstr(make([]byte, n)))-n] }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// tBacklen is a listpack backlen for an entry of l bytes (l < 16383).
func tBacklen(l int) []byte {
	if l <= 127 {
		return []byte{byte(l)}
	}
	return []byte{byte(l >> 7), byte(l&127) | 128}
}

// lpOf builds a listpack from raw entries (encoding byte + data).
func lpOf(entries ...[]byte) []byte {
	b := make([]byte, 6)
	for _, e := range entries {
		b = append(b, e...)
		b = append(b, tBacklen(len(e))...)
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(len(entries)))
	return b
}

func lpStr(s string) []byte {
	if len(s) < 64 {
		return append([]byte{0x80 | byte(len(s))}, s...)
	}
	return append([]byte{0xE0 | byte(len(s)>>8), byte(len(s))}, s...)
}

// zlOf builds a ziplist from raw entries (encoding + data), adding prevlens.
func zlOf(entries ...[]byte) []byte {
	b := make([]byte, 10)
	prev, tail := 0, 10
	for _, e := range entries {
		tail = len(b)
		start := len(b)
		if prev < 254 {
			b = append(b, byte(prev))
		} else {
			b = binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(prev))
		}
		b = append(b, e...)
		prev = len(b) - start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(entries)))
	return b
}

func zlStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func le16(v int16) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func le64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
func le24(v int32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func mustDecode(t *testing.T, typ byte, raw []byte) *Value {
	t.Helper()
	if err := ValidateValue(typ, raw); err != nil {
		t.Fatalf("ValidateValue(type %d): %v", typ, err)
	}
	v, err := DecodeValue(typ, raw)
	if err != nil {
		t.Fatalf("DecodeValue(type %d): %v", typ, err)
	}
	return v
}

func eqList(t *testing.T, what string, got [][]byte, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements %q, want %d %q", what, len(got), got, len(want), want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("%s: element %d = %q, want %q", what, i, trunc(got[i]), trunc([]byte(want[i])))
		}
	}
}

// ---- strings ----

func TestDecodeStrings(t *testing.T) {
	long := strings.Repeat("abcdefgh", 40)
	comp := lzfCompress([]byte(long))
	if comp == nil {
		t.Fatal("lzfCompress did not compress a repetitive string")
	}
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"raw", rstr([]byte("hello")), "hello"},
		{"empty", []byte{0}, ""},
		{"14-bit length", rstr([]byte(strings.Repeat("x", 300))), strings.Repeat("x", 300)},
		{"32-bit length", cat([]byte{0x80, 0, 0, 0, 3}, []byte("abc")), "abc"},
		{"64-bit length", cat([]byte{0x81, 0, 0, 0, 0, 0, 0, 0, 3}, []byte("abc")), "abc"},
		{"int8", []byte{0xC0, 0x85}, "-123"},
		{"int16", cat([]byte{0xC1}, le16(-30000)), "-30000"},
		{"int32", cat([]byte{0xC2}, le32(2000000000)), "2000000000"},
		{"lzf literal+backref", []byte{0xC3, 5, 10, 0x00, 'a', 0xE0, 0x00, 0x00}, "aaaaaaaaaa"},
		{"lzf", cat([]byte{0xC3}, rlen(len(comp)), rlen(len(long)), comp), long},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := mustDecode(t, TypeString, c.raw)
			if v.Kind != "string" || string(v.String) != c.want {
				t.Fatalf("got %s %q, want %q", v.Kind, trunc(v.String), trunc([]byte(c.want)))
			}
		})
	}
	if EncodingName(TypeString, []byte{0xC0, 1}) != "int" || EncodingName(TypeString, []byte{0xC3}) != "lzf" || EncodingName(TypeString, []byte{3}) != "raw" {
		t.Error("EncodingName for strings")
	}
}

// ---- listpack ----

func TestListpackEncodings(t *testing.T) {
	s100 := strings.Repeat("L", 100)
	s5000 := strings.Repeat("M", 5000)
	lp := lpOf(
		[]byte{0x05},              // 7-bit uint
		lpStr("abc"),              // 6-bit string
		[]byte{0xC0 | 0x1F, 0x9C}, // 13-bit int: -100
		[]byte{0xC0 | 0x0F, 0xFF}, // 13-bit int: 4095
		lpStr(s100),               // 12-bit string
		cat([]byte{0xF0}, le32(5000), []byte(s5000)), // 32-bit string
		cat([]byte{0xF1}, le16(-30000)),              // int16
		cat([]byte{0xF2}, le24(-5000000)),            // int24
		cat([]byte{0xF3}, le32(-2000000000)),
		cat([]byte{0xF4}, le64(math.MinInt64)),
	)
	want := []string{"5", "abc", "-100", "4095", s100, s5000, "-30000", "-5000000", "-2000000000", "-9223372036854775808"}
	v := mustDecode(t, TypeSetListpack, rstr(lp))
	eqList(t, "set listpack", v.Set, want...)

	// quicklist 2: a packed listpack node and a plain node.
	q := cat([]byte{2}, []byte{2}, rstr(lpOf(lpStr("a"), []byte{7})), []byte{1}, rstr([]byte("plain")))
	v = mustDecode(t, TypeListQuicklist2, q)
	eqList(t, "quicklist2", v.List, "a", "7", "plain")

	// hash and zset listpacks
	v = mustDecode(t, TypeHashListpack, rstr(lpOf(lpStr("f1"), lpStr("v1"), lpStr("f2"), []byte{9})))
	if len(v.Hash) != 2 || string(v.Hash[1].Field) != "f2" || string(v.Hash[1].Value) != "9" || v.Hash[0].ExpireMs != -1 {
		t.Errorf("hash listpack: %+v", v.Hash)
	}
	v = mustDecode(t, TypeZSetListpack, rstr(lpOf(lpStr("a"), []byte{3}, lpStr("b"), lpStr("2.5"), lpStr("c"), lpStr("inf"), lpStr("d"), lpStr("-inf"))))
	if len(v.ZSet) != 4 || v.ZSet[0].Score != 3 || v.ZSet[1].Score != 2.5 || !math.IsInf(v.ZSet[2].Score, 1) || !math.IsInf(v.ZSet[3].Score, -1) {
		t.Errorf("zset listpack: %+v", v.ZSet)
	}
}

// ---- ziplist ----

func TestZiplistEncodings(t *testing.T) {
	s300 := strings.Repeat("z", 300)
	s20000 := strings.Repeat("y", 20000)
	zl := zlOf(
		[]byte{0xF1}, // immediate 0
		[]byte{0xFD}, // immediate 12
		[]byte{0xFE, 0x85},
		cat([]byte{0xC0}, le16(-30000)),
		cat([]byte{0xF0}, le24(5000000)),
		cat([]byte{0xD0}, le32(-2000000000)),
		cat([]byte{0xE0}, le64(math.MaxInt64)),
		zlStr("xyz"),
		cat([]byte{0x40 | 0x01, 0x2C}, []byte(s300)), // 14-bit length
		zlStr("after-big"),                           // 5-byte prevlen
		cat([]byte{0x80}, binary.BigEndian.AppendUint32(nil, 20000), []byte(s20000)),
		zlStr("end"),
	)
	if zl[len(zl)-1] != 0xFF {
		t.Fatal("helper")
	}
	want := []string{"0", "12", "-123", "-30000", "5000000", "-2000000000", "9223372036854775807", "xyz", s300, "after-big", s20000, "end"}
	v := mustDecode(t, TypeListZiplist, rstr(zl))
	eqList(t, "ziplist", v.List, want...)

	v = mustDecode(t, TypeListQuicklist, cat([]byte{2}, rstr(zlOf(zlStr("a"))), rstr(zlOf([]byte{0xF3}))))
	eqList(t, "quicklist", v.List, "a", "2")

	v = mustDecode(t, TypeZSetZiplist, rstr(zlOf(zlStr("m"), zlStr("1.5"), zlStr("n"), []byte{0xF4})))
	if len(v.ZSet) != 2 || v.ZSet[0].Score != 1.5 || v.ZSet[1].Score != 3 {
		t.Errorf("zset ziplist: %+v", v.ZSet)
	}
	v = mustDecode(t, TypeHashZiplist, rstr(zlOf(zlStr("f"), zlStr("v"))))
	if len(v.Hash) != 1 || string(v.Hash[0].Value) != "v" {
		t.Errorf("hash ziplist: %+v", v.Hash)
	}
}

// ---- intset, zipmap ----

func TestIntset(t *testing.T) {
	for _, c := range []struct {
		enc  int
		vals []int64
		want []string
	}{
		{2, []int64{-5, 7, 32767}, []string{"-5", "7", "32767"}},
		{4, []int64{-70000, 1, 2000000000}, []string{"-70000", "1", "2000000000"}},
		{8, []int64{math.MinInt64, 0, 1 << 40}, []string{"-9223372036854775808", "0", "1099511627776"}},
	} {
		b := cat(le32(int32(c.enc)), le32(int32(len(c.vals))))
		for _, x := range c.vals {
			b = append(b, le64(x)[:c.enc]...)
		}
		v := mustDecode(t, TypeSetIntset, rstr(b))
		eqList(t, "intset", v.Set, c.want...)
	}
}

func TestZipmap(t *testing.T) {
	big := strings.Repeat("B", 300)
	zm := cat([]byte{2}, []byte{3}, []byte("foo"), []byte{3, 1}, []byte("bar"), []byte{'!'},
		[]byte{1}, []byte("k"), []byte{254}, le32(300), []byte{0}, []byte(big), []byte{0xFF})
	v := mustDecode(t, TypeHashZipmap, rstr(zm))
	if len(v.Hash) != 2 || string(v.Hash[0].Field) != "foo" || string(v.Hash[0].Value) != "bar" || string(v.Hash[1].Value) != big {
		t.Fatalf("zipmap: %+v", v.Hash)
	}
}

// ---- plain types ----

func TestPlainTypes(t *testing.T) {
	v := mustDecode(t, TypeList, cat([]byte{2}, rstr([]byte("a")), []byte{0xC0, 5}))
	eqList(t, "list", v.List, "a", "5")
	v = mustDecode(t, TypeSet, cat([]byte{1}, rstr([]byte("m"))))
	eqList(t, "set", v.Set, "m")

	z := cat([]byte{3}, rstr([]byte("a")), []byte{3}, []byte("1.5"),
		rstr([]byte("p")), []byte{254}, rstr([]byte("m")), []byte{255})
	v = mustDecode(t, TypeZSet, z)
	if v.ZSet[0].Score != 1.5 || !math.IsInf(v.ZSet[1].Score, 1) || !math.IsInf(v.ZSet[2].Score, -1) {
		t.Errorf("zset: %+v", v.ZSet)
	}
	// NaN (marker 253, binary, or text) is read but refused, as Redis refuses it.
	for _, c := range []struct {
		typ byte
		raw []byte
	}{
		{TypeZSet, cat([]byte{1}, rstr([]byte("n")), []byte{253})},
		{TypeZSet2, cat([]byte{1}, rstr([]byte("n")), le64(int64(math.Float64bits(math.NaN()))))},
		{TypeZSetListpack, rstr(lpOf(lpStr("n"), lpStr("nan")))},
	} {
		_, err := DecodeValue(c.typ, c.raw)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("type %d NaN score: %v", c.typ, err)
		}
	}
	z2 := cat([]byte{2}, rstr([]byte("a")), le64(int64(math.Float64bits(-0.25))), rstr([]byte("b")), le64(int64(math.Float64bits(math.Inf(1)))))
	v = mustDecode(t, TypeZSet2, z2)
	if v.ZSet[0].Score != -0.25 || !math.IsInf(v.ZSet[1].Score, 1) {
		t.Errorf("zset2: %+v", v.ZSet)
	}
	v = mustDecode(t, TypeHash, cat([]byte{1}, rstr([]byte("f")), rstr([]byte("v"))))
	if v.Hash[0].ExpireMs != -1 || string(v.Hash[0].Value) != "v" {
		t.Errorf("hash: %+v", v.Hash)
	}
}

// ---- hash field expiry ----

func TestHashFieldExpiry(t *testing.T) {
	type fe struct {
		f, v string
		exp  int64
	}
	check := func(name string, v *Value, want ...fe) {
		t.Helper()
		if len(v.Hash) != len(want) {
			t.Fatalf("%s: %+v", name, v.Hash)
		}
		for i, w := range want {
			h := v.Hash[i]
			if string(h.Field) != w.f || string(h.Value) != w.v || h.ExpireMs != w.exp {
				t.Errorf("%s: field %d = %q %q %d, want %+v", name, i, h.Field, h.Value, h.ExpireMs, w)
			}
		}
	}
	// 24: min expiry, count, then [ttl relative to min + 1 (0 none), field, value]
	h24 := cat(le64(1000), []byte{3}, []byte{0}, rstr([]byte("f1")), rstr([]byte("v1")),
		[]byte{1}, rstr([]byte("f2")), rstr([]byte("v2")), []byte{0x41, 0xF5}, rstr([]byte("f3")), rstr([]byte("v3")))
	check("type 24", mustDecode(t, TypeHashMetadata, h24), fe{"f1", "v1", -1}, fe{"f2", "v2", 1000}, fe{"f3", "v3", 1000 + 501 - 1})
	// 25: min expiry, listpack of [field, value, ttl] (ttl absolute, 0 none)
	lpx := lpOf(lpStr("a"), lpStr("1"), cat([]byte{0xF3}, le32(5000)), lpStr("b"), lpStr("2"), []byte{0})
	check("type 25", mustDecode(t, TypeHashListpackEx, cat(le64(5000), rstr(lpx))), fe{"a", "1", 5000}, fe{"b", "2", -1})
	check("type 23", mustDecode(t, TypeHashListpackExPreGA, rstr(lpx)), fe{"a", "1", 5000}, fe{"b", "2", -1})
	// 22, Redis 7.4 RC layout: count, [absolute ttl, field, value]
	h22 := cat([]byte{2}, []byte{0}, rstr([]byte("x")), rstr([]byte("1")), cat([]byte{0x80}, binary.BigEndian.AppendUint32(nil, 70000)), rstr([]byte("y")), rstr([]byte("2")))
	check("type 22 (Redis RC)", mustDecode(t, TypeHashMetadataPreGA, h22), fe{"x", "1", -1}, fe{"y", "2", 70000})
	// 22, Valkey 9 layout: count, [field, value, 8-byte expiry or -1]
	v22 := cat([]byte{2}, rstr([]byte("x")), rstr([]byte("1")), le64(-1), rstr([]byte("y")), rstr([]byte("2")), le64(2715785640000))
	check("type 22 (Valkey)", mustDecode(t, TypeHashMetadataPreGA, v22), fe{"x", "1", -1}, fe{"y", "2", 2715785640000})

	// Listpack-ex expiries must be ordered, with the fields without expiry last.
	bad := lpOf(lpStr("a"), lpStr("1"), []byte{0}, lpStr("b"), lpStr("2"), cat([]byte{0xF3}, le32(5000)))
	if err := ValidateValue(TypeHashListpackExPreGA, rstr(bad)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unordered listpack-ex expiries: %v", err)
	}
}

// ---- module ----

func moduleID(name string, encver int) uint64 {
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(strings.IndexByte(moduleCharset, name[i]))
	}
	return id<<10 | uint64(encver)
}

func TestModule2(t *testing.T) {
	id := moduleID("mymodtype", 3)
	e := encBuf{}
	e.len(id)
	raw := cat(e.b, []byte{ModuleOpUInt, 5, ModuleOpString}, rstr([]byte("payload")), []byte{ModuleOpDouble}, le64(1), []byte{ModuleOpFloat, 0, 0, 0, 0}, []byte{ModuleOpEOF})
	v := mustDecode(t, TypeModule2, raw)
	if v.Kind != "module" || v.Module.Name != "mymodtype" || v.Module.EncVer != 3 || v.Module.ID != id {
		t.Fatalf("module: %+v", v.Module)
	}
	if _, _, err := EncodeValue(v, 10); !errors.Is(err, ErrUnconvertible) {
		t.Errorf("encoding a module value: %v", err)
	}
	if err := ValidateValue(TypeModule2, cat(e.b, []byte{9})); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unknown module opcode: %v", err)
	}
	if err := ValidateValue(TypeModule, []byte{0}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("type 6: %v", err)
	}
}

// ---- corruption ----

func TestCorruptValues(t *testing.T) {
	good := lpOf(lpStr("a"), []byte{5})
	mut := func(b []byte, i int, c byte) []byte {
		b = append([]byte(nil), b...)
		if i < 0 {
			i += len(b)
		}
		b[i] = c
		return b
	}
	zgood := zlOf(zlStr("a"), zlStr("b"))
	is := cat(le32(2), le32(2), le16(5), le16(9))
	zm := cat([]byte{1}, []byte{1}, []byte("k"), []byte{1, 0}, []byte("v"), []byte{0xFF})
	cases := []struct {
		name string
		typ  byte
		raw  []byte
	}{
		{"listpack total bytes", TypeSetListpack, rstr(mut(good, 0, 99))},
		{"listpack terminator", TypeSetListpack, rstr(mut(good, -1, 0))},
		{"listpack backlen", TypeSetListpack, rstr(mut(good, 8, 9))},
		{"listpack count", TypeSetListpack, rstr(mut(good, 4, 3))},
		{"listpack encoding", TypeSetListpack, rstr(mut(good, 9, 0xF7))},
		{"listpack string past end", TypeSetListpack, rstr(mut(good, 6, 0x80|40))},
		{"listpack short", TypeSetListpack, rstr([]byte{6, 0, 0, 0, 0, 0xFF})},
		{"listpack hash odd", TypeHashListpack, rstr(lpOf(lpStr("a")))},
		{"listpack zset score", TypeZSetListpack, rstr(lpOf(lpStr("a"), lpStr("x1")))},
		{"ziplist bytes", TypeListZiplist, rstr(mut(zgood, 0, 3))},
		{"ziplist tail", TypeListZiplist, rstr(mut(zgood, 4, 10))},
		{"ziplist count", TypeListZiplist, rstr(mut(zgood, 8, 5))},
		{"ziplist prevlen", TypeListZiplist, rstr(mut(zgood, 13, 7))},
		{"ziplist encoding", TypeListZiplist, rstr(mut(zgood, 11, 0xC1))},
		{"ziplist terminator", TypeListZiplist, rstr(mut(zgood, -1, 1))},
		{"ziplist hash odd", TypeHashZiplist, rstr(zlOf(zlStr("a")))},
		{"intset encoding", TypeSetIntset, rstr(mut(is, 0, 3))},
		{"intset order", TypeSetIntset, rstr(cat(le32(2), le32(2), le16(9), le16(5)))},
		{"intset duplicate", TypeSetIntset, rstr(cat(le32(2), le32(2), le16(5), le16(5)))},
		{"intset size", TypeSetIntset, rstr(mut(is, 4, 3))},
		{"intset empty", TypeSetIntset, rstr(cat(le32(2), le32(0)))},
		{"zipmap count", TypeHashZipmap, rstr(mut(zm, 0, 2))},
		{"zipmap value past end", TypeHashZipmap, rstr(mut(zm, 3, 9))},
		{"zipmap terminator", TypeHashZipmap, rstr(mut(zm, -1, 0))},
		{"lzf data", TypeString, []byte{0xC3, 3, 10, 0x00, 'a', 0xE0}},
		{"lzf ratio", TypeString, []byte{0xC3, 1, 0x80, 0x10, 0, 0, 0, 0}},
		{"trailing bytes", TypeString, []byte{1, 'a', 'b'}},
		{"set duplicate", TypeSet, cat([]byte{2}, rstr([]byte("7")), []byte{0xC0, 7})},
		{"hash duplicate", TypeHash, cat([]byte{2}, rstr([]byte("f")), rstr([]byte("1")), rstr([]byte("f")), rstr([]byte("2")))},
		{"zset duplicate", TypeZSet2, cat([]byte{2}, rstr([]byte("m")), le64(0), rstr([]byte("m")), le64(0))},
		{"listpack set duplicate", TypeSetListpack, rstr(lpOf(lpStr("5"), []byte{5}))},
		{"listpack hash duplicate", TypeHashListpack, rstr(lpOf(lpStr("f"), lpStr("1"), lpStr("f"), lpStr("1")))},
		{"ziplist zset duplicate", TypeZSetZiplist, rstr(zlOf(zlStr("m"), zlStr("1"), zlStr("m"), zlStr("2")))},
		{"zipmap duplicate", TypeHashZipmap, rstr(cat([]byte{2}, []byte{1, 'k', 1, 0, 'v'}, []byte{1, 'k', 1, 0, 'w'}, []byte{0xFF}))},
		{"unknown length encoding", TypeString, []byte{0x85}},
		{"quicklist2 container", TypeListQuicklist2, cat([]byte{1, 3}, rstr([]byte("x")))},
		{"stream key size", TypeStreamListpacks, cat([]byte{1}, rstr([]byte("short")), rstr(good))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errV := ValidateValue(c.typ, c.raw)
			_, errD := DecodeValue(c.typ, c.raw)
			if !errors.Is(errV, ErrCorrupt) || !errors.Is(errD, ErrCorrupt) {
				t.Fatalf("validate: %v; decode: %v; want ErrCorrupt", errV, errD)
			}
		})
	}
	// Lengths running past the end.
	for _, raw := range [][]byte{{0x05, 'a'}, {0x80, 0xff, 0xff, 0xff, 0xff}, {0x81, 0, 0, 0, 1, 0, 0, 0, 0, 'x'}} {
		if err := ValidateValue(TypeString, raw); !errors.Is(err, ErrLength) {
			t.Errorf("%x: %v, want ErrLength", raw, err)
		}
	}
	if err := ValidateValue(TypeList, []byte{0x80, 0x10, 0, 0, 0}); !errors.Is(err, ErrLength) {
		t.Errorf("huge list count: %v", err)
	}
	if err := ValidateValue(TypeString, []byte{0xC2, 1}); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated int32: %v", err)
	}
	if err := ValidateValue(TypeString, nil); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty: %v", err)
	}
	if err := ValidateValue(8, []byte{0}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("type 8: %v", err)
	}
}

// ---- streams (hand-checked layout) ----

func TestStreamLayout(t *testing.T) {
	st := &Stream{
		Entries: []StreamEntry{
			{ID: StreamID{100, 1}, Fields: []StreamField{{bs("a")[0], bs("1")[0]}, {bs("b")[0], bs("x")[0]}}},
			{ID: StreamID{100, 2}, Fields: []StreamField{{bs("a")[0], bs("2")[0]}, {bs("b")[0], bs("y")[0]}}},
			{ID: StreamID{105, 0}, Fields: []StreamField{{bs("c")[0], bs("z")[0]}}},
		},
		LastID: StreamID{105, 0}, MaxDeletedID: StreamID{99, 0}, EntriesAdded: 7,
		Groups: []StreamGroup{{Name: bs("g")[0], LastID: StreamID{100, 2}, EntriesRead: 5,
			Pending:   []StreamPEL{{ID: StreamID{100, 1}, DeliveryTime: 1234, DeliveryCount: 2}, {ID: StreamID{100, 2}, DeliveryTime: 1235, DeliveryCount: 1}},
			Consumers: []StreamConsumer{{Name: bs("c1")[0], SeenTime: 1235, ActiveTime: 1200, Pending: []StreamID{{100, 1}, {100, 2}}}, {Name: bs("c2")[0], SeenTime: 99, ActiveTime: 98}}}},
	}
	typ, raw, err := EncodeValue(&Value{Kind: "stream", Stream: st}, 11)
	if err != nil || typ != TypeStreamListpacks3 {
		t.Fatal(typ, err)
	}
	// One node: master ID key, then the listpack; check the listpack's
	// elements against the documented layout.
	d := vdec{b: raw}
	if n, _ := d.readUint("nodes"); n != 1 {
		t.Fatalf("%d nodes", n)
	}
	key, _ := d.readStr(true)
	if !bytes.Equal(key, cat(binary.BigEndian.AppendUint64(nil, 100), binary.BigEndian.AppendUint64(nil, 1))) {
		t.Fatalf("master key %x", key)
	}
	lp, _ := d.readBlob()
	it, err := lpOpen(lp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		e, done, err := it.next()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		got = append(got, string(e.bytes()))
	}
	want := "3 0 2 a b 0 " + // master: count, deleted, 2 fields a b, terminator
		"2 0 0 1 x 5 " + // SAMEFIELDS, delta 0-0, values, lp-count 2+3
		"2 0 1 2 y 5 " +
		"0 5 -1 1 c z 6" // own fields: delta 5-(-1), 1 field, c z, lp-count 2*1+4
	if strings.Join(got, " ") != want {
		t.Errorf("listpack\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	v := mustDecode(t, typ, raw)
	if !reflect.DeepEqual(normStream(v.Stream), normStream(st)) {
		t.Errorf("stream round trip\n%+v\n%+v", v.Stream, st)
	}
	// Deleted entries are skipped; lp-count mismatches are corruption.
	lpDel := lpOf([]byte{1}, []byte{1}, []byte{1}, lpStr("f"), []byte{0},
		[]byte{3}, []byte{0}, []byte{0}, lpStr("dead"), []byte{4},
		[]byte{2}, []byte{1}, []byte{0}, lpStr("live"), []byte{4})
	mk := func(lp []byte) []byte {
		return cat([]byte{1}, rstr(cat(binary.BigEndian.AppendUint64(nil, 7), binary.BigEndian.AppendUint64(nil, 0))), rstr(lp), []byte{1, 8, 0, 0})
	}
	v = mustDecode(t, TypeStreamListpacks, mk(lpDel))
	if len(v.Stream.Entries) != 1 || v.Stream.Entries[0].ID != (StreamID{8, 0}) || string(v.Stream.Entries[0].Fields[0].Value) != "live" {
		t.Errorf("deleted entry handling: %+v", v.Stream.Entries)
	}
	bad := lpOf([]byte{1}, []byte{0}, []byte{1}, lpStr("f"), []byte{0}, []byte{2}, []byte{0}, []byte{0}, lpStr("v"), []byte{5})
	if err := ValidateValue(TypeStreamListpacks, mk(bad)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("lp-count mismatch: %v", err)
	}
	bad = lpOf([]byte{1}, []byte{0}, []byte{1}, lpStr("f"), []byte{1}, []byte{2}, []byte{0}, []byte{0}, lpStr("v"), []byte{4})
	if err := ValidateValue(TypeStreamListpacks, mk(bad)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("master terminator: %v", err)
	}
}

// normStream gives nil and empty slices one form for comparison.
func normStream(s *Stream) *Stream {
	c := *s
	c.Groups = nil
	for _, g := range s.Groups {
		g2 := g
		if len(g2.Pending) == 0 {
			g2.Pending = nil
		}
		g2.Consumers = nil
		for _, cs := range g.Consumers {
			if len(cs.Pending) == 0 {
				cs.Pending = nil
			}
			g2.Consumers = append(g2.Consumers, cs)
		}
		c.Groups = append(c.Groups, g2)
	}
	if c.Length == 0 {
		c.Length = uint64(len(c.Entries))
	}
	if len(c.Entries) > 0 && c.FirstID == (StreamID{}) {
		c.FirstID = c.Entries[0].ID
	}
	return &c
}
