// Package handmade assembles, byte by byte, RDB files for what Redis 7.0
// cannot write: RDB 1/2 (seconds expiry, text zset scores), RDB 11 set
// listpacks and stream listpacks 3, RDB 12 hashes with field expiry (types
// 22-25) and cluster slot info, module2 values and module aux records. Each
// file comes with the keys and values it holds, so tests can check decoding
// against what was assembled.
package handmade

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// File is one hand-built corpus file and its expected content.
type File struct {
	Name    string
	Version int
	Magic   string // "REDIS" or "VALKEY"
	Data    []byte
	Keys    []Key
	// RedisLoadable is true when redis-server 7.0 / redis-check-rdb 7.0
	// accept the file (version <= 10, no unknown modules on load).
	CheckRDB bool
	Note     string
	// Functions are the function library records, in file order.
	Functions []Function
}

// Function is a function library record: opcode 245 holds only Code;
// 246 (Redis 7.0 release candidates) also a name, engine and description.
type Function struct {
	Opcode                   byte
	Name, Engine, Desc, Code string
}

// Key is one key of a hand-built file with its decoded value.
type Key struct {
	DB       int
	Key      string
	Type     byte
	ExpireMs int64 // -1: none
	Kind     string
	Str      string
	List     []string
	Set      []string
	ZSet     []ZMember
	Hash     []HashField
	Stream   *Stream
	Module   string // module name (9 chars)
	ModuleID uint64
}

// ZMember is a sorted set member.
type ZMember struct {
	Member string
	Score  float64
}

// HashField is a hash field; ExpireMs is -1 when the field has no expiry.
type HashField struct {
	Field, Value string
	ExpireMs     int64
}

// ID is a stream ID.
type ID struct{ Ms, Seq uint64 }

func (id ID) String() string { return fmt.Sprintf("%d-%d", id.Ms, id.Seq) }

// StreamEntry is a live stream entry; Fields alternate name, value.
type StreamEntry struct {
	ID     ID
	Fields []string
}

// Stream is the expected content of a stream.
type Stream struct {
	Entries                       []StreamEntry
	Length                        uint64
	LastID, FirstID, MaxDeletedID ID
	EntriesAdded                  uint64
	Groups                        []Group
}

// Group is a consumer group.
type Group struct {
	Name        string
	LastID      ID
	EntriesRead int64
	Pending     []PEL
	Consumers   []Consumer
}

// PEL is a pending entry of a group.
type PEL struct {
	ID            ID
	DeliveryTime  int64
	DeliveryCount uint64
}

// Consumer of a group; ActiveTime is -1 for formats before stream v3.
type Consumer struct {
	Name       string
	SeenTime   int64
	ActiveTime int64
	Pending    []ID
}

const farFuture = 4102444800000 // 2100-01-01T00:00:00Z

// Files returns every hand-built file.
func Files() []File {
	return []File{
		oldVersion(1), oldVersion(2),
		setListpackV11(),
		stream3V11(),
		hashTTLV12(),
		hashTTLPreGA(),
		moduleV10(),
		slotInfoV12(),
		functionPreGA(),
		ziplistV6(),
		quicklistV9(),
	}
}

func header(f *file, ver string) {
	f.aux("redis-ver", ver)
	f.aux("redis-bits", "64")
	f.aux("ctime", "1700000000")
	f.aux("used-mem", "1048576")
	f.aux("aof-base", "0")
}

