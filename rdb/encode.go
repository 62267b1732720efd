package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInvalidValue: a Value that no RDB version can hold because no Redis
// loads it (a set member given twice, a NaN score, stream entry IDs that
// do not increase, ...), or that is not a value at all (nil, an unknown
// Kind). EncodeValue and NewEntry return it, wrapped, for bad input; a
// value that only the target version cannot express wraps
// ErrUnconvertible instead, so the two never meet in one error.
var ErrInvalidValue = errors.New("invalid value")

// Node size limits used when writing quicklists and streams: Redis's
// defaults (list-max-listpack-size -2 = 8 KB, stream-node-max-bytes 4096,
// stream-node-max-entries 100).
const (
	encListNodeBytes     = 8192
	encStreamNodeBytes   = 4096
	encStreamNodeEntries = 100
)

// EncodeValue encodes v in a form a Redis of RDB version version loads,
// choosing the simple universal types: string 0; list quicklist2 of
// listpacks (>= 10), quicklist of ziplists (>= 7) or linked list 1; set 2;
// zset 5 (>= 8) or 3; hash 4, or 24 (>= 12) when a field has an expiry (22,
// Valkey's layout, for Valkey's versions 80 and up); stream 15, 19 or 21 by
// version (>= 9). The output is deterministic. Module values, streams
// before version 9 and hash field expiries before version 12 give an error
// wrapping ErrUnconvertible: another version (or the module) can write
// them. Data no Redis loads in any version (Redis refuses the whole file)
// gives an error wrapping ErrInvalidValue instead: a set or zset member or
// a hash field given twice, a NaN score, a hash field expiry past 2^48-1
// ms, stream entry IDs that do not increase, a stream whose consumer
// groups, consumers and pending entries repeat or disagree (what
// ValidateValue refuses); so does a nil value, an unknown Kind or a stream
// without Stream. An empty list, set, zset or hash is encoded, but Redis
// skips such a key when it loads the file.
func EncodeValue(v *Value, version int) (typ byte, raw []byte, err error) {
	if v == nil {
		return 0, nil, fmt.Errorf("%w: nil value", ErrInvalidValue)
	}
	if err := refuseUnloadable(v); err != nil {
		return 0, nil, err
	}
	typ, raw, err = encodeValue(v, version)
	if err == nil && v.Kind == "stream" {
		// groups, consumers and pending entries must agree as Redis
		// checks them; the deep check says where they do not
		if verr := ValidateValue(typ, raw); verr != nil {
			// the bytes are ours: the fault is in v, not "corrupt data"
			msg := strings.TrimPrefix(verr.Error(), ErrCorrupt.Error()+": ")
			return 0, nil, fmt.Errorf("%w: %s", ErrInvalidValue, msg)
		}
	}
	return typ, raw, err
}

// encodeValue is EncodeValue for a value that came from DecodeValue, which
// has refused what refuseUnloadable checks already.
func encodeValue(v *Value, version int) (typ byte, raw []byte, err error) {
	if v == nil {
		return 0, nil, fmt.Errorf("%w: nil value", ErrInvalidValue)
	}
	ev := effectiveVersion(version)
	var e encBuf
	switch v.Kind {
	case "string":
		e.str(v.String)
		return TypeString, e.b, nil
	case "list":
		switch {
		case ev >= 10:
			encQuicklist(&e, v.List, true)
			return TypeListQuicklist2, e.b, nil
		case ev >= 7:
			encQuicklist(&e, v.List, false)
			return TypeListQuicklist, e.b, nil
		}
		e.len(uint64(len(v.List)))
		for _, s := range v.List {
			e.str(s)
		}
		return TypeList, e.b, nil
	case "set":
		e.len(uint64(len(v.Set)))
		for _, s := range v.Set {
			e.str(s)
		}
		return TypeSet, e.b, nil
	case "zset":
		e.len(uint64(len(v.ZSet)))
		for _, m := range v.ZSet {
			e.str(m.Member)
			if ev >= 8 {
				e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(m.Score))
			} else {
				e.textDouble(m.Score)
			}
		}
		if ev >= 8 {
			return TypeZSet2, e.b, nil
		}
		return TypeZSet, e.b, nil
	case "hash":
		return encHash(&e, v.Hash, version)
	case "stream":
		if v.Stream == nil {
			return 0, nil, fmt.Errorf("%w: stream value without stream data", ErrInvalidValue)
		}
		return encStream(&e, v.Stream, ev)
	case "module":
		return 0, nil, fmt.Errorf("%w: a module value can only be written by its module", ErrUnconvertible)
	}
	return 0, nil, fmt.Errorf("%w: unknown value kind %q", ErrInvalidValue, v.Kind)
}

