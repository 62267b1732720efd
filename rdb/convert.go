package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// ErrUnconvertible: a value that the target RDB version cannot express
// (module values, streams before version 9, ...).
var ErrUnconvertible = errors.New("value cannot be expressed in the target RDB version")

// ConvertEntry re-encodes e's value in place when the server of RDB
// version version cannot load its type (listpacks become ziplists or plain
// types, quicklist 2 becomes quicklist, hash field expiries are dropped,
// streams lose the metadata older versions lack, ...). It returns a warning
// for every piece of data that was dropped. Entries already loadable are
// left untouched (no warnings, no error). Values nothing older can express
// give an error wrapping ErrUnconvertible; a damaged value gives an *Error
// with the entry's offset and key.
func ConvertEntry(e *Entry, version int) (warnings []string, err error) {
	if e == nil {
		return nil, errNilEntry
	}
	needs := !TypeSupported(e.Type, version)
	if !needs && e.Type == TypeHashMetadataPreGA && len(e.Value) > 0 {
		// Type 22 is Valkey's hash with field expiries in Valkey files and
		// the 7.4 release candidates' layout in Redis files.
		needs = isValkeyHash2(e.Value) != (version >= 80)
	}
	if !needs {
		return nil, nil
	}
	if e.Value == nil && e.ValueLen > 0 {
		return nil, fmt.Errorf("%w: key %q: value bytes not kept, cannot convert", ErrUnconvertible, e.Key)
	}
	if e.Type == TypeModule2 {
		return nil, fmt.Errorf("%w: key %q: module values need RDB version %d (Redis 4.0), not %d", ErrUnconvertible, e.Key, typeSince[TypeModule2], version)
	}
	if e.Type == TypeModule {
		return nil, fmt.Errorf("%w: key %q: module values (type %d) can only be rewritten by their module", ErrUnconvertible, e.Key, e.Type)
	}
	v, err := DecodeValue(e.Type, e.Value)
	if err != nil {
		// damaged data: say where and which key, as the Reader does
		return nil, &Error{Offset: e.Offset(), Key: append([]byte{}, e.Key...), Err: err}
	}
	ev := effectiveVersion(version)
	switch v.Kind {
	case "hash":
		if ev < 12 && version < 80 {
			n := 0
			for i := range v.Hash {
				if v.Hash[i].ExpireMs >= 0 {
					v.Hash[i].ExpireMs = -1
					n++
				}
			}
			if n > 0 {
				warnings = append(warnings, fmt.Sprintf("key %q: %d hash field expiries dropped (RDB version %d has none)", e.Key, n, version))
			}
		}
	case "stream":
		if ev < 9 {
			return nil, fmt.Errorf("%w: key %q: streams need RDB version 9 (Redis 5.0), not %d", ErrUnconvertible, e.Key, version)
		}
		st := v.Stream
		if e.Type >= TypeStreamListpacks2 && ev < 10 {
			warnings = append(warnings, fmt.Sprintf("key %q: stream first/max-deleted IDs, entries-added and consumer-group entries-read dropped (RDB version %d)", e.Key, version))
		}
		if e.Type >= TypeStreamListpacks3 && ev < 11 && activeTimesLost(st) {
			warnings = append(warnings, fmt.Sprintf("key %q: stream consumer active times dropped (RDB version %d)", e.Key, version))
		}
	}
	// decoded, so nothing repeated; but stream IDs out of order decode
	typ, raw, err := encodeValue(v, version)
	if errors.Is(err, ErrInvalidValue) { // damaged data, as above
		return nil, &Error{Offset: e.Offset(), Key: append([]byte{}, e.Key...), Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", e.Key, err)
	}
	e.Type, e.Value, e.ValueLen = typ, raw, int64(len(raw))
	return warnings, nil
}

// The RDB versions that introduced the records and opcodes around values
// (rdb.h, and the RDB version history): a server of an older version stops
// at them. Versions 80 and up (Valkey's numbering) know all of them.
const (
	expireMsSince = 3  // opcode 252, expiry in ms (Redis 2.6); before it 253, seconds
	auxSince      = 7  // opcodes 250 (aux fields) and 251 (resize-db), Redis 3.2
	lruLfuSince   = 9  // opcodes 248/249 (idle, freq) and 247 (module aux), Redis 5.0
	functionSince = 10 // opcode 245, function libraries, Redis 7.0
	slotInfoSince = 12 // opcode 244, cluster slot info, Redis 7.4
)

// valkeyVersion reports whether version is Valkey's numbering.
func valkeyVersion(version int) bool { return version >= 80 }

// maxSecondsExpiry is the last expiry the 4-byte seconds form (opcode 253)
// holds: Redis reads it as a signed 32-bit count of seconds, times 1000.
const maxSecondsExpiry = math.MaxInt32 * 1000

// entryPrefixProblem names what of e's expiry, idle and freq version cannot
// hold as they are, or returns "". The Writer refuses such entries; a
// Conversion changes them first.
func entryPrefixProblem(e *Entry, version int) string {
	if e.ExpireMs >= 0 && version < expireMsSince {
		if e.ExpireMs%1000 != 0 || e.ExpireMs > maxSecondsExpiry {
			return fmt.Sprintf("expiry %d ms is not a whole second up to 2038-01-19 (RDB version %d stores 4-byte seconds)", e.ExpireMs, version)
		}
	}
	if version < lruLfuSince && !valkeyVersion(version) {
		if e.Idle >= 0 {
			return fmt.Sprintf("LRU idle time (RDB version %d has none; they arrived in %d)", version, lruLfuSince)
		}
		if e.Freq >= 0 {
			return fmt.Sprintf("LFU frequency (RDB version %d has none; they arrived in %d)", version, lruLfuSince)
		}
	}
	return ""
}

// RecordUnsupported names the kind of a record other than an entry or the
// header that a server of RDB version version cannot load ("aux fields",
// "function libraries", ...), or returns "" when it can.
func RecordUnsupported(rec Record, version int) string {
	valkey := valkeyVersion(version)
	switch rec.(type) {
	case *Function:
		if version < functionSince && !valkey {
			return "function libraries"
		}
	case *SlotInfo:
		if version < slotInfoSince && !valkey {
			return "slot info records"
		}
	case *SlotImport:
		if !valkey {
			return "Valkey slot import records"
		}
	case *ModuleAux:
		if version < lruLfuSince && !valkey {
			return "module aux records"
		}
	case *Aux:
		if version < auxSince {
			return "aux fields"
		}
	case *ResizeDB:
		if version < auxSince {
			return "resize-db hints"
		}
	}
	return ""
}

// A Conversion makes the records of a file loadable by a server of one RDB
// version. It is the one set of version rules behind both
// rewrite --rdb-version and import --rdb-version:
//
//   - values the version cannot load are re-encoded (ConvertEntry); keys it
//     cannot express at all (module values before 8, streams before 9) are
//     unconvertible;
//   - LRU idle times and LFU frequencies are dropped before version 9;
//   - before version 3 expiries are written in seconds (opcode 253), which
//     Redis reads back as seconds × 1000: a millisecond expiry is rounded
//     up to the next whole second (the key never expires early); an expiry
//     after 2038-01-19 03:14:07 UTC does not fit and the key is
//     unconvertible;
//   - records the version does not know (aux fields and resize-db before 7,
//     module aux before 9, functions before 10, slot info before 12) are
//     dropped.
//
// Data dropped from one key is reported by Entry; what is dropped from many
// keys or records is counted and reported once by Warnings.
type Conversion struct {
	version             int
	idle, freq, rounded int
	records             map[string]int
	recordOrder         []string
}

// NewConversion returns the rules for RDB version version (Valkey's
// numbering from 80).
func NewConversion(version int) *Conversion {
	return &Conversion{version: version, records: map[string]int{}}
}

// Version is the target RDB version.
func (c *Conversion) Version() int { return c.version }

// Entry makes e loadable by the target version, in place. It returns
// warnings for data dropped from this key; an error wrapping
// ErrUnconvertible when the version cannot hold the key at all (e may then
// be partly changed: drop it); any other error for a damaged value.
func (c *Conversion) Entry(e *Entry) (warnings []string, err error) {
	if e == nil {
		return nil, errNilEntry
	}
	v := c.version
	secs := e.ExpireMs / 1000 // rounded up below: never earlier than the original
	if e.ExpireMs%1000 != 0 {
		secs++ // (not (ms+999)/1000: Redis takes expiries up to MaxInt64 ms)
	}
	seconds := e.ExpireMs >= 0 && v < expireMsSince
	if seconds && secs > math.MaxInt32 {
		return nil, fmt.Errorf("%w: key %q: expiry %d ms is after 2038-01-19 03:14:07 UTC, the last RDB version %d can hold (4-byte seconds)",
			ErrUnconvertible, e.Key, e.ExpireMs, v)
	}
	warnings, err = ConvertEntry(e, v)
	if err != nil {
		return nil, err
	}
	if seconds {
		if secs*1000 != e.ExpireMs {
			c.rounded++
		}
		e.ExpireMs, e.ExpireSeconds = secs*1000, true
	}
	if v < lruLfuSince && !valkeyVersion(v) {
		if e.Idle >= 0 {
			e.Idle = -1
			c.idle++
		}
		if e.Freq >= 0 {
			e.Freq = -1
			c.freq++
		}
	}
	return warnings, nil
}

// Keep reports whether rec (any record but an entry or the header) can be
// written at the target version; a record that cannot is counted for
// Warnings and must be left out.
func (c *Conversion) Keep(rec Record) bool {
	why := RecordUnsupported(rec, c.version)
	if why == "" {
		if f, ok := rec.(*Function); ok && f.Opcode == OpFunctionPreGA {
			// Released servers refuse opcode 246 (7.0 release
			// candidates): write the library in the released form.
			f.Code = FunctionLoadCode(f)
			f.Opcode, f.Raw = OpFunction2, nil
		}
		return true
	}
	if c.records[why] == 0 {
		c.recordOrder = append(c.recordOrder, why)
	}
	c.records[why]++
	return false
}

// Warnings describes, once each, what was dropped or changed across many
// keys and records so far, in a fixed order.
func (c *Conversion) Warnings() []string {
	var ws []string
	v := c.version
	if c.idle > 0 {
		ws = append(ws, fmt.Sprintf("LRU idle times of %d keys dropped (RDB version %d has none; they arrived in %d)", c.idle, v, lruLfuSince))
	}
	if c.freq > 0 {
		ws = append(ws, fmt.Sprintf("LFU frequencies of %d keys dropped (RDB version %d has none; they arrived in %d)", c.freq, v, lruLfuSince))
	}
	if c.rounded > 0 {
		ws = append(ws, fmt.Sprintf("expiries of %d keys rounded up to the next whole second (RDB version %d stores seconds; milliseconds arrived in %d)", c.rounded, v, expireMsSince))
	}
	for _, why := range c.recordOrder {
		ws = append(ws, fmt.Sprintf("%d %s dropped (RDB version %d has none)", c.records[why], why, v))
	}
	return ws
}

// FunctionLoadCode is a library's code as FUNCTION LOAD takes it. A 7.0
// release-candidate library (opcode 246) keeps name and engine apart from a
// code without the "#!engine name=lib" line; it is added back.
func FunctionLoadCode(f *Function) []byte {
	if f == nil {
		return nil
	}
	if f.Opcode != OpFunctionPreGA || bytes.HasPrefix(f.Code, []byte("#!")) {
		return f.Code
	}
	head := "#!" + string(f.Engine) + " name=" + string(f.Name) + "\n"
	return append([]byte(head), f.Code...)
}

// activeTimesLost reports whether a stream below type 3 loses consumer
// active times: Redis loads those as the seen time, so only a consumer
// whose active time is not its seen time loses anything.
func activeTimesLost(st *Stream) bool {
	for _, g := range st.Groups {
		for _, c := range g.Consumers {
			if c.ActiveTime != c.SeenTime {
				return true
			}
		}
	}
	return false
}
