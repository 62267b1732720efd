package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// Tests of SkipValueIf: the values it chooses are skipped by their
// structure (Value nil, ValueLen right, ValueSkipped), everything else
// reads as without the option, the checksum covers the skipped bytes, and
// a damaged input fails with the same *Error.

// swEntry is what a test keeps of an entry (the Reader may reuse it).
type swEntry struct {
	db            int
	key           string
	typ           byte
	exp, idle     int64
	secs          bool
	freq          int
	value         []byte // nil when skipped
	valueLen      int64
	skipped       bool
	encoding      string
	rawKey, prefx string
}

func swKeep(e *Entry) swEntry {
	s := swEntry{db: e.DB, key: string(e.Key), typ: e.Type, exp: e.ExpireMs, secs: e.ExpireSeconds, idle: e.Idle,
		freq: e.Freq, valueLen: e.ValueLen, skipped: e.ValueSkipped(), encoding: e.Encoding(),
		rawKey: string(e.rawKey), prefx: string(e.prefix)}
	if e.Value != nil {
		s.value = bytes.Clone(e.Value)
	}
	return s
}

// swMeta is an entry's key and prefix, as the SkipValueIf function sees them.
func swMeta(s swEntry) string {
	return fmt.Sprintf("db%d %q type %d exp %d/%v idle %d freq %d", s.db, s.key, s.typ, s.exp, s.secs, s.idle, s.freq)
}

// swRead reads src with SkipValueIf skipping entry i (in file order) when
// skip(i) says so; it returns the records (entries as swEntry, the others
// by type), what the function saw, the Reader and the final error.
func swRead(t testing.TB, src io.Reader, skip func(i int) bool, opts ...ReaderOption) (recs []any, seen []string, r *Reader, err error) {
	t.Helper()
	calls := 0
	f := func(e *Entry) bool {
		if e.Value != nil || e.ValueLen != 0 || e.ValueSkipped() {
			t.Errorf("SkipValueIf saw entry %q with a value (%d bytes, ValueLen %d)", e.Key, len(e.Value), e.ValueLen)
		}
		seen = append(seen, swMeta(swKeep(e)))
		calls++
		return skip(calls - 1)
	}
	r = NewReader(src, append(opts, SkipValueIf(f))...)
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return recs, seen, r, err
		}
		if i > 1<<22 {
			t.Fatal("reader does not end")
		}
		if e, ok := rec.(*Entry); ok {
			recs = append(recs, swKeep(e))
		} else {
			recs = append(recs, fmt.Sprintf("%T", rec))
		}
	}
}

// swPlain reads src without the option, in the same form.
func swPlain(t testing.TB, src io.Reader, opts ...ReaderOption) ([]any, *Reader, error) {
	t.Helper()
	recs, _, r, err := swRead(t, src, func(int) bool { return false }, opts...)
	return recs, r, err
}

// swCompare checks got (read with skip) against want (read whole).
func swCompare(t testing.TB, got, want []any, seen []string, skip func(i int) bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records with SkipValueIf, %d without", len(got), len(want))
	}
	n := 0
	for i := range want {
		w, ok := want[i].(swEntry)
		if !ok {
			if got[i] != want[i] {
				t.Fatalf("record %d: %v with SkipValueIf, %v without", i, got[i], want[i])
			}
			continue
		}
		g, ok := got[i].(swEntry)
		if !ok {
			t.Fatalf("record %d: %v with SkipValueIf, an entry without", i, got[i])
		}
		if n >= len(seen) || seen[n] != swMeta(w) {
			t.Fatalf("entry %d: SkipValueIf saw %q, want %q", n, seen, swMeta(w))
		}
		if swMeta(g) != swMeta(w) || g.rawKey != w.rawKey || g.prefx != w.prefx {
			t.Fatalf("entry %d: %s, without the option %s", n, swMeta(g), swMeta(w))
		}
		if g.valueLen != int64(len(w.value)) || w.valueLen != int64(len(w.value)) {
			t.Fatalf("entry %d %q: ValueLen %d, want %d", n, g.key, g.valueLen, len(w.value))
		}
		if g.encoding != w.encoding {
			t.Fatalf("entry %d %q: encoding %q, want %q", n, g.key, g.encoding, w.encoding)
		}
		if skip(n) {
			if !g.skipped || g.value != nil {
				t.Fatalf("entry %d %q: not skipped (ValueSkipped %v, %d value bytes)", n, g.key, g.skipped, len(g.value))
			}
		} else if g.skipped || !bytes.Equal(g.value, w.value) {
			t.Fatalf("entry %d %q: ValueSkipped %v, value %x, want %x", n, g.key, g.skipped, g.value, w.value)
		}
		n++
	}
	if n != len(seen) {
		t.Fatalf("SkipValueIf called %d times for %d entries", len(seen), n)
	}
}

