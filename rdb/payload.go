package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// DumpPayload returns the entry as a DUMP/RESTORE payload: the type byte,
// the raw value bytes, the 2-byte little-endian RDB version and the CRC-64
// of all of that.
func (e *Entry) DumpPayload(version int) []byte {
	p := make([]byte, 0, 1+len(e.Value)+10)
	p = append(p, e.Type)
	p = append(p, e.Value...)
	p = binary.LittleEndian.AppendUint16(p, uint16(version))
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// EntryFromDump turns a DUMP payload into an entry for key (DB 0, no
// expiry, idle or freq) and returns the payload's RDB version. It checks the
// checksum and that the value bytes are exactly one value of the type.
func EntryFromDump(key, payload []byte) (*Entry, int, error) {
	if len(payload) < 11 {
		return nil, 0, &Error{Offset: 0, Key: keyOrEmpty(key), Err: fmt.Errorf("%w: DUMP payload of %d bytes (at least 11 needed)", ErrTruncated, len(payload))}
	}
	body := payload[:len(payload)-8]
	stored := binary.LittleEndian.Uint64(payload[len(payload)-8:])
	if got := CRC64(0, body); got != stored {
		return nil, 0, &Error{Offset: int64(len(body)), Key: keyOrEmpty(key), Err: fmt.Errorf("%w: payload says %016x, content gives %016x", ErrChecksum, stored, got)}
	}
	version := int(binary.LittleEndian.Uint16(body[len(body)-2:]))
	typ := payload[0]
	value := body[1 : len(body)-2]
	if !typeKnown(typ) {
		return nil, version, &Error{Offset: 0, Key: keyOrEmpty(key), Err: fmt.Errorf("%w %d", ErrUnknownType, typ)}
	}
	// walk the value by its structure: it must be exactly one value
	r := NewReader(bytes.NewReader(value), SkipValues(), readerFeed(false))
	r.header = &Header{Magic: "REDIS", Version: version}
	r.valkey = version >= 80
	if err := r.skipValue(typ); err != nil {
		return nil, version, &Error{Offset: 1 + r.Offset(), Key: keyOrEmpty(key), Err: err}
	}
	if r.Offset() != int64(len(value)) {
		return nil, version, &Error{Offset: 1 + r.Offset(), Key: keyOrEmpty(key), Err: fmt.Errorf("%w: %d bytes after the value", ErrCorrupt, int64(len(value))-r.Offset())}
	}
	e := &Entry{
		Key:      append([]byte(nil), key...),
		Type:     typ,
		ExpireMs: -1, Idle: -1, Freq: -1,
		Value: append([]byte(nil), value...),
	}
	e.ValueLen = int64(len(e.Value))
	e.origExpire, e.origIdle, e.origFreq = -1, -1, -1
	return e, version, nil
}

func keyOrEmpty(key []byte) []byte {
	if key == nil {
		return []byte{}
	}
	return key
}
