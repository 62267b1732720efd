package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"
)

// ---- hand-built files ----

// rcStr is a plain RDB string.
func rcStr(s string) []byte { return append(appendLen(nil, uint64(len(s))), s...) }

func rcLen(v uint64) []byte { return appendLen(nil, v) }

func rcCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func rcU64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// rcHeader is the 9-byte header.
func rcHeader(magic string, version int) []byte {
	var b bytes.Buffer
	w := NewWriter(&b, version, WithMagic(magic))
	if err := w.writeHeader(); err != nil {
		panic(err)
	}
	w.flush()
	return b.Bytes()
}

// rcFinish appends the EOF opcode and, for version >= 5, the checksum.
func rcFinish(b []byte, version int) []byte {
	b = append(b, OpEOF)
	if version >= 5 {
		b = binary.LittleEndian.AppendUint64(b, CRC64(0, b))
	}
	return b
}

// rcLZF is an LZF-compressed string of s (which must compress).
func rcLZF(s string) []byte {
	c := lzfCompress([]byte(s))
	if c == nil {
		panic("does not compress")
	}
	return rcCat([]byte{0xC3}, rcLen(uint64(len(c))), rcLen(uint64(len(s))), c)
}

// rcStream builds a stream value of type t with one listpack node, one
// group with one pending entry and one consumer.
func rcStream(t byte) []byte {
	b := rcCat(rcLen(1), rcStr(strings.Repeat("\x00", 15)+"\x01"), rcStr("listpack-bytes"))
	b = append(b, rcCat(rcLen(5), rcLen(1700000000000), rcLen(3))...)
	if t >= TypeStreamListpacks2 {
		b = append(b, rcCat(rcLen(1700000000000), rcLen(0), rcLen(0), rcLen(0), rcLen(5))...)
	}
	b = append(b, rcLen(1)...)
	b = append(b, rcStr("group")...)
	b = append(b, rcCat(rcLen(1700000000000), rcLen(1))...)
	if t >= TypeStreamListpacks2 {
		b = append(b, rcLen(2)...)
	}
	b = append(b, rcLen(1)...)
	b = append(b, bytes.Repeat([]byte{7}, 16)...)
	b = append(b, rcU64(1700000000123)...)
	b = append(b, rcLen(2)...)
	b = append(b, rcLen(1)...)
	b = append(b, rcStr("consumer")...)
	b = append(b, rcU64(1700000000456)...)
	if t >= TypeStreamListpacks3 {
		b = append(b, rcU64(1700000000789)...)
	}
	b = append(b, rcLen(1)...)
	b = append(b, bytes.Repeat([]byte{7}, 16)...)
	return b
}

// rcValue is one hand-built value of a type, as the bytes after the key.
type rcValue struct {
	name  string
	typ   byte
	value []byte
}