// swModes are the Reader's ways of reading: in memory, tiny buffer, the
// background feeder with an input of unknown size, buffers reused.
var swModes = []struct {
	name string
	opts []ReaderOption
	half bool
}{
	{"default", nil, false},
	{"buf16", []ReaderOption{readerBuffer(16)}, false},
	{"feeder", []ReaderOption{readerFeed(true), readerBuffer(16)}, true},
	{"reuse", []ReaderOption{ReuseBuffers(), readerBuffer(16)}, false},
	{"reuse-feeder", []ReaderOption{ReuseBuffers(), readerFeed(true), readerBuffer(64)}, true},
}

func swSrc(data []byte, half bool) io.Reader {
	var src io.Reader = bytes.NewReader(data)
	if half {
		src = iotest.HalfReader(src)
	}
	return src
}

// swSkips: which entries to skip.
var swSkips = map[string]func(int) bool{
	"all":  func(int) bool { return true },
	"odd":  func(i int) bool { return i%2 == 1 },
	"even": func(i int) bool { return i%2 == 0 },
}

func TestSkipValueIfEveryType(t *testing.T) {
	data := rcAllFile()
	want, wr, err := swPlain(t, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range swModes {
		for name, skip := range swSkips {
			got, seen, r, err := swRead(t, swSrc(data, m.half), skip, m.opts...)
			if err != nil {
				t.Fatalf("%s/%s: %v", m.name, name, err)
			}
			swCompare(t, got, want, seen, skip)
			// the checksum covers the skipped bytes
			if r.Checksum() != wr.Checksum() || r.Checksum().Status != ChecksumOK || r.Offset() != int64(len(data)) {
				t.Fatalf("%s/%s: checksum %+v at %d, want %+v at %d", m.name, name, r.Checksum(), r.Offset(), wr.Checksum(), len(data))
			}
		}
	}
}

// A value changed where only the checksum tells: the skipped bytes are in
// the CRC, so the mismatch is found as without the option.
func TestSkipValueIfChecksum(t *testing.T) {
	b := rcHeader("REDIS", 11)
	b = append(b, OpSelectDB, 0, TypeString)
	b = append(b, rcStr("fpg:1")...)
	at := len(b) + 5
	b = append(b, rcStr(strings.Repeat("bitfile ", 4000))...)
	b = append(b, TypeString)
	b = append(b, rcStr("k")...)
	b = append(b, rcStr("v")...)
	good := rcFinish(b, 11)
	bad := bytes.Clone(good)
	bad[at] ^= 0x20
	for _, m := range swModes {
		_, seen, r, err := swRead(t, swSrc(good, m.half), swSkips["all"], m.opts...)
		if err != nil || r.Checksum().Status != ChecksumOK || len(seen) != 2 {
			t.Fatalf("%s: good file: %v, %+v, %d entries", m.name, err, r.Checksum(), len(seen))
		}
		_, _, _, err = swRead(t, swSrc(bad, m.half), swSkips["all"], m.opts...)
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("%s: a changed byte in a skipped value: %v, want a checksum mismatch", m.name, err)
		}
		_, _, werr := swPlain(t, swSrc(bad, m.half), m.opts...)
		if werr == nil || err.Error() != werr.Error() {
			t.Fatalf("%s: %v, without the option %v", m.name, err, werr)
		}
		// IgnoreChecksum: the same stored and computed sums
		_, _, r, err = swRead(t, swSrc(bad, m.half), swSkips["all"], append(m.opts, IgnoreChecksum())...)
		_, wr, werr := swPlain(t, swSrc(bad, m.half), append(m.opts, IgnoreChecksum())...)
		if err != nil || werr != nil || r.Checksum() != wr.Checksum() || r.Checksum().Status != ChecksumMismatch {
			t.Fatalf("%s: IgnoreChecksum: %v %+v, without the option %v %+v", m.name, err, r.Checksum(), werr, wr.Checksum())
		}
	}
}

