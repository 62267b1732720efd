package rdb

import "strconv"

// Value is a decoded value: the data of one key, independent of the
// encoding it had in the file. Only the field for its Kind is set. A
// collection's byte slices never share memory with the raw value they were
// decoded from; String may (see DecodeValue).
type Value struct {
	Kind   string // TypeName of the type byte: "string", "list", "set", "zset", "hash", "stream", "module"
	String []byte
	List   [][]byte    // list elements in order
	Set    [][]byte    // set members, in file order
	ZSet   []ZMember   // sorted set members with scores (±Inf kept; a NaN score is refused, as Redis refuses it), in file order
	Hash   []HashField // hash fields, in file order
	Stream *Stream
	Module *ModuleValue
}

// ZMember is one member of a sorted set.
type ZMember struct {
	Member []byte
	Score  float64
}

// HashField is one field of a hash. ExpireMs is the field's absolute expiry
// in unix milliseconds (hash field expiry, Redis >= 7.4), or -1 for none.
type HashField struct {
	Field, Value []byte
	ExpireMs     int64
}

// ModuleValue identifies a module value (type 7). The module's own data is
// opaque: only the module that wrote it can read it.
type ModuleValue struct {
	ID     uint64 // 54-bit type name + 10-bit encoding version
	Name   string // the 9-character module type name
	EncVer int
}

// StreamID is a stream entry ID (milliseconds-sequence).
type StreamID struct{ Ms, Seq uint64 }

// String is the ID as Redis writes it: "ms-seq".
func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Less reports whether id sorts before o.
func (id StreamID) Less(o StreamID) bool {
	return id.Ms < o.Ms || (id.Ms == o.Ms && id.Seq < o.Seq)
}

// Stream is a decoded stream: its live entries and consumer groups.
type Stream struct {
	Entries      []StreamEntry // live entries only, in Redis's order: nodes by master ID, a node's entries as stored (ID order in every stream Redis writes)
	Length       uint64        // number of live entries
	LastID       StreamID
	FirstID      StreamID // RDB stream type 2+ (Redis 7.0); zero before
	MaxDeletedID StreamID // RDB stream type 2+; zero before
	EntriesAdded uint64   // RDB stream type 2+; equal to Length before
	Groups       []StreamGroup
}

// StreamEntry is one stream entry.
type StreamEntry struct {
	ID     StreamID
	Fields []StreamField
}

// StreamField is one field-value pair of a stream entry.
type StreamField struct {
	Name, Value []byte
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1 when unknown (and before RDB stream type 2)
	Pending     []StreamPEL
	Consumers   []StreamConsumer
}

// StreamPEL is an entry of a group's pending entries list.
type StreamPEL struct {
	ID            StreamID
	DeliveryTime  int64 // unix ms of the last delivery
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group with the IDs it has pending.
type StreamConsumer struct {
	Name       []byte
	SeenTime   int64 // unix ms
	ActiveTime int64 // unix ms, -1 never active; before stream type 3 (Redis 7.2) not stored: SeenTime, as Redis loads it
	Pending    []StreamID
}

// TypeNames are the logical types TypeName returns for the known type
// bytes, in that order.
var TypeNames = []string{"string", "list", "set", "zset", "hash", "stream", "module"}

// TypeName returns the logical type of a value type byte: "string", "list",
// "set", "zset", "hash", "stream" or "module"; "unknown" for anything else.
func TypeName(typ byte) string {
	switch typ {
	case TypeString:
		return "string"
	case TypeList, TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return "list"
	case TypeSet, TypeSetIntset, TypeSetListpack:
		return "set"
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return "zset"
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack,
		TypeHashMetadataPreGA, TypeHashListpackExPreGA, TypeHashMetadata, TypeHashListpackEx:
		return "hash"
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return "stream"
	case TypeModule, TypeModule2:
		return "module"
	}
	return "unknown"
}

// EncodingName names the encoding of a value as stored: for strings "int",
// "raw" or "lzf" (looked up in raw's first byte); for the other types the
// encoding the type byte implies ("linkedlist", "quicklist", "quicklist2",
// "ziplist", "listpack", "listpackex", "intset", "hashtable",
// "hashtable-ex", "skiplist", "zipmap", "stream", "module").
func EncodingName(typ byte, raw []byte) string {
	switch typ {
	case TypeString:
		if len(raw) > 0 && raw[0]>>6 == lenEncVal {
			if raw[0]&0x3f == encLZF {
				return "lzf"
			}
			return "int"
		}
		return "raw"
	case TypeList:
		return "linkedlist"
	case TypeSet, TypeHash:
		return "hashtable"
	case TypeZSet, TypeZSet2:
		return "skiplist"
	case TypeModule, TypeModule2:
		return "module"
	case TypeHashZipmap:
		return "zipmap"
	case TypeListZiplist, TypeZSetZiplist, TypeHashZiplist:
		return "ziplist"
	case TypeSetIntset:
		return "intset"
	case TypeListQuicklist:
		return "quicklist"
	case TypeListQuicklist2:
		return "quicklist2"
	case TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		return "listpack"
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return "stream"
	case TypeHashMetadataPreGA, TypeHashMetadata:
		return "hashtable-ex"
	case TypeHashListpackExPreGA, TypeHashListpackEx:
		return "listpackex"
	}
	return "unknown"
}

// typeSince is the first RDB version whose Redis loads each type. Where the
// history is unclear (the 2.x compact encodings) the version is a safe upper
// guess: converting for an older server then falls back to a plain type.
var typeSince = [...]int{
	TypeString: 1, TypeList: 1, TypeSet: 1, TypeZSet: 1, TypeHash: 1,
	TypeZSet2: 8, TypeModule: 0, TypeModule2: 8, 8: 0,
	TypeHashZipmap: 2, TypeListZiplist: 2, TypeSetIntset: 2, TypeZSetZiplist: 2,
	TypeHashZiplist: 6, TypeListQuicklist: 7, TypeStreamListpacks: 9,
	TypeHashListpack: 10, TypeZSetListpack: 10, TypeListQuicklist2: 10,
	TypeStreamListpacks2: 10, TypeSetListpack: 11, TypeStreamListpacks3: 11,
	TypeHashMetadataPreGA: 12, TypeHashListpackExPreGA: 12,
	TypeHashMetadata: 12, TypeHashListpackEx: 12,
}

// effectiveVersion maps Valkey's own RDB numbering (80 and up, Valkey 9)
// onto the Redis version whose types it loads (RDB 11: no hash field
// expiry types).
func effectiveVersion(version int) int {
	if version >= 80 {
		return 11
	}
	return version
}

// TypeSupported reports whether a server writing/reading RDB version
// version loads values of type typ. Type 6 (4.0 release-candidate modules)
// is supported by none. Versions 80 and up are Valkey's numbering: the
// types of RDB 11 plus 22, which Valkey uses for hashes with field expiry.
func TypeSupported(typ byte, version int) bool {
	if int(typ) >= len(typeSince) || typeSince[typ] == 0 {
		return false
	}
	if version >= 80 && typ == TypeHashMetadataPreGA {
		return true // Valkey 9's RDB_TYPE_HASH_2
	}
	return effectiveVersion(version) >= typeSince[typ]
}
