package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// Streams whose listpack nodes are not stored in master-ID order, or
// repeat a master ID. Redis (rdb.c, RDB versions 9-12, stream types 15, 19,
// 21) inserts every node into a radix tree keyed by its 16-byte big-endian
// master ID: a repeated key is refused ("Listpack re-added with existing
// key"), nodes in any other order are loaded and iterated in master-ID
// order. Nothing checks the entries inside a node against each other or
// against the master ID (streamValidateListpackIntegrity checks only the
// layout, even with deep sanitisation): Redis loads such a node and
// iterates its entries as stored. These tests check each claim against the
// installed redis-server and redis-check-rdb.

// tsEnt is one entry of a hand-built stream node: ID deltas from the
// node's master ID and the value of its one field "f".
type tsEnt struct {
	msd, seqd int64
	deleted   bool
	value     string
}

type tsNode struct {
	master StreamID
	ents   []tsEnt
}

// tsInt is a listpack integer element (7-bit or 13-bit encoding).
func tsInt(v int64) []byte {
	if v >= 0 && v <= 127 {
		return []byte{byte(v)}
	}
	u := uint64(v) & 0x1fff
	return []byte{0xC0 | byte(u>>8), byte(u)}
}

// tsListpack builds a node's listpack by the layout in t_stream.c (master
// entry with the one field "f", every entry SAMEFIELDS), independently of
// the package's encoder.
func tsListpack(ents []tsEnt) []byte {
	live, dead := 0, 0
	for _, e := range ents {
		if e.deleted {
			dead++
		} else {
			live++
		}
	}
	els := [][]byte{tsInt(int64(live)), tsInt(int64(dead)), tsInt(1), lpStr("f"), tsInt(0)}
	for _, e := range ents {
		flags := int64(streamFlagSameFields)
		if e.deleted {
			flags |= streamFlagDeleted
		}
		els = append(els, tsInt(flags), tsInt(e.msd), tsInt(e.seqd), lpStr(e.value), tsInt(4))
	}
	return lpOf(els...)
}

// tsStream is the raw value of a stream of type typ (15, 19 or 21; no
// groups, so 19 and 21 have one layout) holding the nodes in the given
// order. The last ID is 1000-0; types 19 and 21 store first ID 0-0 (what
// Redis stores is not checked against the entries).
func tsStream(typ byte, nodes ...tsNode) []byte {
	b := rlen(len(nodes))
	live := 0
	for _, n := range nodes {
		var k [16]byte
		binary.BigEndian.PutUint64(k[:], n.master.Ms)
		binary.BigEndian.PutUint64(k[8:], n.master.Seq)
		b = append(b, rstr(k[:])...)
		b = append(b, rstr(tsListpack(n.ents))...)
		for _, e := range n.ents {
			if !e.deleted {
				live++
			}
		}
	}
	id := func(id StreamID) []byte { return append(rlen(int(id.Ms)), rlen(int(id.Seq))...) }
	b = append(b, rlen(live)...)
	b = append(b, id(StreamID{Ms: 1000})...)
	if typ >= TypeStreamListpacks2 {
		b = append(b, id(StreamID{})...) // first ID
		b = append(b, id(StreamID{})...) // max deleted ID
		b = append(b, rlen(live)...)     // entries added
	}
	return append(b, 0) // no consumer groups
}

// tsVersion is the RDB version a stream type is written with here: the
// oldest that has it.
func tsVersion(typ byte) int {
	switch typ {
	case TypeStreamListpacks:
		return 9
	case TypeStreamListpacks2:
		return 10
	}
	return 11
}