// swSameError reads data with every value skipped and without the option,
// and requires the same outcome: the same records up to the same error
// (offset, key, message).
func swSameError(t *testing.T, what string, data []byte, skip func(int) bool) {
	t.Helper()
	for _, m := range swModes {
		got, seen, _, err := swRead(t, swSrc(data, m.half), skip, m.opts...)
		want, _, werr := swPlain(t, swSrc(data, m.half), m.opts...)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%s, %s: %v, without the option %v", what, m.name, err, werr)
		}
		if err != nil {
			var re, wre *Error
			if !errors.As(err, &re) || !errors.As(werr, &wre) {
				t.Fatalf("%s, %s: %T %v is not an *rdb.Error", what, m.name, err, err)
			}
			// A 32-bit build refuses a length beyond maxAlloc as soon as
			// it would capture it; a skipped value is never captured, so
			// the same length reads on until it runs past the end.
			tooLarge := errors.Is(werr, ErrLength) && errors.Is(err, ErrLength) &&
				strings.Contains(werr.Error(), "build holds in one piece") && bytes.Equal(re.Key, wre.Key)
			if !tooLarge && (re.Offset != wre.Offset || !bytes.Equal(re.Key, wre.Key) || (re.Key == nil) != (wre.Key == nil) || err.Error() != werr.Error()) {
				t.Fatalf("%s, %s: %v (key %q), without the option %v (key %q)", what, m.name, err, re.Key, werr, wre.Key)
			}
			// the entries before the damage are read alike; the damaged
			// one may have been offered to the function
			seen = seen[:min(swEntries(want), len(seen))]
		}
		swCompare(t, got, want, seen, skip)
	}
}

func TestSkipValueIfTruncated(t *testing.T) {
	data := rcAllFile()
	for cut := 9; cut < len(data); cut++ {
		swSameError(t, fmt.Sprintf("cut at %d", cut), data[:cut], swSkips["all"])
	}
}

func TestSkipValueIfDamaged(t *testing.T) {
	data := rcAllFile()
	rng := rand.New(rand.NewSource(7))
	for at := 9; at < len(data); at++ {
		bad := bytes.Clone(data)
		bad[at] ^= byte(1 << rng.Intn(8))
		swSameError(t, fmt.Sprintf("byte %d changed", at), bad, swSkips["odd"])
		bad[at] = 0xff
		swSameError(t, fmt.Sprintf("byte %d = 0xff", at), bad, swSkips["all"])
	}
	// a length inside a skipped value that runs past the end, in a big file
	// read through the feeder (the span is checked against the input)
	b := rcHeader("REDIS", 11)
	b = append(b, OpSelectDB, 0, TypeList)
	b = append(b, rcStr("fpg:list")...)
	b = append(b, rcLen(3)...)
	b = append(b, rcStr(strings.Repeat("x", 3<<20))...)
	b = append(b, rcLen(64<<20)...) // past the end, within a 32-bit build's maxAlloc
	b = append(b, strings.Repeat("y", 1<<20)...)
	swSameError(t, "list element longer than the input", b, swSkips["all"])
}

// The Writer refuses a skipped entry (a record without its value would
// not load) until it gets a value again.
func TestSkipValueIfWriterRefuses(t *testing.T) {
	r := NewReader(bytes.NewReader(rcAllFile()), SkipValueIf(func(e *Entry) bool { return true }))
	var w bytes.Buffer
	wr := NewWriter(&w, 12)
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e, ok := rec.(*Entry)
		if !ok {
			continue
		}
		n++
		if !e.ValueSkipped() || e.Value != nil || e.ValueLen <= 0 {
			t.Fatalf("entry %q: ValueSkipped %v, %d value bytes, ValueLen %d", e.Key, e.ValueSkipped(), len(e.Value), e.ValueLen)
		}
		if err := wr.flush(); err != nil {
			t.Fatal(err)
		}
		before := w.Len()
		err = wr.WriteEntry(e)
		if err == nil || !strings.Contains(err.Error(), "skipped") || !strings.Contains(err.Error(), string(e.Key)) {
			t.Fatalf("WriteEntry of skipped entry %q: %v", e.Key, err)
		}
		if err := wr.flush(); err != nil || w.Len() != before {
			t.Fatalf("WriteEntry of skipped entry %q wrote %d bytes (%v)", e.Key, w.Len()-before, err)
		}
		e.Value = []byte{0xC0, 7} // int-encoded 7: a value again
		if e.ValueSkipped() {
			t.Fatal("ValueSkipped with a value assigned")
		}
		if e.Type == TypeString {
			if err := wr.WriteEntry(e); err != nil {
				t.Fatalf("WriteEntry with a new value: %v", err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no entries")
	}
}

// A big skipped value is never held: reading it costs far less memory
// than its size, whether the input's size is known or not.
func TestSkipValueIfBigValueMemory(t *testing.T) {
	const size = 32 << 20
	b := rcHeader("REDIS", 11)
	b = append(b, OpSelectDB, 0, TypeString)
	b = append(b, rcStr("small")...)
	b = append(b, rcStr("v")...)
	b = append(b, OpExpireTimeMs)
	b = append(b, rcU64(1700000000000)...)
	b = append(b, TypeString)
	b = append(b, rcStr("fpg:big")...)
	b = append(b, appendLen(nil, size)...)
	big := make([]byte, size)
	rand.New(rand.NewSource(1)).Read(big)
	b = append(b, big...)
	data := rcFinish(b, 11)
	for _, half := range []bool{false, true} {
		skip := func(e *Entry) bool { return bytes.HasPrefix(e.Key, []byte("fpg:")) }
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		r := NewReader(swSrc(data, half), ReuseBuffers(), SkipValueIf(skip))
		var got []swEntry
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := rec.(*Entry); ok {
				got = append(got, swKeep(e))
			}
		}
		runtime.ReadMemStats(&ms1)
		alloc := ms1.TotalAlloc - ms0.TotalAlloc
		// the Reader's own buffers (its parse buffer, the background
		// reader's chunks) are about 9 MiB whatever the value's size
		if alloc > size/2 {
			t.Errorf("half %v: reading a skipped %d-byte value allocated %d bytes", half, size, alloc)
		}
		if len(got) != 2 || got[0].skipped || string(got[0].value) != "\x01v" || !got[1].skipped ||
			got[1].valueLen != int64(len(appendLen(nil, size))+size) || got[1].exp != 1700000000000 || got[1].encoding != "raw" {
			t.Fatalf("half %v: entries %+v", half, swSummary(got))
		}
		if r.Checksum().Status != ChecksumOK {
			t.Fatalf("half %v: checksum %+v", half, r.Checksum())
		}
	}
}

// swEntries counts the entries among recs.
func swEntries(recs []any) int {
	n := 0
	for _, rec := range recs {
		if _, ok := rec.(swEntry); ok {
			n++
		}
	}
	return n
}

func swSummary(es []swEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s skipped %v len %d/%d %s", swMeta(e), e.skipped, len(e.value), e.valueLen, e.encoding))
	}
	return out
}