// oldVersion: RDB 1/2 types 0-4 with a seconds expiry (opcode 253) and text
// zset scores (with the special nan/inf length bytes), no checksum.
func oldVersion(v int) File {
	f := newFile("REDIS", v)
	var keys []Key
	f.selectDB(0)
	f.expireSec(2100000000) // 2036-07-18: the field is a signed 32-bit time
	f.entry(0, "old:string")
	f.str("an old string")
	keys = append(keys, Key{Key: "old:string", Type: 0, ExpireMs: 2100000000000, Kind: "string", Str: "an old string"})
	f.entry(0, "old:int")
	f.str("-12345")
	keys = append(keys, Key{Key: "old:int", Type: 0, ExpireMs: -1, Kind: "string", Str: "-12345"})
	list := []string{"a", "", "300", "last element"}
	f.entry(1, "old:list")
	f.length(uint64(len(list)))
	for _, s := range list {
		f.str(s)
	}
	keys = append(keys, Key{Key: "old:list", Type: 1, ExpireMs: -1, Kind: "list", List: list})
	set := []string{"x", "7", "yy"}
	f.entry(2, "old:set")
	f.length(uint64(len(set)))
	for _, s := range set {
		f.str(s)
	}
	keys = append(keys, Key{Key: "old:set", Type: 2, ExpireMs: -1, Kind: "set", Set: set})
	zs := []ZMember{{"neg", math.Inf(-1)}, {"a", -1.5}, {"b", 0}, {"c", 3.25}, {"pos", math.Inf(1)}}
	f.entry(3, "old:zset")
	f.length(uint64(len(zs)))
	for _, m := range zs {
		f.str(m.Member)
		f.textScore(m.Score)
	}
	keys = append(keys, Key{Key: "old:zset", Type: 3, ExpireMs: -1, Kind: "zset", ZSet: zs})
	hash := []HashField{{"f1", "v1", -1}, {"n", "42", -1}}
	f.entry(4, "old:hash")
	f.length(uint64(len(hash)))
	for _, h := range hash {
		f.str(h.Field)
		f.str(h.Value)
	}
	keys = append(keys, Key{Key: "old:hash", Type: 4, ExpireMs: -1, Kind: "hash", Hash: hash})
	f.selectDB(1)
	f.expireSec(2000000000) // 2033-05-18
	f.entry(0, "old:db1")
	f.str("in db 1")
	keys = append(keys, Key{DB: 1, Key: "old:db1", Type: 0, ExpireMs: 2000000000000, Kind: "string", Str: "in db 1"})
	return File{Name: fmt.Sprintf("hand_v%d_old_types.rdb", v), Version: v, Magic: "REDIS", Data: f.finish(), Keys: keys,
		CheckRDB: true, Note: "RDB " + strconv.Itoa(v) + ": types 0-4, seconds expiry (253), text zset scores incl. ±inf, no checksum"}
}

func setListpackV11() File {
	f := newFile("REDIS", 11)
	header(f, "7.2.4")
	f.selectDB(0)
	f.resizeDB(4, 0)
	var keys []Key
	add := func(key string, members []string) {
		var lp listpack
		for _, m := range members {
			lp.add(m)
		}
		f.entry(20, key)
		f.blob(lp.bytes())
		keys = append(keys, Key{Key: key, Type: 20, ExpireMs: -1, Kind: "set", Set: members})
	}
	add("set:lp:strings", []string{"apple", "banana", "", "cherry"})
	add("set:lp:mixed", []string{"1", "-1", "200", "-5000", "70000", "9223372036854775807", "-9223372036854775808", "007", "x"})
	add("set:lp:binary", []string{"\x00", "\xff\xfe", "a\r\nb", strings.Repeat("long-member-", 10)})
	// a plain intset next to them, as Redis 7.2 writes for integer-only sets
	f.entry(11, "set:intset")
	is := binary.LittleEndian.AppendUint32(nil, 2) // encoding int16
	is = binary.LittleEndian.AppendUint32(is, 3)   // length
	for _, v := range []int16{-3, 5, 1000} {       // sorted
		is = binary.LittleEndian.AppendUint16(is, uint16(v))
	}
	f.blob(is)
	keys = append(keys, Key{Key: "set:intset", Type: 11, ExpireMs: -1, Kind: "set", Set: []string{"-3", "5", "1000"}})
	return File{Name: "hand_v11_set_listpack.rdb", Version: 11, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Note: "RDB 11: set listpack (type 20) with strings, every int width, binary; an intset"}
}

// streamNode is one listpack of a stream: entries share the master fields
// when their field names equal them.
type streamEntryIn struct {
	id      ID
	fields  []string // name, value, ...
	deleted bool
}