// refuseUnloadable returns an error for data that no Redis loads, in any
// encoding: a set or zset member or a hash field given twice (Redis refuses
// the whole file: "Duplicate set members detected", ...), a NaN score.
func refuseUnloadable(v *Value) error {
	switch v.Kind {
	case "set":
		if i := repeated(len(v.Set), func(i int) []byte { return v.Set[i] }); i >= 0 {
			return fmt.Errorf("%w: set member %d (%q) given twice", ErrInvalidValue, i, trimQ(v.Set[i]))
		}
	case "zset":
		for _, m := range v.ZSet {
			if math.IsNaN(m.Score) {
				return fmt.Errorf("%w: zset member %q has a NaN score (Redis refuses to load it)", ErrInvalidValue, trimQ(m.Member))
			}
		}
		if i := repeated(len(v.ZSet), func(i int) []byte { return v.ZSet[i].Member }); i >= 0 {
			return fmt.Errorf("%w: zset member %d (%q) given twice", ErrInvalidValue, i, trimQ(v.ZSet[i].Member))
		}
	case "hash":
		if i := repeated(len(v.Hash), func(i int) []byte { return v.Hash[i].Field }); i >= 0 {
			return fmt.Errorf("%w: hash field %d (%q) given twice", ErrInvalidValue, i, trimQ(v.Hash[i].Field))
		}
	}
	return nil
}

// repeated returns the index of the first of n elements equal to an
// earlier one, or -1. Elements are compared exactly: the decoder's 64-bit
// hash set (dupSet) finds a candidate, an exact pass decides.
func repeated(n int, elem func(int) []byte) int {
	var s dupSet
	defer s.reset()
	for i := 0; i < n; i++ {
		if !s.add(elem(i)) {
			// a repeat, or two different elements sharing a hash:
			// decide exactly
			exact := make(map[string]struct{}, i+1)
			for k := 0; k < n; k++ {
				b := elem(k)
				if _, ok := exact[string(b)]; ok {
					return k
				}
				exact[string(b)] = struct{}{}
			}
			return -1
		}
	}
	return -1
}

// NewEntry builds an entry holding v encoded for version, with no expiry,
// idle time or frequency.
func NewEntry(db int, key []byte, v *Value, version int) (*Entry, error) {
	typ, raw, err := EncodeValue(v, version)
	if err != nil {
		return nil, err
	}
	return &Entry{DB: db, Key: key, Type: typ, ExpireMs: -1, Idle: -1, Freq: -1, Value: raw, ValueLen: int64(len(raw))}, nil
}

// encBuf appends RDB encodings.
type encBuf struct{ b []byte }

func (e *encBuf) len(n uint64) {
	switch {
	case n < 1<<6:
		e.b = append(e.b, byte(n))
	case n < 1<<14:
		e.b = append(e.b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		e.b = append(e.b, len32Bit)
		e.b = binary.BigEndian.AppendUint32(e.b, uint32(n))
	default:
		e.b = append(e.b, len64Bit)
		e.b = binary.BigEndian.AppendUint64(e.b, n)
	}
}

// str writes a string as Redis's rdbSaveRawString does: as an integer when
// it is the canonical form of one that fits 32 bits, LZF-compressed when
// longer than 20 bytes and compression saves at least 4 bytes, else raw.
func (e *encBuf) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseCanonicalInt(s); ok {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				e.b = append(e.b, 0xC0|encInt8, byte(v))
				return
			case v >= math.MinInt16 && v <= math.MaxInt16:
				e.b = append(e.b, 0xC0|encInt16, byte(v), byte(v>>8))
				return
			case v >= math.MinInt32 && v <= math.MaxInt32:
				e.b = append(e.b, 0xC0|encInt32)
				e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v))
				return
			}
		}
	}
	if len(s) > 20 {
		if c := lzfCompress(s); c != nil && len(c) <= len(s)-4 {
			e.b = append(e.b, 0xC0|encLZF)
			e.len(uint64(len(c)))
			e.len(uint64(len(s)))
			e.b = append(e.b, c...)
			return
		}
	}
	e.len(uint64(len(s)))
	e.b = append(e.b, s...)
}

