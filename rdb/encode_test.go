package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// sampleValues covers every kind with the shapes that matter to encoders:
// integers of every width, long compressible and binary strings, empty
// strings, enough elements to need several quicklist/stream nodes.
func sampleValues() map[string]*Value {
	var longList [][]byte
	for i := 0; i < 3000; i++ {
		longList = append(longList, []byte(fmt.Sprintf("element-%d-%s", i, strings.Repeat("p", i%50))))
	}
	ints := bs("0", "12", "13", "-1", "127", "-128", "255", "32767", "-32768", "8388607", "-8388608",
		"2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "007", "+5", "1e3", " 1", "-0", "")
	bin := []byte{0, 1, 2, 0xff, 0xfe, '\n'}
	var entries []StreamEntry
	for i := 0; i < 250; i++ {
		f := []StreamField{{[]byte("temp"), []byte(fmt.Sprint(20 + i%7))}, {[]byte("city"), []byte("x")}}
		if i%11 == 0 {
			f = append(f, StreamField{[]byte("extra"), bin})
		}
		entries = append(entries, StreamEntry{ID: StreamID{1600000000000 + uint64(i)*1000, uint64(i % 3)}, Fields: f})
	}
	return map[string]*Value{
		"string-short":  {Kind: "string", String: []byte("hello")},
		"string-int":    {Kind: "string", String: []byte("-123456")},
		"string-bigint": {Kind: "string", String: []byte("12345678901")},
		"string-lzf":    {Kind: "string", String: []byte(strings.Repeat("compress me ", 100))},
		"string-bin":    {Kind: "string", String: bin},
		"string-empty":  {Kind: "string", String: []byte{}},
		"string-big":    {Kind: "string", String: bytes.Repeat([]byte{'x', 'y', 0}, 100000)},
		"list-ints":     {Kind: "list", List: ints},
		"list-long":     {Kind: "list", List: longList},
		"list-bigelem":  {Kind: "list", List: [][]byte{[]byte("a"), bytes.Repeat([]byte("q"), 20000), []byte("b")}},
		"set":           {Kind: "set", Set: append(bs("a", "b", "c"), ints[:8]...)},
		"zset": {Kind: "zset", ZSet: []ZMember{{[]byte("a"), 1.5}, {[]byte("b"), math.Inf(1)}, {[]byte("c"), math.Inf(-1)},
			{[]byte("d"), 0.1}, {[]byte("e"), -1e300}, {[]byte("f"), 3}, {bin, 1.0 / 3}}},
		"hash": {Kind: "hash", Hash: []HashField{{[]byte("f1"), []byte("v1"), -1}, {[]byte("n"), []byte("42"), -1}, {bin, bin, -1}}},
		"hash-expiry": {Kind: "hash", Hash: []HashField{{[]byte("f1"), []byte("v1"), 1900000000000}, {[]byte("f2"), []byte("v2"), -1},
			{[]byte("f3"), []byte("v3"), 1800000000000}}},
		"stream": {Kind: "stream", Stream: &Stream{Entries: entries, Length: uint64(len(entries)), LastID: StreamID{1700000000000, 0},
			FirstID: entries[0].ID, MaxDeletedID: StreamID{1500000000000, 5}, EntriesAdded: 300,
			Groups: []StreamGroup{ // in name order, as Redis keeps them
				{Name: []byte("empty"), LastID: StreamID{}, EntriesRead: -1},
				{Name: []byte("g1"), LastID: entries[10].ID, EntriesRead: 11,
					Pending: []StreamPEL{{entries[3].ID, 1700000000001, 2}, {entries[7].ID, 1700000000002, 1}},
					Consumers: []StreamConsumer{{Name: []byte("alice"), SeenTime: 1700000000002, ActiveTime: 1700000000001,
						Pending: []StreamID{entries[3].ID, entries[7].ID}}, {Name: []byte("bob"), SeenTime: 5, ActiveTime: 4}}},
			}}},
		"stream-empty": {Kind: "stream", Stream: &Stream{LastID: StreamID{5, 5}, EntriesAdded: 3, MaxDeletedID: StreamID{5, 5}}},
	}
}

// canon turns a value into a comparable form (sets and hashes sorted,
// scores as bits, stream metadata the version keeps).
func canon(v *Value, version int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%q|", v.Kind, v.String)
	for _, s := range v.List {
		fmt.Fprintf(&b, "%q,", s)
	}
	set := sortedStrings(v.Set)
	fmt.Fprintf(&b, "|%q|", set)
	var z []string
	for _, m := range v.ZSet {
		z = append(z, fmt.Sprintf("%q=%x", m.Member, math.Float64bits(m.Score)))
	}
	sort.Strings(z)
	var h []string
	for _, f := range v.Hash {
		h = append(h, fmt.Sprintf("%q=%q@%d", f.Field, f.Value, f.ExpireMs))
	}
	sort.Strings(h)
	fmt.Fprintf(&b, "%v|%v|", z, h)
	if s := v.Stream; s != nil {
		for _, e := range s.Entries {
			fmt.Fprintf(&b, "%v:", e.ID)
			for _, f := range e.Fields {
				fmt.Fprintf(&b, "%q=%q,", f.Name, f.Value)
			}
		}
		fmt.Fprintf(&b, "|len %d last %v", s.Length, s.LastID)
		if version >= 10 {
			fmt.Fprintf(&b, " first %v maxdel %v added %d", s.FirstID, s.MaxDeletedID, s.EntriesAdded)
		}
		for _, g := range s.Groups {
			fmt.Fprintf(&b, "|g %q %v %v", g.Name, g.LastID, g.Pending)
			if version >= 10 {
				fmt.Fprintf(&b, " read %d", g.EntriesRead)
			}
			for _, c := range g.Consumers {
				fmt.Fprintf(&b, " c %q %d %v", c.Name, c.SeenTime, c.Pending)
				if version >= 11 {
					fmt.Fprintf(&b, " active %d", c.ActiveTime)
				}
			}
		}
	}
	return b.String()
}

func TestEncodeRoundTrip(t *testing.T) {
	for name, v := range sampleValues() {
		for version := 7; version <= 12; version++ {
			typ, raw, err := EncodeValue(v, version)
			if v.Kind == "stream" && version < 9 || name == "hash-expiry" && version < 12 {
				if !errors.Is(err, ErrUnconvertible) {
					t.Errorf("%s v%d: %v, want ErrUnconvertible", name, version, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s v%d: %v", name, version, err)
				continue
			}
			if !TypeSupported(typ, version) {
				t.Errorf("%s v%d: wrote type %d, which version %d does not load", name, version, typ, version)
			}
			if err := ValidateValue(typ, raw); err != nil {
				t.Errorf("%s v%d: ValidateValue: %v", name, version, err)
				continue
			}
			got, err := DecodeValue(typ, raw)
			if err != nil {
				t.Errorf("%s v%d: DecodeValue: %v", name, version, err)
				continue
			}
			if a, b := canon(got, version), canon(v, version); a != b {
				t.Errorf("%s v%d (type %d): round trip differs\n got %.400s\nwant %.400s", name, version, typ, a, b)
			}
			_, raw2, _ := EncodeValue(v, version)
			if !bytes.Equal(raw, raw2) {
				t.Errorf("%s v%d: not deterministic", name, version)
			}
		}
	}
}

func TestEncodeChoices(t *testing.T) {
	vals := sampleValues()
	want := []struct {
		name    string
		version int
		typ     byte
	}{
		{"list-ints", 6, TypeList}, {"list-ints", 7, TypeListQuicklist}, {"list-ints", 9, TypeListQuicklist},
		{"list-ints", 10, TypeListQuicklist2}, {"set", 12, TypeSet}, {"zset", 7, TypeZSet}, {"zset", 8, TypeZSet2},
		{"hash", 12, TypeHash}, {"hash-expiry", 12, TypeHashMetadata}, {"hash-expiry", 80, TypeHashMetadataPreGA},
		{"stream", 9, TypeStreamListpacks}, {"stream", 10, TypeStreamListpacks2}, {"stream", 11, TypeStreamListpacks3},
		{"stream", 12, TypeStreamListpacks3}, {"stream", 80, TypeStreamListpacks3},
	}
	for _, w := range want {
		typ, _, err := EncodeValue(vals[w.name], w.version)
		if err != nil || typ != w.typ {
			t.Errorf("%s v%d: type %d (%v), want %d", w.name, w.version, typ, err, w.typ)
		}
	}
	// Strings as Redis writes them.
	for _, c := range []struct {
		in   string
		want []byte
	}{
		{"12", []byte{0xC0, 12}}, {"-129", []byte{0xC1, 0x7f, 0xff}}, {"70000", []byte{0xC2, 0x70, 0x11, 0x01, 0x00}},
		{"4294967296", append([]byte{10}, "4294967296"...)}, {"012", append([]byte{3}, "012"...)}, {"abc", append([]byte{3}, "abc"...)},
	} {
		_, raw, _ := EncodeValue(&Value{Kind: "string", String: []byte(c.in)}, 10)
		if !bytes.Equal(raw, c.want) {
			t.Errorf("string %q encoded %x, want %x", c.in, raw, c.want)
		}
	}
	_, raw, _ := EncodeValue(vals["string-lzf"], 10)
	if raw[0] != 0xC3 || len(raw) >= 200 {
		t.Errorf("compressible string not LZF: %d bytes, first %x", len(raw), raw[0])
	}
	e, err := NewEntry(3, []byte("k"), vals["set"], 10)
	if err != nil || e.DB != 3 || e.ExpireMs != -1 || e.Idle != -1 || e.Freq != -1 || e.Type != TypeSet || int(e.ValueLen) != len(e.Value) {
		t.Errorf("NewEntry: %+v %v", e, err)
	}
}

func TestTypeSupported(t *testing.T) {
	for _, c := range []struct {
		typ     byte
		version int
		want    bool
	}{
		{TypeString, 1, true}, {TypeZSet2, 7, false}, {TypeZSet2, 8, true}, {TypeModule2, 8, true},
		{TypeModule, 12, false}, {TypeListQuicklist, 6, false}, {TypeListQuicklist, 7, true},
		{TypeStreamListpacks, 8, false}, {TypeStreamListpacks, 9, true}, {TypeHashListpack, 9, false},
		{TypeHashListpack, 10, true}, {TypeListQuicklist2, 10, true}, {TypeStreamListpacks2, 10, true},
		{TypeSetListpack, 10, false}, {TypeSetListpack, 11, true}, {TypeStreamListpacks3, 10, false},
		{TypeHashMetadata, 11, false}, {TypeHashListpackEx, 12, true}, {26, 12, false}, {8, 12, false},
		{TypeHashMetadataPreGA, 80, true}, {TypeHashMetadata, 80, false}, {TypeSetListpack, 80, true},
	} {
		if got := TypeSupported(c.typ, c.version); got != c.want {
			t.Errorf("TypeSupported(%d, %d) = %v", c.typ, c.version, got)
		}
	}
}

func TestConvertEntry(t *testing.T) {
	vals := sampleValues()
	entry := func(name string, version int) *Entry {
		e, err := NewEntry(0, []byte(name), vals[name], version)
		if err != nil {
			t.Fatal(name, err)
		}
		return e
	}
	// listpack hash (16) to RDB 9: a plain hash.
	lpHash := &Entry{Key: []byte("h"), Type: TypeHashListpack, Value: rstr(lpOf(lpStr("f"), lpStr("v"), lpStr("n"), []byte{5}))}
	check := func(e *Entry, version int, wantType byte, wantWarn int) *Value {
		t.Helper()
		before, err := DecodeValue(e.Type, e.Value)
		if err != nil {
			t.Fatal(err)
		}
		w, err := ConvertEntry(e, version)
		if err != nil || len(w) != wantWarn || e.Type != wantType || !TypeSupported(e.Type, version) || int(e.ValueLen) != len(e.Value) {
			t.Fatalf("convert to v%d: type %d, warnings %q, err %v; want type %d, %d warnings", version, e.Type, w, err, wantType, wantWarn)
		}
		after := mustDecode(t, e.Type, e.Value)
		if wantWarn == 0 && canon(after, version) != canon(before, version) {
			t.Errorf("conversion changed the data:\n%s\n%s", canon(after, version), canon(before, version))
		}
		return after
	}
	check(lpHash, 9, TypeHash, 0)
	check(entry("list-long", 10), 9, TypeListQuicklist, 0)
	check(entry("list-ints", 10), 6, TypeList, 0)
	set := &Entry{Key: []byte("s"), Type: TypeSetListpack, Value: rstr(lpOf(lpStr("a"), []byte{1}))}
	check(set, 10, TypeSet, 0)
	check(&Entry{Key: []byte("z"), Type: TypeZSetListpack, Value: rstr(lpOf(lpStr("a"), lpStr("1.5")))}, 9, TypeZSet2, 0)

	// Hash field expiries are dropped with a warning.
	h := check(entry("hash-expiry", 12), 11, TypeHash, 1)
	for _, f := range h.Hash {
		if f.ExpireMs != -1 {
			t.Errorf("expiry kept: %+v", f)
		}
	}
	// Valkey's type 22 and Redis's 24 swap when the target is the other server.
	vk := entry("hash-expiry", 80)
	check(vk, 12, TypeHashMetadata, 0)
	check(vk, 80, TypeHashMetadataPreGA, 0)

	// Streams: v3 -> v2 drops active times, -> v1 the v2 metadata, -> v8 impossible.
	st := entry("stream", 12)
	check(st, 10, TypeStreamListpacks2, 1)
	check(st, 9, TypeStreamListpacks, 1)
	before := append([]byte(nil), st.Value...)
	if _, err := ConvertEntry(st, 8); !errors.Is(err, ErrUnconvertible) || !bytes.Equal(st.Value, before) {
		t.Errorf("stream to v8: %v", err)
	}
	// Loadable types are untouched.
	e := entry("zset", 10)
	orig := append([]byte(nil), e.Value...)
	if w, err := ConvertEntry(e, 12); err != nil || w != nil || !bytes.Equal(e.Value, orig) {
		t.Errorf("supported type changed: %v %v", w, err)
	}
	mod := &Entry{Key: []byte("m"), Type: TypeModule2, Value: []byte{1, 0}}
	if _, err := ConvertEntry(mod, 7); !errors.Is(err, ErrUnconvertible) {
		t.Errorf("module to v7: %v", err)
	}
	if !reflect.DeepEqual(mod.Value, []byte{1, 0}) {
		t.Error("module entry modified")
	}
}