func rcValues() []rcValue {
	float := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	double := binary.LittleEndian.AppendUint64(nil, math.Float64bits(2.5))
	moduleID := uint64(0x3f<<58 | 0x123<<10 | 3)
	blob := rcStr("\x0b\x00\x00\x00\x02\x00\x00\x00\x01\x00\xff") // content is not the reader's business
	return []rcValue{
		{"string raw", TypeString, rcStr("hello")},
		{"string empty", TypeString, rcStr("")},
		{"string 14-bit", TypeString, rcStr(strings.Repeat("x", 300))},
		{"string 32-bit", TypeString, rcCat([]byte{0x80, 0, 0, 0, 3}, []byte("abc"))},
		{"string 64-bit", TypeString, rcCat([]byte{0x81, 0, 0, 0, 0, 0, 0, 0, 2}, []byte("ab"))},
		{"string int8", TypeString, []byte{0xC0, 0x85}},
		{"string int16", TypeString, []byte{0xC1, 0x39, 0x30}},
		{"string int32", TypeString, []byte{0xC2, 0x15, 0xCD, 0x5B, 0x07}},
		{"string lzf", TypeString, rcLZF(strings.Repeat("abcabcabc", 20))},
		{"list linked", TypeList, rcCat(rcLen(3), rcStr("a"), []byte{0xC0, 5}, rcLZF(strings.Repeat("z", 64)))},
		{"set", TypeSet, rcCat(rcLen(2), rcStr("m1"), rcStr("m2"))},
		{"zset text scores", TypeZSet, rcCat(rcLen(4), rcStr("a"), []byte{3}, []byte("1.5"), rcStr("b"), []byte{253}, rcStr("c"), []byte{254}, rcStr("d"), []byte{255})},
		{"hash", TypeHash, rcCat(rcLen(2), rcStr("f1"), rcStr("v1"), rcStr("f2"), []byte{0xC0, 1})},
		{"zset2", TypeZSet2, rcCat(rcLen(2), rcStr("a"), double, rcStr("b"), rcU64(math.Float64bits(math.Inf(-1))))},
		{"module2", TypeModule2, rcCat(rcLen(moduleID), rcLen(ModuleOpSInt), rcLen(5), rcLen(ModuleOpUInt), rcLen(1<<40), rcLen(ModuleOpFloat), float, rcLen(ModuleOpDouble), double, rcLen(ModuleOpString), rcStr("module data"), rcLen(ModuleOpEOF))},
		{"module2 empty", TypeModule2, rcCat(rcLen(moduleID), rcLen(ModuleOpEOF))},
		{"hash zipmap", TypeHashZipmap, blob},
		{"list ziplist", TypeListZiplist, blob},
		{"set intset", TypeSetIntset, blob},
		{"zset ziplist", TypeZSetZiplist, blob},
		{"hash ziplist", TypeHashZiplist, rcLZF(strings.Repeat("ziplist", 10))},
		{"list quicklist", TypeListQuicklist, rcCat(rcLen(2), blob, blob)},
		{"stream v1", TypeStreamListpacks, rcStream(TypeStreamListpacks)},
		{"hash listpack", TypeHashListpack, blob},
		{"zset listpack", TypeZSetListpack, blob},
		{"list quicklist2", TypeListQuicklist2, rcCat(rcLen(2), rcLen(quicklistNodePlain), rcStr("plain element"), rcLen(quicklistNodePacked), blob)},
		{"stream v2", TypeStreamListpacks2, rcStream(TypeStreamListpacks2)},
		{"set listpack", TypeSetListpack, blob},
		{"stream v3", TypeStreamListpacks3, rcStream(TypeStreamListpacks3)},
		{"hash metadata pre-GA", TypeHashMetadataPreGA, rcCat(rcLen(2), rcLen(0), rcStr("f"), rcStr("v"), rcLen(1700000000000), rcStr("g"), rcStr("w"))},
		{"hash listpack-ex pre-GA", TypeHashListpackExPreGA, blob},
		{"hash metadata", TypeHashMetadata, rcCat(rcU64(1700000000000), rcLen(2), rcLen(0), rcStr("f"), rcStr("v"), rcLen(5), rcStr("g"), rcStr("w"))},
		{"hash listpack-ex", TypeHashListpackEx, rcCat(rcU64(1700000000000), blob)},
	}
}

// rcAllFile is a version-12 file with every record kind and every value.
func rcAllFile() []byte {
	b := rcHeader("REDIS", 12)
	b = append(b, OpAux)
	b = append(b, rcCat(rcStr("redis-ver"), rcStr("7.4.0"))...)
	b = append(b, OpAux)
	b = append(b, rcCat(rcStr("redis-bits"), []byte{0xC0, 64})...)
	b = append(b, OpModuleAux)
	b = append(b, rcCat(rcLen(uint64(0x2a)<<10|1), rcLen(ModuleOpUInt), rcLen(2), rcLen(ModuleOpString), rcStr("aux"), rcLen(ModuleOpEOF))...)
	b = append(b, OpFunction2)
	b = append(b, rcStr("#!lua name=lib\nredis.register_function('f', function() return 1 end)")...)
	b = append(b, OpFunctionPreGA)
	b = append(b, rcCat(rcStr("lib2"), rcStr("LUA"), rcLen(1), rcStr("desc"), rcStr("return 2"))...)
	b = append(b, OpSelectDB, 0)
	b = append(b, OpResizeDB)
	b = append(b, rcCat(rcLen(40), rcLen(3))...)
	b = append(b, OpSlotInfo)
	b = append(b, rcCat(rcLen(100), rcLen(40), rcLen(3))...)
	for i, v := range rcValues() {
		switch i % 4 {
		case 1:
			b = append(b, OpExpireTimeMs)
			b = append(b, rcU64(1700000000000+uint64(i))...)
		case 2:
			b = append(b, OpExpireTime)
			b = binary.LittleEndian.AppendUint32(b, 1700000000)
			b = append(b, OpIdle)
			b = append(b, rcLen(12345)...)
		case 3:
			b = append(b, OpFreq, 9)
		}
		b = append(b, v.typ)
		if i%5 == 4 {
			b = append(b, 0xC1, byte(i), 0) // an int-encoded key
		} else {
			b = append(b, rcStr("key:"+v.name)...)
		}
		b = append(b, v.value...)
	}
	b = append(b, OpSelectDB, 3)
	b = append(b, TypeString)
	b = append(b, rcLZF(strings.Repeat("compressed-key-", 5))...)
	b = append(b, rcStr("v")...)
	return rcFinish(b, 12)
}