func streamListpack(master ID, masterFields []string, entries []streamEntryIn) []byte {
	var lp listpack
	live, del := 0, 0
	for _, e := range entries {
		if e.deleted {
			del++
		} else {
			live++
		}
	}
	lp.addInt(int64(live))
	lp.addInt(int64(del))
	lp.addInt(int64(len(masterFields)))
	for _, m := range masterFields {
		lp.add(m)
	}
	lp.addInt(0) // master entry terminator
	for _, e := range entries {
		n := len(e.fields) / 2
		same := n == len(masterFields)
		for i := 0; same && i < n; i++ {
			same = e.fields[2*i] == masterFields[i]
		}
		flags := int64(0)
		if e.deleted {
			flags |= 1
		}
		if same {
			flags |= 2
		}
		lp.addInt(flags)
		lp.addInt(int64(e.id.Ms - master.Ms))
		lp.addInt(int64(e.id.Seq - master.Seq))
		count := int64(n + 3)
		if same {
			for i := 0; i < n; i++ {
				lp.add(e.fields[2*i+1])
			}
		} else {
			lp.addInt(int64(n))
			for _, s := range e.fields {
				lp.add(s)
			}
			count += int64(n + 1)
		}
		lp.addInt(count)
	}
	return lp.bytes()
}

