package rdb

import "bytes"

// A Record is one item of an RDB file, in file order. Reader.Next returns
// one of: *Header, *Aux, *ModuleAux, *Function, *SelectDB, *ResizeDB,
// *SlotInfo, *SlotImport (Valkey), *Entry. The end of the file (opcode 255 and the checksum) is not
// a record: Next returns io.EOF after it, and Reader.Checksum reports it.
type Record interface {
	// Offset is the byte offset of the record's first byte in the input.
	Offset() int64
}

// pos is embedded in every record to carry its offset.
type pos struct{ off int64 }

// Offset is the byte offset of the record's first byte in the input (for
// an entry, its first expire, idle or freq opcode when it has one); 0 for a
// record built in code.
func (p pos) Offset() int64 { return p.off }

// Header is the file's magic and version: "REDIS" and 1..13 (MaxVersion+1),
// or "VALKEY" and Valkey's own numbering (80 and up).
type Header struct {
	pos
	Magic   string // "REDIS" or "VALKEY"
	Version int
}

// Aux is an auxiliary field (opcode 250): redis-ver, redis-bits, ctime,
// used-mem, repl-id, aof-base, ...
type Aux struct {
	pos
	Key, Value []byte
	raw        []byte // the record's bytes after the opcode, as read; reused by the Writer when Key/Value are unchanged
	origKey    string // Key and Value as read, to detect changes
	origValue  string
}

// ModuleAux is a module's auxiliary data (opcode 247), kept raw: the bytes
// after the opcode, up to and including the module EOF marker.
type ModuleAux struct {
	pos
	ModuleID uint64 // 54-bit name + 10-bit encoding version, as module.c packs it
	Raw      []byte
}

// ModuleName decodes the 9-character module name from the module id.
func (m *ModuleAux) ModuleName() string { return moduleName(m.ModuleID) }

// Function is a function library (opcode 245, or 246 for 7.0 release
// candidates). Code is the library source for 245.
type Function struct {
	pos
	Opcode byte   // OpFunction2 or OpFunctionPreGA
	Code   []byte // the library code (as FUNCTION LOAD takes it)
	Raw    []byte // the bytes after the opcode, exactly as in the file
	// for OpFunctionPreGA: library name, engine and description
	Name, Engine, Desc []byte
	origCode           string
}

// Library is the library's name: from the "#!lua name=..." line of its
// code, or the name field of the pre-release format; "" when it has none.
func (f *Function) Library() string {
	if f.Opcode == OpFunctionPreGA && len(f.Name) > 0 {
		return string(f.Name)
	}
	line := f.Code
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !bytes.HasPrefix(line, []byte("#!")) {
		return ""
	}
	for _, field := range bytes.Fields(line) {
		if v, ok := bytes.CutPrefix(field, []byte("name=")); ok {
			return string(v)
		}
	}
	return ""
}

// SelectDB switches the database that the following entries belong to.
type SelectDB struct {
	pos
	DB     int
	raw    []byte
	origDB int
}

// ResizeDB is the size hint that precedes a database's keys.
type ResizeDB struct {
	pos
	DBSize, ExpiresSize uint64
	raw                 []byte
	orig                [2]uint64
}

// SlotInfo is a cluster slot size hint (opcode 244).
type SlotInfo struct {
	pos
	Slot, SlotSize, ExpiresSlotSize uint64
	raw                             []byte
	orig                            [3]uint64
}

// SlotImport is Valkey's slot import state (opcode 243 in VALKEY files),
// kept raw: the bytes after the opcode.
type SlotImport struct {
	pos
	Raw []byte
}

// Entry is one key with its value. Value holds the value's bytes exactly as
// they are in the file (everything after the key), so writing an entry back
// copies them; Decode turns them into data when a caller needs it.
type Entry struct {
	pos
	DB   int
	Key  []byte
	Type byte // TypeString ... TypeHashListpackEx

	// ExpireMs is the absolute expiry in unix milliseconds, or -1 for none.
	// The Reader gives 0 for an expiry stored as a negative number (before
	// 1970: Redis drops the key on load), but -1 for a stored -1 ms, which
	// Redis loads as no expiry.
	ExpireMs int64
	// ExpireSeconds is true when the file used the old 4-byte seconds form
	// (opcode 253); the Writer keeps that form when it can.
	ExpireSeconds bool
	// Idle is the LRU idle time in seconds (opcode 248), or -1 when absent.
	Idle int64
	// Freq is the LFU counter (opcode 249), or -1 when absent.
	Freq int

	// Value is the raw value bytes. With the SkipValues option of the
	// Reader, and for the entries a SkipValueIf function chose, it is nil
	// (the value was skipped by its structure, see ValueSkipped); ValueLen
	// is always set.
	// To change a value assign a new slice: the Writer reuses what it knows
	// about the bytes it was read with (their CRC) while Value is that slice.
	Value    []byte
	ValueLen int64

	// as read, so the Writer can reproduce the file byte for byte when the
	// fields above are unchanged
	rawKey     []byte // the key's string encoding exactly as read
	origExpire int64
	origSecs   bool
	origIdle   int64
	origFreq   int
	prefix     []byte    // expiry/idle/freq opcodes exactly as read
	noSelectDB bool      // read before any SELECTDB record (the Writer then emits none for DB 0)
	spans      []crcSpan // big stretches of Value with their CRC-64, valid while Value is spanVal
	spanVal    []byte
	head       byte // the value's first byte, noted when the Reader skipped the value (SkipValues)
	headOK     bool // head is set
	skipped    bool // the Reader skipped the value (SkipValues, SkipValueIf)
}

// ValueSkipped reports whether the Reader skipped this entry's value
// (SkipValues, or a SkipValueIf function that chose it): Value is nil,
// only ValueLen tells its size, and a Writer refuses the entry. Assigning
// a new Value makes the entry whole again.
func (e *Entry) ValueSkipped() bool { return e.skipped && e.Value == nil }

// Encoding returns the name of the value's encoding (see EncodingName):
// "int", "raw" or "lzf" for a string, "listpack", "quicklist2", ... With
// the Reader's SkipValues option Value is nil, yet a string's encoding is
// known all the same: the Reader notes the value's first byte, which tells
// it, while skipping the value. "string" when it is unknown (a string
// Entry with a nil Value not from a Reader).
func (e *Entry) Encoding() string {
	if e.Value == nil && e.Type == TypeString && e.ValueLen > 0 {
		if !e.headOK {
			return "string"
		}
		h := [1]byte{e.head}
		return EncodingName(e.Type, h[:])
	}
	return EncodingName(e.Type, e.Value)
}

// HasExpiry reports whether the entry has an expiry.
func (e *Entry) HasExpiry() bool { return e.ExpireMs >= 0 }