// rcReadAll reads every record; it returns them and the final error.
func rcReadAll(t testing.TB, src io.Reader, opts ...ReaderOption) ([]Record, *Reader, error) {
	t.Helper()
	r := NewReader(src, opts...)
	var recs []Record
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return recs, r, err
		}
		if i > 1<<22 {
			t.Fatal("reader does not end")
		}
		recs = append(recs, rec)
	}
}

// rcRewrite writes the records back (identity) and returns the bytes.
func rcRewrite(t testing.TB, recs []Record, opts ...WriterOption) []byte {
	t.Helper()
	var out bytes.Buffer
	h := recs[0].(*Header)
	w := NewWriter(&out, h.Version, append([]WriterOption{WithMagic(h.Magic)}, opts...)...)
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatalf("write %T at %d: %v", rec, rec.Offset(), err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReaderEveryType(t *testing.T) {
	big := rcValue{"string 5000", TypeString, rcStr(strings.Repeat("b", 5000))}
	for _, v := range append(rcValues(), big) {
		t.Run(v.name, func(t *testing.T) {
			b := rcHeader("REDIS", 12)
			b = append(b, OpSelectDB, 2, v.typ)
			b = append(b, rcStr("the-key")...)
			valueAt := len(b)
			b = append(b, v.value...)
			b = rcFinish(b, 12)
			for _, skip := range []bool{false, true} {
				var opts []ReaderOption
				if skip {
					opts = append(opts, SkipValues())
				}
				recs, r, err := rcReadAll(t, bytes.NewReader(b), opts...)
				if err != nil {
					t.Fatalf("skip=%v: %v", skip, err)
				}
				if len(recs) != 3 {
					t.Fatalf("got %d records, want header, selectdb, entry", len(recs))
				}
				e, ok := recs[2].(*Entry)
				if !ok {
					t.Fatalf("record 2 is %T", recs[2])
				}
				if string(e.Key) != "the-key" || e.Type != v.typ || e.DB != 2 || e.ExpireMs != -1 || e.Idle != -1 || e.Freq != -1 {
					t.Fatalf("entry %+v", e)
				}
				if e.ValueLen != int64(len(v.value)) {
					t.Fatalf("ValueLen %d, want %d", e.ValueLen, len(v.value))
				}
				if skip {
					if e.Value != nil {
						t.Fatal("SkipValues kept the value")
					}
				} else if !bytes.Equal(e.Value, v.value) {
					t.Fatalf("Value %x, want %x", e.Value, v.value)
				} else if adjacent := uintptr(unsafe.Pointer(&e.Key[len(e.Key)-1]))+1 == uintptr(unsafe.Pointer(&e.Value[0])); adjacent != (len(e.Value) <= keepKeyAlone) {
					t.Fatalf("Key shares the value's allocation: %v (value of %d bytes)", adjacent, len(e.Value))
				}
				if e.Offset() != 11 {
					t.Fatalf("entry offset %d", e.Offset())
				}
				if r.Checksum().Status != ChecksumOK {
					t.Fatalf("checksum %+v", r.Checksum())
				}
				if r.Offset() != int64(len(b)) {
					t.Fatalf("offset %d of %d", r.Offset(), len(b))
				}
				if !skip {
					if out := rcRewrite(t, recs); !bytes.Equal(out, b) {
						t.Fatalf("rewrite differs:\n got %x\nwant %x", out, b)
					}
				}
			}
			// one byte short inside the value: an error naming the key
			short := append(append([]byte{}, b[:valueAt+len(v.value)-1]...), 0xff)
			_, _, err := rcReadAll(t, bytes.NewReader(short))
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("short value: %v", err)
			}
		})
	}
}

func TestReaderRecordKinds(t *testing.T) {
	b := rcAllFile()
	recs, r, err := rcReadAll(t, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h := recs[0].(*Header)
	if h.Magic != "REDIS" || h.Version != 12 || r.Header() != h {
		t.Fatalf("header %+v", h)
	}
	a := recs[1].(*Aux)
	if string(a.Key) != "redis-ver" || string(a.Value) != "7.4.0" {
		t.Fatalf("aux %q=%q", a.Key, a.Value)
	}
	if a := recs[2].(*Aux); string(a.Key) != "redis-bits" || string(a.Value) != "64" {
		t.Fatalf("int aux %q=%q", a.Key, a.Value)
	}
	m := recs[3].(*ModuleAux)
	if m.ModuleID != 0x2a<<10|1 || m.Raw[len(m.Raw)-1] != 0 {
		t.Fatalf("module aux %+v", m)
	}
	f := recs[4].(*Function)
	if f.Opcode != OpFunction2 || !strings.HasPrefix(string(f.Code), "#!lua name=lib") {
		t.Fatalf("function %+v", f)
	}
	f = recs[5].(*Function)
	if f.Opcode != OpFunctionPreGA || string(f.Name) != "lib2" || string(f.Engine) != "LUA" || string(f.Desc) != "desc" || string(f.Code) != "return 2" {
		t.Fatalf("pre-GA function %+v", f)
	}
	if s := recs[6].(*SelectDB); s.DB != 0 {
		t.Fatalf("selectdb %+v", s)
	}
	if z := recs[7].(*ResizeDB); z.DBSize != 40 || z.ExpiresSize != 3 {
		t.Fatalf("resizedb %+v", z)
	}
	if s := recs[8].(*SlotInfo); s.Slot != 100 || s.SlotSize != 40 || s.ExpiresSlotSize != 3 {
		t.Fatalf("slotinfo %+v", s)
	}
	vals := rcValues()
	for i, v := range vals {
		e := recs[9+i].(*Entry)
		wantKey := "key:" + v.name
		if i%5 == 4 {
			wantKey = strconv.Itoa(i)
		}
		if string(e.Key) != wantKey || e.Type != v.typ || !bytes.Equal(e.Value, v.value) {
			t.Fatalf("entry %d: key %q type %d", i, e.Key, e.Type)
		}
		switch i % 4 {
		case 0:
			if e.ExpireMs != -1 || e.Idle != -1 || e.Freq != -1 {
				t.Fatalf("entry %d: %+v", i, e)
			}
		case 1:
			if e.ExpireMs != 1700000000000+int64(i) || e.ExpireSeconds || !e.HasExpiry() {
				t.Fatalf("entry %d: expire %d", i, e.ExpireMs)
			}
		case 2:
			if e.ExpireMs != 1700000000000 || !e.ExpireSeconds || e.Idle != 12345 {
				t.Fatalf("entry %d: expire %d idle %d", i, e.ExpireMs, e.Idle)
			}
		case 3:
			if e.Freq != 9 || e.ExpireMs != -1 {
				t.Fatalf("entry %d: freq %d", i, e.Freq)
			}
		}
	}
	sel := recs[9+len(vals)].(*SelectDB)
	last := recs[10+len(vals)].(*Entry)
	if sel.DB != 3 || last.DB != 3 || string(last.Key) != strings.Repeat("compressed-key-", 5) || string(last.Value) != "\x01v" {
		t.Fatalf("last entry %+v", last)
	}
	if len(recs) != 11+len(vals) {
		t.Fatalf("%d records", len(recs))
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, b) {
		t.Fatal("identity rewrite differs")
	}
}

func TestReaderValkey(t *testing.T) {
	b := rcHeader("VALKEY", 80)
	if string(b) != "VALKEY080" {
		t.Fatalf("header %q", b)
	}
	b = append(b, OpAux)
	b = append(b, rcCat(rcStr("valkey-ver"), rcStr("9.0.0"))...)
	b = append(b, opSlotImport)
	b = append(b, rcCat(rcStr("job-1"), rcLen(2), rcLen(0), rcLen(100), rcLen(200), rcLen(300))...)
	b = append(b, OpSelectDB, 0, OpSlotInfo, 5, 1, 0)
	hash2 := rcCat(rcLen(2), rcStr("f"), rcStr("v"), rcU64(math.MaxUint64), rcStr("g"), rcStr("w"), rcU64(1800000000000))
	b = append(b, TypeHashMetadataPreGA)
	b = append(b, rcStr("h")...)
	b = append(b, hash2...)
	b = rcFinish(b, 80)
	recs, r, err := rcReadAll(t, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if h := recs[0].(*Header); h.Magic != "VALKEY" || h.Version != 80 {
		t.Fatalf("header %+v", h)
	}
	if _, ok := recs[2].(*SlotImport); !ok {
		t.Fatalf("record 2 is %T", recs[2])
	}
	e := recs[5].(*Entry)
	if !bytes.Equal(e.Value, hash2) || r.Checksum().Status != ChecksumOK {
		t.Fatalf("hash2 %x", e.Value)
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, b) {
		t.Fatal("valkey rewrite differs")
	}
	// opcode 243 means something else in a REDIS file
	rb := append(rcHeader("REDIS", 12), b[9:]...)
	_, _, err = rcReadAll(t, bytes.NewReader(rb))
	if !errors.Is(err, ErrUnknownOpcode) {
		t.Fatalf("243 in a REDIS file: %v", err)
	}
}

func TestReaderErrors(t *testing.T) {
	good := rcAllFile()
	entryFile := func(typ byte, key string, value []byte) []byte {
		b := rcHeader("REDIS", 12)
		b = append(b, OpSelectDB, 0, typ)
		b = append(b, rcStr(key)...)
		b = append(b, value...)
		return rcFinish(b, 12)
	}
	flipped := append([]byte{}, good...)
	flipped[len(flipped)-20] ^= 0x40 // inside the last value: structure intact, checksum wrong
	cases := []struct {
		name    string
		in      []byte
		kind    error
		offset  int64
		key     string
		message string
	}{
		{"magic", []byte("RADIS0009\xff"), ErrMagic, 0, "", "bad magic"},
		{"magic short", []byte("XY"), ErrMagic, 0, "", ""},
		{"empty", nil, ErrTruncated, 0, "", ""},
		{"version 14", rcFinish([]byte("REDIS0014"), 14), ErrVersion, 0, "", "14"},
		{"version 0", []byte("REDIS0000\xff"), ErrVersion, 0, "", ""},
		{"version letters", []byte("REDIS00x1\xff"), ErrVersion, 0, "", ""},
		{"valkey 12", rcFinish([]byte("VALKEY012"), 12), ErrVersion, 0, "", ""},
		{"unknown type", entryFile(42, "k", nil), ErrUnknownType, 11, "", "unknown value type 42"},
		{"type 8", entryFile(8, "k", nil), ErrUnknownType, 11, "", ""},
		{"type 26", entryFile(26, "k", nil), ErrUnknownType, 11, "", ""},
		{"type 6", entryFile(TypeModule, "k", nil), ErrUnknownType, 11, "", "pre-release module"},
		{"unknown opcode", entryFile(opSlotImport, "k", nil), ErrUnknownOpcode, 11, "", "unknown opcode 243"},
		{"string past end", entryFile(TypeString, "kk", rcCat([]byte{0x80, 0x7f, 0, 0, 0}, []byte("abc"))), ErrLength, -1, "kk", ""},
		{"list count past end", rcCat(rcHeader("REDIS", 12), []byte{OpSelectDB, 0, TypeList}, rcStr("kl"), rcLen(1000), rcStr("a")), ErrTruncated, 19, "kl", ""},
		{"lzf key claims", rcFinish(rcCat(rcHeader("REDIS", 12), []byte{OpSelectDB, 0, TypeString, 0xC3, 0x02, 0x7f, 0xff, 0x00, 0x61}, rcStr("v")), 12), ErrCorrupt, -1, "", "LZF string claims 16383 bytes"},
		{"checksum", flipped, ErrChecksum, int64(len(good) - 8), "", "checksum mismatch"},
		{"bad length encoding", entryFile(TypeString, "kb", []byte{0x82, 0, 0}), ErrCorrupt, -1, "kb", "bad length encoding 0x82"},
		{"bad string encoding", entryFile(TypeString, "ke", []byte{0xC7}), ErrCorrupt, -1, "ke", "unknown string encoding 7"},
		{"quicklist container", entryFile(TypeListQuicklist2, "kq", rcCat(rcLen(1), rcLen(3), rcStr("x"))), ErrCorrupt, -1, "kq", "container 3"},
		{"module opcode", entryFile(TypeModule2, "km", rcCat(rcLen(99), rcLen(9))), ErrCorrupt, -1, "km", "module field opcode 9"},
		{"expire then opcode", rcFinish(rcCat(rcHeader("REDIS", 12), []byte{OpExpireTimeMs}, rcU64(1), []byte{OpAux}), 12), ErrCorrupt, 18, "", ""},
		{"module aux when", rcFinish(rcCat(rcHeader("REDIS", 12), []byte{OpModuleAux}, rcLen(5), rcLen(ModuleOpString)), 12), ErrCorrupt, -1, "", ""},
		{"missing eof", rcHeader("REDIS", 12), ErrTruncated, 9, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, src := range []func() io.Reader{
				func() io.Reader { return bytes.NewReader(c.in) },
				func() io.Reader { return iotest.OneByteReader(bytes.NewReader(c.in)) },
			} {
				_, r, err := rcReadAll(t, src())
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.Is(err, c.kind) {
					t.Fatalf("error %v is not %v", err, c.kind)
				}
				var re *Error
				if !errors.As(err, &re) {
					t.Fatalf("error %T is not *rdb.Error", err)
				}
				if c.offset >= 0 && re.Offset != c.offset {
					t.Fatalf("offset %d, want %d (%v)", re.Offset, c.offset, err)
				}
				if c.key != "" && string(re.Key) != c.key {
					t.Fatalf("key %q, want %q (%v)", re.Key, c.key, err)
				}
				if !strings.Contains(err.Error(), c.message) || !strings.HasPrefix(err.Error(), "offset ") {
					t.Fatalf("message %q lacks %q", err.Error(), c.message)
				}
				// the error sticks
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("second Next: %v", err2)
				}
			}
		})
	}
}

func TestReaderErrorFormat(t *testing.T) {
	e := &Error{Offset: 1234, Key: []byte("foo"), Err: errorsJoin(ErrUnknownType, " 42")}
	if got := e.Error(); got != `offset 1234, key "foo": unknown value type 42` {
		t.Fatalf("%q", got)
	}
	if !errors.Is(e, ErrUnknownType) || errors.Is(e, ErrCorrupt) {
		t.Fatal("errors.Is")
	}
	e = &Error{Offset: 7, Err: ErrTruncated}
	if got := e.Error(); got != "offset 7: unexpected end of input" {
		t.Fatalf("%q", got)
	}
}

type rcSuffixErr struct {
	kind   error
	suffix string
}

func (e rcSuffixErr) Error() string { return e.kind.Error() + e.suffix }
func (e rcSuffixErr) Unwrap() error { return e.kind }
func errorsJoin(kind error, suffix string) error {
	return rcSuffixErr{kind, suffix}
}

func TestReaderChecksumStatus(t *testing.T) {
	b := rcAllFile()
	zero := append([]byte{}, b...)
	copy(zero[len(zero)-8:], make([]byte, 8))
	_, r, err := rcReadAll(t, bytes.NewReader(zero))
	if err != nil || r.Checksum().Status != ChecksumZero || r.Checksum().Computed == 0 {
		t.Fatalf("zero checksum: %v %+v", err, r.Checksum())
	}
	recs, _, _ := rcReadAll(t, bytes.NewReader(zero))
	if out := rcRewrite(t, recs, WithoutChecksum()); !bytes.Equal(out, zero) {
		t.Fatal("rewrite WithoutChecksum differs")
	}

	bad := append([]byte{}, b...)
	bad[len(bad)-1] ^= 1
	_, r, err = rcReadAll(t, bytes.NewReader(bad), IgnoreChecksum())
	if err != nil || r.Checksum().Status != ChecksumMismatch || r.Checksum().Stored == r.Checksum().Computed {
		t.Fatalf("ignored mismatch: %v %+v", err, r.Checksum())
	}
	_, r, err = rcReadAll(t, bytes.NewReader(b))
	if err != nil || r.Checksum().Status != ChecksumOK || r.Checksum().Stored != binary.LittleEndian.Uint64(b[len(b)-8:]) {
		t.Fatalf("ok: %v %+v", err, r.Checksum())
	}
	old := rcFinish(rcCat(rcHeader("REDIS", 4), []byte{OpSelectDB, 0, TypeString}, rcStr("k"), rcStr("v")), 4)
	recs, r, err = rcReadAll(t, bytes.NewReader(old))
	if err != nil || r.Checksum().Status != ChecksumAbsent || len(recs) != 3 {
		t.Fatalf("v4: %v %+v", err, r.Checksum())
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, old) {
		t.Fatal("v4 rewrite differs")
	}
	if ChecksumZero.String() == "" || ChecksumStatus(99).String() == "" {
		t.Fatal("String")
	}
}

// TestReaderEveryPrefix: every truncation of a valid file is an
// ErrTruncated error, never a panic or a silent success, whatever the
// source and the buffer size.
func TestReaderEveryPrefix(t *testing.T) {
	b := rcAllFile()
	for n := 0; n < len(b); n++ {
		for mode := 0; mode < 5; mode++ {
			var src io.Reader = bytes.NewReader(b[:n])
			opts := []ReaderOption{}
			switch mode {
			case 1:
				src = iotest.HalfReader(src) // size unknown
				opts = append(opts, readerBuffer(4096))
			case 2:
				opts = append(opts, SkipValues(), readerBuffer(16))
			case 3:
				src = iotest.DataErrReader(iotest.OneByteReader(src))
				opts = append(opts, readerBuffer(17))
			case 4:
				src = iotest.HalfReader(src)
				opts = append(opts, readerFeed(true), readerBuffer(20))
			}
			_, _, err := rcReadAll(t, src, opts...)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix %d mode %d: %v", n, mode, err)
			}
		}
	}
}