// textDouble writes a type-3 zset score.
func (e *encBuf) textDouble(f float64) {
	switch {
	case math.IsNaN(f):
		e.b = append(e.b, 253)
	case math.IsInf(f, 1):
		e.b = append(e.b, 254)
	case math.IsInf(f, -1):
		e.b = append(e.b, 255)
	default:
		s := strconv.FormatFloat(f, 'g', 17, 64)
		e.b = append(e.b, byte(len(s)))
		e.b = append(e.b, s...)
	}
}

func (e *encBuf) millis(ms int64) { e.b = binary.LittleEndian.AppendUint64(e.b, uint64(ms)) }

func (e *encBuf) streamID(id StreamID) {
	e.len(id.Ms)
	e.len(id.Seq)
}

func (e *encBuf) rawStreamID(id StreamID) {
	e.b = binary.BigEndian.AppendUint64(e.b, id.Ms)
	e.b = binary.BigEndian.AppendUint64(e.b, id.Seq)
}

// encQuicklist writes list elements as quicklist nodes of about 8 KB:
// listpacks (quicklist2, packed containers) or ziplists.
func encQuicklist(e *encBuf, list [][]byte, listpack bool) {
	var nodes [][]byte
	var lp *lpBuilder
	var zl *zlBuilder
	for _, s := range list {
		if listpack {
			if lp != nil && lp.size()+len(s) > encListNodeBytes {
				nodes = append(nodes, lp.finish())
				lp = nil
			}
			if lp == nil {
				lp = newLPBuilder()
			}
			lp.add(s)
		} else {
			if zl != nil && zl.size()+len(s) > encListNodeBytes {
				nodes = append(nodes, zl.finish())
				zl = nil
			}
			if zl == nil {
				zl = newZLBuilder()
			}
			zl.add(s)
		}
	}
	if lp != nil {
		nodes = append(nodes, lp.finish())
	}
	if zl != nil {
		nodes = append(nodes, zl.finish())
	}
	e.len(uint64(len(nodes)))
	for _, n := range nodes {
		if listpack {
			e.len(quicklistNodePacked)
		}
		e.str(n)
	}
}

func encHash(e *encBuf, fields []HashField, version int) (byte, []byte, error) {
	minExp := int64(-1)
	for _, f := range fields {
		if f.ExpireMs >= 0 && (minExp < 0 || f.ExpireMs < minExp) {
			minExp = f.ExpireMs
		}
	}
	if minExp < 0 {
		e.len(uint64(len(fields)))
		for _, f := range fields {
			e.str(f.Field)
			e.str(f.Value)
		}
		return TypeHash, e.b, nil
	}
	for _, f := range fields {
		if f.ExpireMs > ebExpireTimeMax {
			return 0, nil, fmt.Errorf("%w: hash field %q: expiry %d out of range", ErrInvalidValue, f.Field, f.ExpireMs)
		}
	}
	if version >= 80 { // Valkey 9: RDB_TYPE_HASH_2
		e.len(uint64(len(fields)))
		for _, f := range fields {
			e.str(f.Field)
			e.str(f.Value)
			exp := f.ExpireMs
			if exp < 0 {
				exp = -1
			}
			e.millis(exp)
		}
		return TypeHashMetadataPreGA, e.b, nil
	}
	if version < 12 {
		return 0, nil, fmt.Errorf("%w: hash field expiries need RDB version 12 (Redis 7.4), not %d", ErrUnconvertible, version)
	}
	e.millis(minExp)
	e.len(uint64(len(fields)))
	for _, f := range fields {
		var ttl uint64
		if f.ExpireMs >= 0 {
			ttl = uint64(f.ExpireMs-minExp) + 1
		}
		e.len(ttl)
		e.str(f.Field)
		e.str(f.Value)
	}
	return TypeHashMetadata, e.b, nil
}

