package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// repeatedNodeStream is a type 21 stream whose two nodes have the same
// master ID (1-0): Redis refuses the file ("Listpack re-added with existing
// key"), DecodeValue reads it as entries 1-0, 1-0.
func repeatedNodeStream(t *testing.T) []byte {
	t.Helper()
	big := bytes.Repeat([]byte("x"), encStreamNodeBytes+1) // one entry per node
	s := &Stream{Entries: []StreamEntry{
		{ID: StreamID{Ms: 1}, Fields: []StreamField{{Name: []byte("f"), Value: big}}},
		{ID: StreamID{Ms: 2}, Fields: []StreamField{{Name: []byte("f"), Value: big}}},
	}}
	typ, raw, err := EncodeValue(&Value{Kind: "stream", Stream: s}, 11)
	if err != nil || typ != TypeStreamListpacks3 {
		t.Fatalf("EncodeValue: type %d, %v", typ, err)
	}
	key := func(ms uint64) []byte {
		k := append([]byte{16}, make([]byte, 16)...)
		binary.BigEndian.PutUint64(k[1:], ms)
		return k
	}
	j := bytes.Index(raw, key(2))
	if j < 0 || bytes.Count(raw, key(2)) != 1 || bytes.Count(raw, key(1)) != 1 {
		t.Fatalf("node keys not found once each in the encoding")
	}
	raw[j+8] = 1
	v, err := DecodeValue(typ, raw)
	if err != nil {
		t.Fatalf("DecodeValue: %v (if it now refuses a repeated node ID, find another input that reaches the encoder)", err)
	}
	if got := v.Stream.Entries; len(got) != 2 || got[0].ID != got[1].ID {
		t.Fatalf("decoded entries %+v, want 1-0 twice", got)
	}
	return raw
}

// TestEncodeValueErrorKinds: bad input is ErrInvalidValue at every
// version, what only the target version (or the module) cannot write is
// ErrUnconvertible, and no error is both. Bad input used to wrap
// ErrUnconvertible, so callers could not tell a wrong value from an old
// target (import had to strip the sentinel from the message).
func TestEncodeValueErrorKinds(t *testing.T) {
	a, b := []byte("a"), []byte("b")
	ent := func(ms uint64) StreamEntry {
		return StreamEntry{ID: StreamID{Ms: ms}, Fields: []StreamField{{Name: a, Value: b}}}
	}
	invalid := map[string]*Value{
		"nil value":             nil,
		"unknown kind":          {Kind: "bitmap"},
		"stream without Stream": {Kind: "stream"},
		"set member twice":      {Kind: "set", Set: [][]byte{a, b, a}},
		"zset NaN score":        {Kind: "zset", ZSet: []ZMember{{Member: a, Score: math.NaN()}}},
		"zset member twice":     {Kind: "zset", ZSet: []ZMember{{Member: a, Score: 1}, {Member: a, Score: 2}}},
		"hash field twice":      {Kind: "hash", Hash: []HashField{{Field: a, Value: a, ExpireMs: -1}, {Field: a, Value: b, ExpireMs: -1}}},
		"field expiry too far":  {Kind: "hash", Hash: []HashField{{Field: a, Value: a, ExpireMs: ebExpireTimeMax + 1}}},
		"stream IDs decrease":   {Kind: "stream", Stream: &Stream{Entries: []StreamEntry{ent(2), ent(1)}}},
		"stream group twice": {Kind: "stream", Stream: &Stream{Entries: []StreamEntry{ent(1)},
			Groups: []StreamGroup{{Name: a, EntriesRead: -1}, {Name: a, EntriesRead: -1}}}},
	}
	for name, v := range invalid {
		for _, version := range []int{1, 7, 8, 9, 10, 11, 12, 80} {
			if name == "stream group twice" && version < 9 {
				continue // no stream to check the groups of: unconvertible
			}
			_, _, err := EncodeValue(v, version)
			if !errors.Is(err, ErrInvalidValue) || errors.Is(err, ErrUnconvertible) {
				t.Errorf("%s, version %d: %v; want ErrInvalidValue, not ErrUnconvertible", name, version, err)
			}
			if _, err := NewEntry(0, []byte("k"), v, version); !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s, version %d: NewEntry: %v; want ErrInvalidValue", name, version, err)
			}
		}
	}
	unconvertible := []struct {
		name    string
		v       *Value
		version int
	}{
		{"stream before 9", &Value{Kind: "stream", Stream: &Stream{Entries: []StreamEntry{ent(1)}}}, 8},
		{"field expiry before 12", &Value{Kind: "hash", Hash: []HashField{{Field: a, Value: a, ExpireMs: 4102444800000}}}, 11},
		{"module value", &Value{Kind: "module", Module: &ModuleValue{Name: "mymodtype"}}, 12},
	}
	for _, c := range unconvertible {
		if _, _, err := EncodeValue(c.v, c.version); !errors.Is(err, ErrUnconvertible) || errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: %v; want ErrUnconvertible, not ErrInvalidValue", c.name, err)
		}
	}
}

// TestConvertInvalidStream: a stream DecodeValue reads whose entry IDs do
// not increase (here: repeat) cannot be re-encoded for an older version. That is the
// data's fault, not the version's: the error is an *Error (offset, key)
// wrapping ErrInvalidValue, like any damaged value, so rewrite
// --rdb-version fails on the input instead of listing the key as one the
// version cannot express (or dropping it with --skip-unconvertible).
func TestConvertInvalidStream(t *testing.T) {
	raw := repeatedNodeStream(t)
	for _, version := range []int{9, 10} {
		e := &Entry{Key: []byte("s"), Type: TypeStreamListpacks3, Value: append([]byte(nil), raw...), ValueLen: int64(len(raw)), ExpireMs: -1, Idle: -1, Freq: -1}
		_, err := NewConversion(version).Entry(e)
		var re *Error
		if !errors.Is(err, ErrInvalidValue) || errors.Is(err, ErrUnconvertible) || !errors.As(err, &re) || string(re.Key) != "s" {
			t.Errorf("version %d: %v; want an *Error for key \"s\" wrapping ErrInvalidValue, not ErrUnconvertible", version, err)
		}
	}
}