// TestReaderFlippedBytes: no byte change of a valid file panics.
func TestReaderFlippedBytes(t *testing.T) {
	b := rcAllFile()
	for i := 9; i < len(b); i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := append([]byte{}, b...)
			c[i] ^= x
			rcReadAll(t, bytes.NewReader(c))
			rcReadAll(t, bytes.NewReader(c), SkipValues(), readerBuffer(16))
		}
	}
}

// rcErrReader fails with a non-EOF error after n bytes.
type rcErrReader struct {
	r   io.Reader
	n   int
	err error
}

func (e *rcErrReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	if len(p) > e.n {
		p = p[:e.n]
	}
	m, err := e.r.Read(p)
	e.n -= m
	return m, err
}

func TestReaderSourceError(t *testing.T) {
	b := rcAllFile()
	boom := errors.New("disk on fire")
	_, _, err := rcReadAll(t, &rcErrReader{r: bytes.NewReader(b), n: 100, err: boom})
	var re *Error
	if !errors.Is(err, boom) || !errors.As(err, &re) || re.Offset > 100 {
		t.Fatalf("%v", err)
	}
}

// rcCaseFiles lists the real RDB files available to tests: the hdt3213/rdb
// cases (old Redis versions) and the committed corpus.
func rcCaseFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hdt3213/rdb").Output()
	if err == nil {
		dir := strings.TrimSpace(string(out))
		m, _ := filepath.Glob(filepath.Join(dir, "cases", "*.rdb"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Errorf("hdt3213/rdb cases not found (go list: %v)", err)
	}
	m, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.rdb"))
	files = append(files, m...)
	if _, err := os.Stat(filepath.Join("..", "testdata", "dump.rdb")); err == nil {
		files = append(files, filepath.Join("..", "testdata", "dump.rdb"))
	}
	return files
}

// TestIdentityRealFiles: every real file reads without error and writes back
// byte for byte, with any buffer size and any source.
func TestIdentityRealFiles(t *testing.T) {
	files := rcCaseFiles(t)
	if len(files) < 20 {
		t.Fatalf("only %d real files found", len(files))
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bufSize := range []int{0, 16, 100, 4096} {
			var opts []ReaderOption
			if bufSize > 0 {
				opts = append(opts, readerBuffer(bufSize))
			}
			opts = append(opts, readerFeed(bufSize == 0 || bufSize == 100))
			var src io.Reader = bytes.NewReader(in)
			if bufSize == 100 {
				src = iotest.HalfReader(src)
			}
			recs, r, err := rcReadAll(t, src, opts...)
			if err != nil {
				t.Fatalf("%s (buffer %d): %v", f, bufSize, err)
			}
			if r.Offset() != int64(len(in)) {
				t.Fatalf("%s: read %d of %d bytes", f, r.Offset(), len(in))
			}
			var wopts []WriterOption
			if r.Checksum().Status == ChecksumZero {
				wopts = append(wopts, WithoutChecksum())
			}
			if out := rcRewrite(t, recs, wopts...); !bytes.Equal(out, in) {
				t.Fatalf("%s: identity rewrite differs (buffer %d)", f, bufSize)
			}
			// SkipValues sees the same entries with the same lengths
			srecs, _, err := rcReadAll(t, bytes.NewReader(in), append(opts, SkipValues())...)
			if err != nil || len(srecs) != len(recs) {
				t.Fatalf("%s: SkipValues: %v (%d vs %d records)", f, err, len(srecs), len(recs))
			}
			for i := range recs {
				if e, ok := recs[i].(*Entry); ok {
					s := srecs[i].(*Entry)
					if !bytes.Equal(e.Key, s.Key) || e.ValueLen != s.ValueLen || e.Type != s.Type || e.ExpireMs != s.ExpireMs || e.DB != s.DB {
						t.Fatalf("%s: entry %q differs with SkipValues", f, e.Key)
					}
				}
			}
		}
	}
}

// TestReaderFromFile reads from an *os.File (size known from Stat).
func TestReaderFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.rdb")
	b := rcAllFile()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := sourceSize(f); got != int64(len(b)) {
		t.Fatalf("size %d", got)
	}
	recs, _, err := rcReadAll(t, f)
	if err != nil || !bytes.Equal(rcRewrite(t, recs), b) {
		t.Fatal(err)
	}
	// a length beyond the file's end is caught before reading
	big := rcFinish(rcCat(rcHeader("REDIS", 12), []byte{OpSelectDB, 0, TypeString}, rcStr("k"), []byte{0x81, 0, 0, 1, 0, 0, 0, 0, 0}), 12)
	_, _, err = rcReadAll(t, bytes.NewReader(big))
	if !errors.Is(err, ErrLength) || !errors.Is(err, ErrTruncated) {
		t.Fatalf("huge length: %v", err)
	}
}