// Over the corpus (files real servers wrote and hand-built ones): every
// skipped entry's ValueLen is the length of the value read whole.
func TestSkipValueIfCorpus(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Join("..", "testdata", "dump.rdb"))
	if len(paths) < 40 {
		t.Fatalf("only %d corpus files", len(paths))
	}
	entries := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, wr, err := swPlain(t, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, m := range swModes {
			for name, skip := range swSkips {
				got, seen, r, err := swRead(t, swSrc(data, m.half), skip, m.opts...)
				if err != nil {
					t.Fatalf("%s %s/%s: %v", p, m.name, name, err)
				}
				swCompare(t, got, want, seen, skip)
				if r.Checksum() != wr.Checksum() {
					t.Fatalf("%s %s/%s: checksum %+v, want %+v", p, m.name, name, r.Checksum(), wr.Checksum())
				}
			}
		}
		entries += swEntries(want)
	}
	if entries < 100 {
		t.Fatalf("only %d entries in the corpus", entries)
	}
}

// FuzzSkipValueIf: with any input and any choice of values to skip, the
// Reader gives the same records (skipped values aside, whose ValueLen is
// right) and the same error as without the option. The seed corpus is
// testdata/fuzz/FuzzSkipValueIf (and FuzzReader's files via f.Add).
func FuzzSkipValueIf(f *testing.F) {
	f.Add(rcAllFile(), uint8(0xff))
	f.Add(rcAllFile(), uint8(0x55))
	if seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReader", "*")); err == nil {
		for _, s := range seeds {
			if data, err := readFuzzSeed(s); err == nil {
				f.Add(data, uint8(0xaa))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mask uint8) {
		skip := func(i int) bool { return mask>>(i%8)&1 == 1 }
		for _, m := range swModes {
			got, seen, r, err := swRead(t, swSrc(data, m.half), skip, m.opts...)
			want, wr, werr := swPlain(t, swSrc(data, m.half), m.opts...)
			if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
				t.Fatalf("%s: %v, without the option %v", m.name, err, werr)
			}
			if err != nil {
				var re, wre *Error
				if !errors.As(err, &re) || !errors.As(werr, &wre) || re.Offset != wre.Offset || !bytes.Equal(re.Key, wre.Key) {
					t.Fatalf("%s: %#v, without the option %#v", m.name, err, werr)
				}
				seen = seen[:min(swEntries(want), len(seen))]
			} else if r.Checksum() != wr.Checksum() || r.Offset() != wr.Offset() {
				t.Fatalf("%s: checksum %+v at %d, without the option %+v at %d", m.name, r.Checksum(), r.Offset(), wr.Checksum(), wr.Offset())
			}
			swCompare(t, got, want, seen, skip)
		}
	})
}

// readFuzzSeed reads the []byte of a one-argument "go test fuzz v1" file.
func readFuzzSeed(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		return nil, errors.New("not a fuzz seed")
	}
	arg := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(arg, "[]byte(") || !strings.HasSuffix(arg, ")") {
		return nil, errors.New("not a []byte seed")
	}
	s, err := strconv.Unquote(arg[len("[]byte(") : len(arg)-1])
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
