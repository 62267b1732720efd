package rdb_test

import (
	"errors"
	"math"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// Redis refuses a whole RDB file holding a set, zset or hash with a repeated
// member or field, or a zset with a NaN score (redis-check-rdb: "Duplicate
// set members detected", "Zset with NAN score detected", ...). EncodeValue
// promises a form Redis loads, so it must refuse such values, as it refuses
// stream IDs out of order, instead of encoding what ValidateValue then calls
// corrupt. The error is ErrInvalidValue (bad input at every version), not
// ErrUnconvertible (what another version could hold).
func TestQAEncodeValueRefusesWhatRedisRefuses(t *testing.T) {
	a, b := []byte("a"), []byte("b")
	bad := map[string]*rdb.Value{
		"NaN score":           {Kind: "zset", ZSet: []rdb.ZMember{{Member: a, Score: 1}, {Member: b, Score: math.NaN()}}},
		"zset member twice":   {Kind: "zset", ZSet: []rdb.ZMember{{Member: a, Score: 1}, {Member: b, Score: 2}, {Member: a, Score: 3}}},
		"set member twice":    {Kind: "set", Set: [][]byte{a, b, a}},
		"hash field twice":    {Kind: "hash", Hash: []rdb.HashField{{Field: a, Value: a, ExpireMs: -1}, {Field: a, Value: b, ExpireMs: -1}}},
		"ttl field twice":     {Kind: "hash", Hash: []rdb.HashField{{Field: a, Value: a, ExpireMs: 4102444800000}, {Field: a, Value: b, ExpireMs: -1}}},
		"set int/str twice":   {Kind: "set", Set: [][]byte{[]byte("7"), []byte("7")}},
		"zset empty twice":    {Kind: "zset", ZSet: []rdb.ZMember{{Member: []byte{}, Score: 1}, {Member: nil, Score: 2}}},
		"hash nil/empty name": {Kind: "hash", Hash: []rdb.HashField{{Field: nil, Value: a, ExpireMs: -1}, {Field: []byte{}, Value: b, ExpireMs: -1}}},
	}
	for name, v := range bad {
		for _, version := range []int{7, 10, 12, 80} {
			typ, raw, err := rdb.EncodeValue(v, version)
			if err == nil {
				t.Errorf("%s, version %d: encoded (type %d; ValidateValue: %v)", name, version, typ, rdb.ValidateValue(typ, raw))
				continue
			}
			if !errors.Is(err, rdb.ErrInvalidValue) || errors.Is(err, rdb.ErrUnconvertible) {
				t.Errorf("%s, version %d: %v does not wrap ErrInvalidValue alone", name, version, err)
			}
			if _, err := rdb.NewEntry(0, []byte("k"), v, version); err == nil {
				t.Errorf("%s, version %d: NewEntry accepted it", name, version)
			}
		}
	}
	// distinct members, ±Inf and members that only look alike still encode,
	// into bytes ValidateValue accepts
	good := []*rdb.Value{
		{Kind: "zset", ZSet: []rdb.ZMember{{Member: a, Score: math.Inf(1)}, {Member: b, Score: math.Inf(-1)}, {Member: []byte("A"), Score: 0}}},
		{Kind: "set", Set: [][]byte{[]byte("7"), []byte("07"), []byte("7 "), a}},
		{Kind: "hash", Hash: []rdb.HashField{{Field: a, Value: a, ExpireMs: -1}, {Field: b, Value: a, ExpireMs: 4102444800000}}},
	}
	for i, v := range good {
		typ, raw, err := rdb.EncodeValue(v, 12)
		if err != nil {
			t.Errorf("good value %d: %v", i, err)
			continue
		}
		if err := rdb.ValidateValue(typ, raw); err != nil {
			t.Errorf("good value %d: ValidateValue: %v", i, err)
		}
	}
}

// The same holds for streams: Redis refuses a file whose stream repeats a
// consumer group, a consumer or a pending entry, or whose pending entries
// and consumers disagree (redis-check-rdb fails on each of these files).
func TestQAEncodeValueRefusesBadStreams(t *testing.T) {
	id := func(ms uint64) rdb.StreamID { return rdb.StreamID{Ms: ms} }
	g, c := []byte("g"), []byte("c")
	bad := map[string][]rdb.StreamGroup{
		"group twice":    {{Name: g, EntriesRead: -1}, {Name: g, EntriesRead: -1}},
		"consumer twice": {{Name: g, EntriesRead: -1, Consumers: []rdb.StreamConsumer{{Name: c}, {Name: c}}}},
		"pending twice": {{Name: g, LastID: id(2), EntriesRead: -1, Pending: []rdb.StreamPEL{{ID: id(1)}, {ID: id(1)}},
			Consumers: []rdb.StreamConsumer{{Name: c, Pending: []rdb.StreamID{id(1)}}}}},
		"consumer's entry not pending": {{Name: g, LastID: id(2), EntriesRead: -1,
			Consumers: []rdb.StreamConsumer{{Name: c, Pending: []rdb.StreamID{id(1)}}}}},
		"pending without consumer": {{Name: g, LastID: id(2), EntriesRead: -1, Pending: []rdb.StreamPEL{{ID: id(1)}}}},
	}
	for name, groups := range bad {
		s := &rdb.Stream{
			Entries: []rdb.StreamEntry{{ID: id(1), Fields: []rdb.StreamField{{Name: []byte("a"), Value: []byte("1")}}},
				{ID: id(2), Fields: []rdb.StreamField{{Name: []byte("a"), Value: []byte("2")}}}},
			Length: 2, LastID: id(2), FirstID: id(1), EntriesAdded: 2, Groups: groups,
		}
		for _, version := range []int{9, 10, 11} {
			typ, raw, err := rdb.EncodeValue(&rdb.Value{Kind: "stream", Stream: s}, version)
			if err == nil {
				t.Errorf("%s, version %d: encoded (type %d; ValidateValue: %v)", name, version, typ, rdb.ValidateValue(typ, raw))
			} else if !errors.Is(err, rdb.ErrInvalidValue) || errors.Is(err, rdb.ErrUnconvertible) {
				t.Errorf("%s, version %d: %v does not wrap ErrInvalidValue alone", name, version, err)
			}
		}
	}
}