func rawID(id ID) []byte {
	b := binary.BigEndian.AppendUint64(nil, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// writeStream writes a stream value (types 15, 19, 21) from its nodes and
// metadata; Entries of the expected Stream are derived from the nodes.
func writeStream(f *file, typ byte, nodes [][]streamEntryIn, masters [][]string, s *Stream) {
	f.length(uint64(len(nodes)))
	for i, n := range nodes {
		master := n[0].id
		f.blob(rawID(master))
		f.blob(streamListpack(master, masters[i], n))
		for _, e := range n {
			if !e.deleted {
				s.Entries = append(s.Entries, StreamEntry{ID: e.id, Fields: e.fields})
			}
		}
	}
	f.length(s.Length)
	f.length(s.LastID.Ms)
	f.length(s.LastID.Seq)
	if typ >= 19 {
		f.length(s.FirstID.Ms)
		f.length(s.FirstID.Seq)
		f.length(s.MaxDeletedID.Ms)
		f.length(s.MaxDeletedID.Seq)
		f.length(s.EntriesAdded)
	}
	f.length(uint64(len(s.Groups)))
	for _, g := range s.Groups {
		f.str(g.Name)
		f.length(g.LastID.Ms)
		f.length(g.LastID.Seq)
		if typ >= 19 {
			f.length(uint64(g.EntriesRead))
		}
		f.length(uint64(len(g.Pending)))
		for _, p := range g.Pending {
			f.raw(rawID(p.ID))
			f.ms(p.DeliveryTime)
			f.length(p.DeliveryCount)
		}
		f.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			f.str(c.Name)
			f.ms(c.SeenTime)
			if typ >= 21 {
				f.ms(c.ActiveTime)
			}
			f.length(uint64(len(c.Pending)))
			for _, id := range c.Pending {
				f.raw(rawID(id))
			}
		}
	}
}

// stream3Nodes are the listpack nodes of stream:v3 and their master fields.
func stream3Nodes() ([][]streamEntryIn, [][]string) {
	nodes := [][]streamEntryIn{
		{
			{id: ID{1000, 0}, fields: []string{"name", "a", "n", "1"}},
			{id: ID{1000, 1}, fields: []string{"name", "b", "n", "2"}},
			{id: ID{1001, 0}, fields: []string{"name", "c", "n", "3"}, deleted: true},
			{id: ID{1002, 5}, fields: []string{"other", "x"}},
			{id: ID{1003, 0}, fields: []string{"name", "d", "n", "-70000", "extra", strings.Repeat("e", 70)}},
		},
		{
			{id: ID{2000, 0}, fields: []string{"k", "v1"}},
			{id: ID{2000, 1}, fields: []string{"k", "v2"}, deleted: true},
			{id: ID{2500, 0}, fields: []string{"k", "\x00\xff binary"}},
		},
	}
	masters := [][]string{{"name", "n"}, {"k"}}
	return nodes, masters
}

func stream3V11() File {
	f := newFile("REDIS", 11)
	header(f, "7.2.4")
	f.selectDB(0)
	f.resizeDB(2, 0)
	var keys []Key

	nodes, masters := stream3Nodes()
	t0 := int64(1700000100000)
	s := &Stream{
		Length: 6, LastID: ID{2500, 0}, FirstID: ID{1000, 0}, MaxDeletedID: ID{2000, 1}, EntriesAdded: 8,
		Groups: []Group{
			{
				Name: "g1", LastID: ID{2000, 0}, EntriesRead: 5,
				Pending: []PEL{{ID{1000, 1}, t0 + 1, 1}, {ID{1002, 5}, t0 + 2, 3}, {ID{2000, 0}, t0 + 3, 1}},
				Consumers: []Consumer{
					{Name: "alice", SeenTime: t0 + 10, ActiveTime: t0 + 5, Pending: []ID{{1000, 1}, {2000, 0}}},
					{Name: "bob", SeenTime: t0 + 11, ActiveTime: t0 + 6, Pending: []ID{{1002, 5}}},
					{Name: "idle", SeenTime: t0 + 12, ActiveTime: -1},
				},
			},
			{Name: "g2", LastID: ID{0, 0}, EntriesRead: -1},
		},
	}
	f.entry(21, "stream:v3")
	writeStream(f, 21, nodes, masters, s)
	keys = append(keys, Key{Key: "stream:v3", Type: 21, ExpireMs: -1, Kind: "stream", Stream: s})

	empty := &Stream{LastID: ID{7, 7}, MaxDeletedID: ID{7, 7}, EntriesAdded: 3,
		Groups: []Group{{Name: "only", LastID: ID{7, 7}, EntriesRead: 3}}}
	f.entry(21, "stream:empty")
	writeStream(f, 21, nil, nil, empty)
	keys = append(keys, Key{Key: "stream:empty", Type: 21, ExpireMs: -1, Kind: "stream", Stream: empty})
	return File{Name: "hand_v11_stream3.rdb", Version: 11, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Note: "RDB 11: stream listpacks 3 (type 21): two nodes, deleted entries, differing fields, groups with PEL, consumers with active time (one -1), entries_read -1, an empty stream with a group"}
}

// hashTTLV12 writes types 24 (hashtable with field expiries, TTLs relative
// to the minimum) and 25 (listpack with field expiries) as Redis 7.4 does,
// plus a plain listpack hash.
func hashTTLV12() File {
	f := newFile("REDIS", 12)
	header(f, "7.4.1")
	f.selectDB(0)
	f.resizeDB(4, 1)
	var keys []Key

	// type 24: min expire, count, then [ttl-rel][field][value]
	ht := []HashField{
		{"f-no-ttl", "v0", -1},
		{"f-soon", "v1", farFuture},
		{"f-later", "v2", farFuture + 3600000},
		{"\x00bin", "\xff", farFuture + 1},
	}
	f.entry(24, "hash:meta")
	f.ms(farFuture)
	f.length(uint64(len(ht)))
	for _, h := range ht {
		if h.ExpireMs < 0 {
			f.length(0)
		} else {
			f.length(uint64(h.ExpireMs - farFuture + 1))
		}
		f.str(h.Field)
		f.str(h.Value)
	}
	keys = append(keys, Key{Key: "hash:meta", Type: 24, ExpireMs: -1, Kind: "hash", Hash: ht})

	// type 25: min expire, then a listpack of field, value, ttl (0 = none),
	// fields with a TTL first in TTL order, as listpackEx keeps them.
	lpx := []HashField{
		{"a", "1", farFuture + 10},
		{"b", "two", farFuture + 20},
		{"c", "", -1},
		{"d", "9223372036854775807", -1},
	}
	f.expireMs(farFuture + 86400000)
	f.entry(25, "hash:lpex")
	f.ms(farFuture + 10)
	var lp listpack
	for _, h := range lpx {
		lp.add(h.Field)
		lp.add(h.Value)
		if h.ExpireMs < 0 {
			lp.addInt(0)
		} else {
			lp.addInt(h.ExpireMs)
		}
	}
	f.blob(lp.bytes())
	keys = append(keys, Key{Key: "hash:lpex", Type: 25, ExpireMs: farFuture + 86400000, Kind: "hash", Hash: lpx})

	// type 25 where no field has a TTL any more: min expire 0
	f.entry(25, "hash:lpex-none")
	f.ms(0)
	var lp2 listpack
	for _, s := range []string{"x", "1", "0", "y", "2", "0"} {
		lp2.add(s)
	}
	f.blob(lp2.bytes())
	keys = append(keys, Key{Key: "hash:lpex-none", Type: 25, ExpireMs: -1, Kind: "hash",
		Hash: []HashField{{"x", "1", -1}, {"y", "2", -1}}})

	f.entry(16, "hash:plain")
	var lp3 listpack
	for _, s := range []string{"k", "v", "n", "12"} {
		lp3.add(s)
	}
	f.blob(lp3.bytes())
	keys = append(keys, Key{Key: "hash:plain", Type: 16, ExpireMs: -1, Kind: "hash",
		Hash: []HashField{{"k", "v", -1}, {"n", "12", -1}}})
	return File{Name: "hand_v12_hash_ttl.rdb", Version: 12, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Note: "RDB 12: hash with field expiry, hashtable form (type 24, relative TTLs) and listpack form (type 25, one without live TTLs), a listpack hash"}
}

// hashTTLPreGA writes the Redis 7.4 release-candidate forms 22 and 23: no
// leading minimum expiry, absolute TTLs.
func hashTTLPreGA() File {
	f := newFile("REDIS", 12)
	header(f, "7.3.240")
	f.selectDB(0)
	f.resizeDB(2, 0)
	var keys []Key
	ht := []HashField{{"p", "1", farFuture + 5}, {"q", "2", -1}}
	f.entry(22, "hash:meta-prega")
	f.length(uint64(len(ht)))
	for _, h := range ht {
		if h.ExpireMs < 0 {
			f.length(0)
		} else {
			f.length(uint64(h.ExpireMs))
		}
		f.str(h.Field)
		f.str(h.Value)
	}
	keys = append(keys, Key{Key: "hash:meta-prega", Type: 22, ExpireMs: -1, Kind: "hash", Hash: ht})
	lpx := []HashField{{"r", "3", farFuture + 7}, {"s", "4", -1}}
	f.entry(23, "hash:lpex-prega")
	var lp listpack
	for _, h := range lpx {
		lp.add(h.Field)
		lp.add(h.Value)
		if h.ExpireMs < 0 {
			lp.addInt(0)
		} else {
			lp.addInt(h.ExpireMs)
		}
	}
	f.blob(lp.bytes())
	keys = append(keys, Key{Key: "hash:lpex-prega", Type: 23, ExpireMs: -1, Kind: "hash", Hash: lpx})
	return File{Name: "hand_v12_hash_ttl_prega.rdb", Version: 12, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Note: "RDB 12 (7.4 release candidates): hash with field expiry types 22 and 23, absolute TTLs, no minimum-expiry prefix"}
}

// moduleV10: module2 values (type 7) of two made-up modules and module aux
// records before and after the keyspace. RDB 10, so redis-check-rdb 7.0
// (which skips module values by their opcodes) accepts it.
func moduleV10() File {
	f := newFile("REDIS", 10)
	header(f, "7.0.15")
	idA := moduleID("rdbtoolMD", 1)
	idB := moduleID("hand-made", 3)
	// module aux, REDISMODULE_AUX_BEFORE_RDB (1)
	f.byte1(247)
	f.length(idA)
	f.length(2) // UINT opcode for "when"
	f.length(1)
	f.length(5) // STRING
	f.str("aux-before")
	f.length(2) // UINT
	f.length(7)
	f.length(0) // EOF
	f.selectDB(0)
	f.resizeDB(3, 0)
	var keys []Key
	f.entry(7, "mod:a")
	f.length(idA)
	f.length(1) // SINT -5, stored as a 64-bit length of the two's complement
	sint := int64(-5)
	f.length(uint64(sint))
	f.length(2) // UINT
	f.length(1 << 40)
	f.length(3) // FLOAT
	f.float(1.5)
	f.length(4) // DOUBLE
	f.double(-2.25)
	f.length(5) // STRING
	f.str("module string \x00 with binary")
	f.length(5)
	f.str("12345") // int-encoded string inside a module value
	f.length(0)    // EOF
	keys = append(keys, Key{Key: "mod:a", Type: 7, ExpireMs: -1, Kind: "module", Module: "rdbtoolMD", ModuleID: idA})
	f.expireMs(farFuture)
	f.entry(7, "mod:b")
	f.length(idB)
	f.length(5)
	f.str(strings.Repeat("payload", 20))
	f.length(0)
	keys = append(keys, Key{Key: "mod:b", Type: 7, ExpireMs: farFuture, Kind: "module", Module: "hand-made", ModuleID: idB})
	f.entry(0, "plain")
	f.str("between module values")
	keys = append(keys, Key{Key: "plain", Type: 0, ExpireMs: -1, Kind: "string", Str: "between module values"})
	// module aux, REDISMODULE_AUX_AFTER_RDB (2)
	f.byte1(247)
	f.length(idB)
	f.length(2)
	f.length(2)
	f.length(4)
	f.double(math.Inf(1))
	f.length(0)
	return File{Name: "hand_v10_module.rdb", Version: 10, Magic: "REDIS", Data: f.finish(), Keys: keys, CheckRDB: true,
		Note: "RDB 10: module2 values (type 7) of made-up modules rdbtoolMD/1 and hand-made/3 with sint/uint/float/double/string fields; module aux (247) before and after the keyspace"}
}

// slotInfoV12: a Redis 7.4 cluster-mode dump: opcode 244 (slot id, keys,
// expiring keys) before the keys of each slot, keys in slot order.
func slotInfoV12() File {
	f := newFile("REDIS", 12)
	header(f, "7.4.1")
	names := []string{"user:1", "user:2", "{user}:a", "{user}:b", "order:9", "z"}
	sort.SliceStable(names, func(i, j int) bool { return keySlot(names[i]) < keySlot(names[j]) })
	f.selectDB(0)
	f.resizeDB(uint64(len(names)), 1)
	bySlot := map[int][]string{}
	var slots []int
	for _, n := range names {
		s := keySlot(n)
		if bySlot[s] == nil {
			slots = append(slots, s)
		}
		bySlot[s] = append(bySlot[s], n)
	}
	var keys []Key
	for _, s := range slots {
		ks := bySlot[s]
		exp := 0
		for _, k := range ks {
			if k == "order:9" {
				exp++
			}
		}
		f.byte1(244)
		f.length(uint64(s))
		f.length(uint64(len(ks)))
		f.length(uint64(exp))
		for _, k := range ks {
			e := int64(-1)
			if k == "order:9" {
				e = farFuture
				f.expireMs(e)
			}
			v := "slot " + strconv.Itoa(s)
			f.entry(0, k)
			f.str(v)
			keys = append(keys, Key{Key: k, Type: 0, ExpireMs: e, Kind: "string", Str: v})
		}
	}
	return File{Name: "hand_v12_slotinfo.rdb", Version: 12, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Note: "RDB 12 cluster dump: slot info opcode 244 before each slot's keys (hash tags share a slot)"}
}

// functionPreGA: the function records of Redis 7.0-rc1/rc2 (opcode 246:
// library name, engine, description flag and description, code), which
// Redis 7.0 GA still loads (as "#!LUA name=mylib\n" + code); and a 245
// record beside them.
func functionPreGA() File {
	f := newFile("REDIS", 10)
	header(f, "7.0.0")
	fns := []Function{
		{Opcode: 246, Name: "mylib", Engine: "LUA", Desc: "a described library",
			Code: "redis.register_function('f1', function(keys, args) return 1 end)"},
		{Opcode: 246, Name: "nodesc", Engine: "LUA",
			Code: "redis.register_function('f2', function(keys, args) return 2 end)"},
		{Opcode: 245, Code: "#!lua name=galib\nredis.register_function('f3', function() return 3 end)\n"},
	}
	for _, fn := range fns {
		f.byte1(fn.Opcode)
		if fn.Opcode == 246 {
			f.str(fn.Name)
			f.str(fn.Engine)
			if fn.Desc != "" {
				f.length(1)
				f.str(fn.Desc)
			} else {
				f.length(0)
			}
		}
		f.str(fn.Code)
	}
	f.selectDB(0)
	f.resizeDB(1, 0)
	f.entry(0, "k")
	f.str("v")
	keys := []Key{{Key: "k", Type: 0, ExpireMs: -1, Kind: "string", Str: "v"}}
	return File{Name: "hand_v10_function_prega.rdb", Version: 10, Magic: "REDIS", Data: f.finish(), Keys: keys,
		Functions: fns, CheckRDB: true,
		Note: "RDB 10 with function records of Redis 7.0 release candidates (opcode 246, with and without description) and a 245 record"}
}