func encStream(e *encBuf, s *Stream, ev int) (byte, []byte, error) {
	// bad data first: it is an error at every version
	for i := 1; i < len(s.Entries); i++ {
		if !s.Entries[i-1].ID.Less(s.Entries[i].ID) {
			return 0, nil, fmt.Errorf("%w: stream entry IDs not increasing at entry %d", ErrInvalidValue, i)
		}
	}
	var typ byte
	switch {
	case ev >= 11:
		typ = TypeStreamListpacks3
	case ev >= 10:
		typ = TypeStreamListpacks2
	case ev >= 9:
		typ = TypeStreamListpacks
	default:
		return 0, nil, fmt.Errorf("%w: streams need RDB version 9 (Redis 5.0), not %d", ErrUnconvertible, ev)
	}
	// Nodes: up to 100 entries or about 4 KB each.
	type node struct {
		master StreamID
		lp     []byte
	}
	var nodes []node
	ents := s.Entries
	for len(ents) > 0 {
		// Take entries until the node holds 100 or about 4 KB.
		n, size := 0, 0
		for n < len(ents) && n < encStreamNodeEntries && (n == 0 || size < encStreamNodeBytes) {
			for _, f := range ents[n].Fields {
				size += len(f.Name) + len(f.Value) + 4
			}
			size += 12
			n++
		}
		nodes = append(nodes, node{ents[0].ID, encStreamListpack(ents[:n])})
		ents = ents[n:]
	}
	e.len(uint64(len(nodes)))
	for _, n := range nodes {
		var key [16]byte
		binary.BigEndian.PutUint64(key[:], n.master.Ms)
		binary.BigEndian.PutUint64(key[8:], n.master.Seq)
		e.str(key[:])
		e.str(n.lp)
	}
	// The stored length is kept when set (Redis 5 files exist whose length
	// differs from the live entries after XTRIM).
	length := s.Length
	if length == 0 || len(s.Entries) == 0 {
		length = uint64(len(s.Entries))
	}
	last := s.LastID
	var first StreamID
	if n := len(s.Entries); n > 0 {
		first = s.Entries[0].ID
		if last.Less(s.Entries[n-1].ID) {
			last = s.Entries[n-1].ID
		}
	}
	e.len(length)
	e.streamID(last)
	if typ >= TypeStreamListpacks2 {
		added := s.EntriesAdded
		if added < length {
			added = length
		}
		e.streamID(first)
		e.streamID(s.MaxDeletedID)
		e.len(added)
	}
	e.len(uint64(len(s.Groups)))
	for _, g := range s.Groups {
		e.str(g.Name)
		e.streamID(g.LastID)
		if typ >= TypeStreamListpacks2 {
			e.len(uint64(g.EntriesRead)) // -1 (unknown) becomes Redis's SCG_INVALID_ENTRIES_READ
		}
		e.len(uint64(len(g.Pending)))
		for _, p := range g.Pending {
			e.rawStreamID(p.ID)
			e.millis(p.DeliveryTime)
			e.len(p.DeliveryCount)
		}
		e.len(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			e.str(c.Name)
			e.millis(c.SeenTime)
			if typ >= TypeStreamListpacks3 {
				e.millis(c.ActiveTime) // -1: created but never active
			}
			e.len(uint64(len(c.Pending)))
			for _, id := range c.Pending {
				e.rawStreamID(id)
			}
		}
	}
	return typ, e.b, nil
}

// encStreamListpack writes one stream node: the master entry (fields of
// the first entry), then each entry, with SAMEFIELDS when its field names
// equal the master's.
func encStreamListpack(ents []StreamEntry) []byte {
	w := newLPBuilder()
	master := ents[0].ID
	mf := ents[0].Fields
	w.addInt(int64(len(ents)))
	w.addInt(0)
	w.addInt(int64(len(mf)))
	for _, f := range mf {
		w.add(f.Name)
	}
	w.addInt(0)
	for _, en := range ents {
		same := len(en.Fields) == len(mf)
		for j := 0; same && j < len(mf); j++ {
			same = bytes.Equal(en.Fields[j].Name, mf[j].Name)
		}
		flags := int64(0)
		if same {
			flags = streamFlagSameFields
		}
		w.addInt(flags)
		w.addInt(int64(en.ID.Ms - master.Ms))
		w.addInt(int64(en.ID.Seq - master.Seq))
		nf := int64(len(en.Fields))
		if same {
			for _, f := range en.Fields {
				w.add(f.Value)
			}
			w.addInt(nf + 3)
		} else {
			w.addInt(nf)
			for _, f := range en.Fields {
				w.add(f.Name)
				w.add(f.Value)
			}
			w.addInt(2*nf + 4)
		}
	}
	return w.finish()
}
