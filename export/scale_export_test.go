package export

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// jsonEntryLine is the export line as encoding/json renders it from the
// exported types (Line, ValueJSON, ModuleJSON): the reference that the
// piecewise writer must match byte for byte.
func jsonEntryLine(t *testing.T, e *rdb.Entry) []byte {
	t.Helper()
	l := Line{DB: e.DB, Key: e.Key, Type: rdb.TypeName(e.Type), ExpireMs: e.ExpireMs}
	if e.Idle >= 0 {
		idle := e.Idle
		l.Idle = &idle
	}
	if e.Freq >= 0 {
		freq := e.Freq
		l.Freq = &freq
	}
	v, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	var val any
	if e.Type == rdb.TypeModule2 {
		val = ModuleJSON{Module: v.Module.Name, EncVer: v.Module.EncVer, RDBType: int(e.Type), Raw: e.Value}
	} else if val, err = ValueJSON(v); err != nil {
		t.Fatal(err)
	}
	raw, err := marshalText(val)
	if err != nil {
		t.Fatal(err)
	}
	l.Value = raw
	out, err := marshalText(l)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScaleEntryLineMatchesJSON: the line export writes piece by piece is
// the one encoding/json makes of the exported types, for every key of the
// corpus (every type and encoding, module values, streams with groups,
// hash field expiries, LRU/LFU) and for strings long enough to be written
// in chunks (UTF-8 with a rune across a chunk boundary, escapes, binary).
func TestScaleEntryLineMatchesJSON(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rdbtest.Entries(t, data) {
			got, err := EntryLine(e)
			if err != nil {
				t.Fatalf("%s: key %q: %v", f, e.Key, err)
			}
			if want := jsonEntryLine(t, e); !bytes.Equal(got, want) {
				t.Fatalf("%s: key %q:\n got %.300s\nwant %.300s", f, e.Key, got, want)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d corpus keys compared", n)
	}
	rng := rand.New(rand.NewSource(1))
	bin := make([]byte, 3*blobChunk+5)
	rng.Read(bin)
	// "é" (2 bytes) starting one byte before the chunk boundary, then
	// escapes and U+2028 around the next ones
	text := strings.Repeat("a", blobChunk-1) + "é" + strings.Repeat("\"\n\t\u2028<>&x", blobChunk/8) + "ü"
	for name, s := range map[string][]byte{"binary": bin, "utf-8": []byte(text)} {
		data := rdbtest.Dump(t, 10, rdbtest.Key{Name: name, Value: &rdb.Value{Kind: "string", String: s}},
			rdbtest.Key{Name: name + " list", Value: &rdb.Value{Kind: "list", List: [][]byte{s, []byte("x"), s}}})
		for _, e := range rdbtest.Entries(t, data) {
			got, err := EntryLine(e)
			if err != nil {
				t.Fatal(err)
			}
			if want := jsonEntryLine(t, e); !bytes.Equal(got, want) {
				t.Fatalf("%s: the chunked line differs from encoding/json's (%d vs %d bytes)", e.Key, len(got), len(want))
			}
		}
	}
}

// TestScaleExportBigValueMemory: exporting a dump whose one value is large
// allocates about the value itself (the Reader's copy and its decoding),
// not several copies of its JSON text. A 16 MiB binary string is 21 MiB of
// base64; the line built whole (its JSON, the buffer's doublings, the
// line's copy) allocated over 100 MiB.
func TestScaleExportBigValueMemory(t *testing.T) {
	const size = 16 << 20
	big := make([]byte, size)
	rand.New(rand.NewSource(2)).Read(big)
	data := rdbtest.Dump(t, 10,
		rdbtest.Key{Name: "fpg:big", Value: &rdb.Value{Kind: "string", String: big}},
		rdbtest.Key{Name: "small", Value: &rdb.Value{Kind: "string", String: []byte("x")}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keys, err := Export(bytes.NewReader(data), io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil || keys != 2 {
		t.Fatalf("Export: %d keys, %v", keys, err)
	}
	// the Reader's value and a little: not the 21 MiB of base64 (x2-5)
	if got := after.TotalAlloc - before.TotalAlloc; got > 2*size {
		t.Errorf("exporting one %d MiB string allocated %d MiB, want at most %d MiB", size>>20, got>>20, 2*size>>20)
	}
}
