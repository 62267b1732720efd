package rdb

// Opcodes that may appear where a value type byte is expected (rdb.h).
const (
	OpSlotInfo      = 244 // cluster slot info (Redis >= 7.4, Valkey)
	OpFunction2     = 245 // function library (Redis >= 7.0)
	OpFunctionPreGA = 246 // function library (7.0 release candidates)
	OpModuleAux     = 247 // module auxiliary data
	OpIdle          = 248 // LRU idle time of the next key
	OpFreq          = 249 // LFU frequency of the next key
	OpAux           = 250 // auxiliary field: string key, string value
	OpResizeDB      = 251 // database size hints
	OpExpireTimeMs  = 252 // expiry of the next key, unix ms, 8 bytes LE
	OpExpireTime    = 253 // expiry of the next key, unix s, 4 bytes LE (old files)
	OpSelectDB      = 254 // database number follows
	OpEOF           = 255 // end of records; the CRC-64 follows (version >= 5)
)

// Value types: the byte before a key.
const (
	TypeString              = 0
	TypeList                = 1
	TypeSet                 = 2
	TypeZSet                = 3
	TypeHash                = 4
	TypeZSet2               = 5
	TypeModule              = 6 // pre-GA module value: cannot be skipped
	TypeModule2             = 7
	TypeHashZipmap          = 9
	TypeListZiplist         = 10
	TypeSetIntset           = 11
	TypeZSetZiplist         = 12
	TypeHashZiplist         = 13
	TypeListQuicklist       = 14
	TypeStreamListpacks     = 15
	TypeHashListpack        = 16
	TypeZSetListpack        = 17
	TypeListQuicklist2      = 18
	TypeStreamListpacks2    = 19
	TypeSetListpack         = 20
	TypeStreamListpacks3    = 21
	TypeHashMetadataPreGA   = 22
	TypeHashListpackExPreGA = 23
	TypeHashMetadata        = 24
	TypeHashListpackEx      = 25
)

// Length encodings (the top two bits of the first length byte).
const (
	len6Bit   = 0
	len14Bit  = 1
	len32Or64 = 2
	lenEncVal = 3

	len32Bit = 0x80
	len64Bit = 0x81

	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Module value opcodes (module.c: RDB_MODULE_OPCODE_*).
const (
	ModuleOpEOF    = 0
	ModuleOpSInt   = 1
	ModuleOpUInt   = 2
	ModuleOpFloat  = 3
	ModuleOpDouble = 4
	ModuleOpString = 5
)

// Quicklist 2 node containers.
const (
	quicklistNodePlain  = 1
	quicklistNodePacked = 2
)

// MaxVersion is the newest RDB version this package encodes values for
// (EncodeValue, Conversion). The Reader also reads files of version
// MaxVersion+1 (newer Redis 8 releases) as far as they use the types and
// opcodes listed here, and the Writer writes them back. These numbers are
// for the REDIS magic; Valkey files use their own (80 and up).
const MaxVersion = 12

// moduleCharset is the alphabet of module type names (module.c).
const moduleCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// moduleName decodes the 9-character type name packed into the top 54 bits
// of a module id; the low 10 bits are the encoding version.
func moduleName(id uint64) string {
	var name [9]byte
	for i := 0; i < 9; i++ {
		name[i] = moduleCharset[(id>>(10+uint(8-i)*6))&63]
	}
	return string(name[:])
}

// ModuleEncVer returns the encoding version packed into a module id.
func ModuleEncVer(id uint64) int { return int(id & 1023) }
