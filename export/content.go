package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"sort"

	"github.com/rdbtool/rdbtool/rdb"
)

// ContentDigest is a digest of a value's data independent of its
// encoding: a set stored as intset or listpack, a list as quicklist or
// ziplist, a hash in any order give the same digest. Streams count their
// length (XLEN), entries, last ID, groups, pending entries and consumers; the metadata
// older RDB versions lack (first/max-deleted IDs, entries-added, a group's
// entries-read, a consumer's active time) is left out, and so is a
// consumer's seen time, which moves whenever it reads, as LRU data does
// (textconv does not show it either). Module values are compared by their
// raw bytes. The value is returned decoded, its set members, sorted set
// members, hash fields, stream groups, pending entries and consumers
// sorted in place (a copy of each to sort held a large value twice).
func ContentDigest(e *rdb.Entry) ([16]byte, *rdb.Value, error) {
	var out [16]byte
	h := sha256.New()
	var buf []byte
	put := func(b []byte) {
		buf = binary.AppendUvarint(buf[:0], uint64(len(b)))
		h.Write(buf)
		h.Write(b)
	}
	putU := func(v uint64) {
		buf = binary.AppendUvarint(buf[:0], v)
		h.Write(buf)
	}
	h.Write([]byte(rdb.TypeName(e.Type)))
	if e.Type == rdb.TypeModule2 {
		put(e.Value)
		copy(out[:], h.Sum(nil))
		return out, nil, nil
	}
	v, err := e.Decode()
	if err != nil {
		return out, nil, err
	}
	switch v.Kind {
	case "string":
		put(v.String)
	case "list":
		putU(uint64(len(v.List)))
		for _, s := range v.List {
			put(s)
		}
	case "set":
		members := v.Set
		slices.SortFunc(members, bytes.Compare)
		putU(uint64(len(members)))
		for _, s := range members {
			put(s)
		}
	case "zset":
		ms := v.ZSet
		sort.Slice(ms, func(i, j int) bool { return bytes.Compare(ms[i].Member, ms[j].Member) < 0 })
		putU(uint64(len(ms)))
		for _, m := range ms {
			put(m.Member)
			score := m.Score
			if score == 0 {
				score = 0 // -0 and +0 are the same score
			}
			putU(math.Float64bits(score))
		}
	case "hash":
		fs := v.Hash
		sort.Slice(fs, func(i, j int) bool { return bytes.Compare(fs[i].Field, fs[j].Field) < 0 })
		putU(uint64(len(fs)))
		for _, f := range fs {
			put(f.Field)
			put(f.Value)
			putU(uint64(f.ExpireMs + 1))
		}
	case "stream":
		s := v.Stream
		putU(s.Length) // XLEN: a Redis 5 dump can hold one other than the entries' count
		putU(s.LastID.Ms)
		putU(s.LastID.Seq)
		putU(uint64(len(s.Entries)))
		for _, en := range s.Entries {
			putU(en.ID.Ms)
			putU(en.ID.Seq)
			putU(uint64(len(en.Fields)))
			for _, f := range en.Fields {
				put(f.Name)
				put(f.Value)
			}
		}
		groups := s.Groups
		sort.Slice(groups, func(i, j int) bool { return bytes.Compare(groups[i].Name, groups[j].Name) < 0 })
		putU(uint64(len(groups)))
		for _, g := range groups {
			put(g.Name)
			putU(g.LastID.Ms)
			putU(g.LastID.Seq)
			pel := g.Pending
			sort.Slice(pel, func(i, j int) bool { return pel[i].ID.Less(pel[j].ID) })
			putU(uint64(len(pel)))
			for _, p := range pel {
				putU(p.ID.Ms)
				putU(p.ID.Seq)
				putU(uint64(p.DeliveryTime))
				putU(p.DeliveryCount)
			}
			cs := g.Consumers
			sort.Slice(cs, func(i, j int) bool { return bytes.Compare(cs[i].Name, cs[j].Name) < 0 })
			putU(uint64(len(cs)))
			for _, c := range cs {
				put(c.Name) // not its seen time: like LRU data, it moves on every read
				ids := c.Pending
				sort.Slice(ids, func(i, j int) bool { return ids[i].Less(ids[j]) })
				putU(uint64(len(ids)))
				for _, id := range ids {
					putU(id.Ms)
					putU(id.Seq)
				}
			}
		}
	}
	copy(out[:], h.Sum(nil))
	return out, v, nil
}
