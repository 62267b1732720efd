package rdb

import (
	"errors"
	"math"
	"testing"
)

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