// TestReaderNoHugeAllocation: lengths claiming far more than the input
// holds never make the Reader allocate them, whether the input's size is
// known or not.
func TestReaderNoHugeAllocation(t *testing.T) {
	claims := [][]byte{
		{0x81, 0, 0, 0, 0x40, 0, 0, 0, 0},                         // a 256 GiB string
		{0x80, 0x7f, 0xff, 0xff, 0xff},                            // a 2 GiB string
		{0xC3, 0x80, 0x7f, 0, 0, 0, 0x80, 0x7f, 0xff, 0xff, 0xff}, // LZF 2 GiB from 2 GiB
	}
	for i, c := range claims {
		for _, key := range []bool{false, true} {
			b := rcCat(rcHeader("REDIS", 12), []byte{OpSelectDB, 0, TypeString})
			if key {
				b = append(b, c...) // the key claims it
			} else {
				b = append(b, rcStr("k")...)
				b = append(b, c...)
			}
			b = append(b, bytes.Repeat([]byte{'x'}, 100)...)
			for _, half := range []bool{false, true} {
				var src io.Reader = bytes.NewReader(b)
				if half {
					src = iotest.HalfReader(src)
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				_, _, err := rcReadAll(t, src)
				runtime.ReadMemStats(&after)
				if err == nil {
					t.Fatalf("claim %d accepted", i)
				}
				if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
					t.Fatalf("claim %d (key %v, size unknown %v): allocated %d bytes for a %d-byte input", i, key, half, grew, len(b))
				}
			}
		}
	}
}