// tsFile writes a dump holding the value as key "s" and returns its path.
func tsFile(t *testing.T, typ byte, raw []byte) string {
	t.Helper()
	var f bytes.Buffer
	w := NewWriter(&f, tsVersion(typ))
	if err := w.WriteEntry(&Entry{Key: []byte("s"), Type: typ, Value: raw, ValueLen: int64(len(raw)), ExpireMs: -1, Idle: -1, Freq: -1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "s.rdb")
	if err := os.WriteFile(p, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tsRedisEntries loads the dump in a real redis-server (deep sanitisation
// on) and returns XRANGE s - + as "id=value" strings and the stream's
// recorded first entry ID, or the server's failure.
func tsRedisEntries(t *testing.T, path string) (entries []string, firstID string, err error) {
	t.Helper()
	redistest.Binary(t, "redis-server")
	srv, err := redistest.Launch(t.TempDir(), redistest.WithRDB(path), redistest.WithArgs("--sanitize-dump-payload", "yes"))
	if err != nil {
		return nil, "", err
	}
	defer srv.Stop()
	c := srv.Client(t)
	ctx := context.Background()
	msgs, err := c.XRange(ctx, "s", "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE: %v", err)
	}
	for _, m := range msgs {
		entries = append(entries, fmt.Sprintf("%s=%v", m.ID, m.Values["f"]))
	}
	info, err := c.Do(ctx, "XINFO", "STREAM", "s").Slice()
	if err != nil {
		t.Fatalf("XINFO STREAM: %v", err)
	}
	for i := 0; i+1 < len(info); i += 2 {
		if info[i] == "recorded-first-entry-id" {
			firstID = fmt.Sprint(info[i+1])
		}
	}
	return entries, firstID, nil
}

func tsOurEntries(s *Stream) []string {
	var out []string
	for _, e := range s.Entries {
		out = append(out, fmt.Sprintf("%s=%s", e.ID, e.Fields[0].Value))
	}
	return out
}

func ms(m uint64) StreamID { return StreamID{Ms: m} }

// TestStreamNodesRepeatedMasterID: a stream whose nodes repeat a master ID
// is refused by redis-check-rdb and redis-server ("Listpack re-added with
// existing key"); ValidateValue (what verify runs) and DecodeValue report
// it as corrupt. It used to pass both and decode as entries with one ID
// twice.
func TestStreamNodesRepeatedMasterID(t *testing.T) {
	a := []tsEnt{{0, 0, false, "a"}}
	b := []tsEnt{{0, 0, false, "b"}}
	cases := map[string][]tsNode{
		"adjacent":                    {{ms(1), a}, {ms(1), b}},
		"same ms and seq":             {{StreamID{7, 3}, a}, {StreamID{7, 3}, b}},
		"after nodes in order":        {{ms(1), a}, {ms(2), b}, {ms(3), a}, {ms(2), b}},
		"after nodes disorder":        {{ms(3), a}, {ms(1), b}, {ms(3), b}},
		"first after disorder":        {{ms(5), a}, {ms(9), a}, {ms(2), b}, {ms(7), b}, {ms(5), b}},
		"repeat with a deleted entry": {{ms(4), a}, {ms(4), []tsEnt{{0, 0, true, "x"}, {1, 0, false, "y"}}}},
	}
	for name, nodes := range cases {
		for _, typ := range []byte{TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3} {
			raw := tsStream(typ, nodes...)
			if typ != TypeStreamListpacks3 { // redis-server 7.0 has no type 21
				p := tsFile(t, typ, raw)
				err := redistest.CheckRDB(t, p)
				if err == nil || !strings.Contains(err.Error(), "Listpack re-added with existing key") {
					t.Errorf("%s, type %d: redis-check-rdb: %v; want it to refuse the repeated node", name, typ, err)
				}
				if _, _, err := tsRedisEntries(t, p); err == nil || !strings.Contains(err.Error(), "Listpack re-added with existing key") {
					t.Errorf("%s, type %d: redis-server: %v; want it to refuse the file", name, typ, err)
				}
			}
			errV := ValidateValue(typ, raw)
			v, errD := DecodeValue(typ, raw)
			for what, err := range map[string]error{"ValidateValue": errV, "DecodeValue": errD} {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(fmt.Sprint(err), "master ID") {
					t.Errorf("%s, type %d: %s: %v; want ErrCorrupt naming the repeated master ID", name, typ, what, err)
				}
			}
			if errD != nil && v != nil {
				t.Errorf("%s, type %d: DecodeValue returned a value with its error", name, typ)
			}
		}
	}
}

// TestStreamNodesOrder: nodes stored out of master-ID order load in Redis,
// whose XRANGE returns them sorted by master ID; DecodeValue returns the
// entries in the same order (Redis's first entry for type 15 too), so the
// value re-encodes and converts. Entries out of order inside a node, or
// nodes whose entries overlap, Redis loads as well (redis-check-rdb too,
// deep sanitisation finds nothing) and iterates as stored: DecodeValue
// gives Redis's order, ValidateValue accepts the value, and re-encoding
// refuses it as invalid (no version can write such a stream).
func TestStreamNodesOrder(t *testing.T) {
	cases := []struct {
		name    string
		nodes   []tsNode
		ordered bool // entries come out in increasing ID order
	}{
		{"two nodes swapped", []tsNode{
			{ms(2), []tsEnt{{0, 0, false, "b"}}},
			{ms(1), []tsEnt{{0, 0, false, "a"}}}}, true},
		{"three nodes, deleted entries", []tsNode{
			{ms(5), []tsEnt{{0, 0, false, "e"}, {1, 0, false, "f"}}},
			{ms(1), []tsEnt{{0, 0, true, "x"}, {1, 0, false, "b"}, {1, 1, false, "c"}}},
			{ms(3), []tsEnt{{0, 0, true, "y"}, {0, 1, false, "d"}}}}, true},
		{"masters differ in seq and high bytes", []tsNode{
			{StreamID{300, 5}, []tsEnt{{0, 0, false, "d"}}},
			{StreamID{1, 9}, []tsEnt{{0, 0, false, "b"}}},
			{StreamID{299, 0}, []tsEnt{{0, 0, false, "c"}}},
			{StreamID{1, 2}, []tsEnt{{0, 0, false, "a"}}}}, true},
		{"in order", []tsNode{
			{ms(1), []tsEnt{{0, 0, false, "a"}}},
			{ms(2), []tsEnt{{0, 0, false, "b"}}}}, true},
		{"entries out of order in a node", []tsNode{
			{ms(1), []tsEnt{{1, 0, false, "b"}, {0, 0, false, "a"}}}}, false},
		{"entry below its master ID", []tsNode{
			{ms(9), []tsEnt{{0, 0, false, "c"}}},
			{ms(5), []tsEnt{{0, 0, false, "b"}, {-4, 0, false, "a"}}}}, false},
		{"one ID twice in a node", []tsNode{
			{ms(1), []tsEnt{{0, 0, false, "a"}, {0, 0, false, "b"}}}}, false},
		{"overlapping nodes swapped", []tsNode{
			{ms(2), []tsEnt{{0, 0, false, "b"}}},
			{ms(1), []tsEnt{{0, 0, false, "a"}, {2, 0, false, "c"}}}}, false},
	}
	for _, tc := range cases {
		for _, typ := range []byte{TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3} {
			raw := tsStream(typ, tc.nodes...)
			if err := ValidateValue(typ, raw); err != nil {
				t.Errorf("%s, type %d: ValidateValue: %v", tc.name, typ, err)
				continue
			}
			v, err := DecodeValue(typ, raw)
			if err != nil {
				t.Errorf("%s, type %d: DecodeValue: %v", tc.name, typ, err)
				continue
			}
			got := tsOurEntries(v.Stream)
			if typ != TypeStreamListpacks3 { // redis-server 7.0 has no type 21
				p := tsFile(t, typ, raw)
				if err := redistest.CheckRDB(t, p); err != nil {
					t.Errorf("%s, type %d: redis-check-rdb refuses it: %v", tc.name, typ, err)
				}
				want, first, err := tsRedisEntries(t, p)
				if err != nil {
					t.Errorf("%s, type %d: redis-server refuses it: %v", tc.name, typ, err)
					continue
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s, type %d: entries\n%v\nredis-server XRANGE - +\n%v", tc.name, typ, got, want)
				}
				if typ == TypeStreamListpacks && v.Stream.FirstID.String() != first {
					t.Errorf("%s, type %d: first ID %v, redis-server's %s", tc.name, typ, v.Stream.FirstID, first)
				}
			}
			increasing := true
			for i := 1; i < len(v.Stream.Entries); i++ {
				increasing = increasing && v.Stream.Entries[i-1].ID.Less(v.Stream.Entries[i].ID)
			}
			if increasing != tc.ordered {
				t.Errorf("%s, type %d: entries %v: increasing %v, want %v", tc.name, typ, got, increasing, tc.ordered)
			}
			_, _, err = EncodeValue(v, 10)
			if tc.ordered && err != nil || !tc.ordered && !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s, type %d: EncodeValue: %v", tc.name, typ, err)
			}
		}
	}
}

// TestStreamNodesOrderConverted: a stream with its nodes out of order,
// converted to an older RDB version (so re-encoded), loads in Redis with
// the same entries as the original.
func TestStreamNodesOrderConverted(t *testing.T) {
	raw := tsStream(TypeStreamListpacks2,
		tsNode{ms(7), []tsEnt{{0, 0, false, "c"}}},
		tsNode{ms(1), []tsEnt{{0, 0, false, "a"}, {0, 1, true, "x"}, {2, 0, false, "b"}}})
	want, _, err := tsRedisEntries(t, tsFile(t, TypeStreamListpacks2, raw))
	if err != nil {
		t.Fatalf("redis-server refuses the original: %v", err)
	}
	e := &Entry{Key: []byte("s"), Type: TypeStreamListpacks2, Value: append([]byte(nil), raw...), ValueLen: int64(len(raw)), ExpireMs: -1, Idle: -1, Freq: -1}
	if _, err := NewConversion(9).Entry(e); err != nil {
		t.Fatalf("converting to version 9: %v", err)
	}
	if e.Type != TypeStreamListpacks {
		t.Fatalf("converted to type %d, want %d", e.Type, TypeStreamListpacks)
	}
	p := tsFile(t, e.Type, e.Value)
	if err := redistest.CheckRDB(t, p); err != nil {
		t.Fatal(err)
	}
	got, _, err := tsRedisEntries(t, p)
	if err != nil {
		t.Fatalf("redis-server refuses the converted file: %v", err)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(got) != 3 {
		t.Errorf("converted: %v, original: %v", got, want)
	}
}

// entriesOutOfOrderStream is a type 21 stream value whose one node stores
// entry 2-0 before 1-0. Redis loads such a node (TestStreamNodesOrder
// checks it for types 15 and 19) and iterates it as stored; DecodeValue
// reads it as entries 2-0, 1-0, which no RDB version can write.
func entriesOutOfOrderStream() []byte {
	return tsStream(TypeStreamListpacks3, tsNode{ms(1), []tsEnt{{1, 0, false, "b"}, {0, 0, false, "a"}}})
}

// TestStreamNodesConvertInvalid: converting a stream that decodes with
// its entries out of ID order is refused as the data's fault (an *Error
// for the key wrapping ErrInvalidValue), not as something the version
// cannot express.
func TestStreamNodesConvertInvalid(t *testing.T) {
	raw := entriesOutOfOrderStream()
	if err := ValidateValue(TypeStreamListpacks3, raw); err != nil {
		t.Fatalf("ValidateValue: %v", err)
	}
	for _, version := range []int{9, 10} {
		e := &Entry{Key: []byte("s"), Type: TypeStreamListpacks3, Value: append([]byte(nil), raw...), ValueLen: int64(len(raw)), ExpireMs: -1, Idle: -1, Freq: -1}
		_, err := NewConversion(version).Entry(e)
		var re *Error
		if !errors.Is(err, ErrInvalidValue) || errors.Is(err, ErrUnconvertible) || !errors.As(err, &re) || string(re.Key) != "s" {
			t.Errorf("version %d: %v; want an *Error for key \"s\" wrapping ErrInvalidValue", version, err)
		}
	}
}

// TestStreamNodesValidateAllocs: checking the nodes' master IDs costs
// ValidateValue no allocation while they increase (every stream Redis
// writes); only nodes out of order build a map.
func TestStreamNodesValidateAllocs(t *testing.T) {
	var nodes []tsNode
	for i := 0; i < 300; i++ {
		nodes = append(nodes, tsNode{ms(uint64(10*i + 1)), []tsEnt{{0, 0, false, "a"}, {1, 0, false, "b"}}})
	}
	raw := tsStream(TypeStreamListpacks2, nodes...)
	if err := ValidateValue(TypeStreamListpacks2, raw); err != nil {
		t.Fatal(err)
	}
	if raceEnabled {
		t.Skip("allocation count not checked under -race: sync.Pool drops pooled slices at random there")
	}
	if allocs := testing.AllocsPerRun(20, func() { _ = ValidateValue(TypeStreamListpacks2, raw) }); allocs >= 1 {
		t.Errorf("ValidateValue of a 300-node stream: %.1f allocations per call, want none", allocs)
	}
}
