package rdb

import (
	"encoding/binary"
	"strconv"
)

// A ziplist (ziplist.c) is: zlbytes (uint32 LE), zltail (uint32 LE, offset
// of the last entry), zllen (uint16 LE, 65535 = unknown), entries, 0xFF.
// Each entry is prevlen (1 byte, or 0xFE + uint32 LE), an encoding with
// optional length, and the data.

const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
)

type zlIter struct {
	b       []byte
	p       int
	n       int
	count   int // -1 when unknown
	tail    int
	prevLen int
	last    int // offset of the last entry read
}

func zlOpen(b []byte) (zlIter, error) {
	if len(b) < zlHeaderSize+1 {
		return zlIter{}, errCorrupt("ziplist: %d bytes, too short for header and terminator", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return zlIter{}, errCorrupt("ziplist: header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != zlEnd {
		return zlIter{}, errCorrupt("ziplist: last byte is 0x%02x, not the 0xFF terminator", b[len(b)-1])
	}
	tail := binary.LittleEndian.Uint32(b[4:])
	if uint64(tail) > uint64(len(b)-1) {
		return zlIter{}, errCorrupt("ziplist: tail offset %d beyond the end", tail)
	}
	c := int(binary.LittleEndian.Uint16(b[8:]))
	if c == 0xFFFF {
		c = -1
	}
	return zlIter{b: b, p: zlHeaderSize, count: c, tail: int(tail), last: zlHeaderSize}, nil
}

func (it *zlIter) bad(what string) error {
	return errCorrupt("ziplist: entry %d at byte %d: %s", it.n, it.p, what)
}

// next returns the next entry (as an lpEntry: string or integer), or done
// at the terminator after checking the tail offset and count.
func (it *zlIter) next() (e lpEntry, done bool, err error) {
	b, p := it.b, it.p
	end := len(b) - 1
	if b[p] == zlEnd {
		if p != end {
			return e, false, errCorrupt("ziplist: terminator at byte %d of %d", p, len(b))
		}
		if it.tail != it.last {
			return e, false, errCorrupt("ziplist: tail offset %d, last entry at %d", it.tail, it.last)
		}
		if it.count >= 0 && it.count != it.n {
			return e, false, errCorrupt("ziplist: header counts %d entries, found %d", it.count, it.n)
		}
		return e, true, nil
	}
	// prevlen
	var prev uint64 // not int: 32 bits of prevlen would read as negative on 32-bit builds
	var q int
	if b[p] < 254 {
		prev, q = uint64(b[p]), p+1
	} else {
		if p+5 > end {
			return e, false, it.bad("prevlen runs past the end")
		}
		prev, q = uint64(binary.LittleEndian.Uint32(b[p+1:])), p+5
	}
	if prev != uint64(it.prevLen) {
		return e, false, it.bad("prevlen " + strconv.FormatUint(prev, 10) + ", previous entry is " + strconv.Itoa(it.prevLen) + " bytes")
	}
	if q >= end {
		return e, false, it.bad("encoding runs past the end")
	}
	c := b[q]
	var hdr, dlen int
	switch {
	case c>>6 == 0:
		hdr, dlen = 1, int(c&0x3f)
	case c>>6 == 1:
		if q+2 > end {
			return e, false, it.bad("14-bit length runs past the end")
		}
		hdr, dlen = 2, int(c&0x3f)<<8|int(b[q+1])
	case c>>6 == 2:
		if q+5 > end {
			return e, false, it.bad("32-bit length runs past the end")
		}
		l := binary.BigEndian.Uint32(b[q+1:])
		if uint64(l) > uint64(end-q) {
			return e, false, it.bad("string runs past the end")
		}
		hdr, dlen = 5, int(l)
	default:
		hdr = 1
		e.isInt = true
		switch c {
		case 0xC0:
			dlen = 2
		case 0xD0:
			dlen = 4
		case 0xE0:
			dlen = 8
		case 0xF0:
			dlen = 3
		case 0xFE:
			dlen = 1
		default:
			if c >= 0xF1 && c <= 0xFD {
				e.v = int64(c&0x0f) - 1
			} else {
				return e, false, it.bad("invalid encoding byte 0x" + strconv.FormatUint(uint64(c), 16))
			}
		}
	}
	if q+hdr+dlen > end {
		return e, false, it.bad("entry runs past the end")
	}
	d := b[q+hdr : q+hdr+dlen : q+hdr+dlen]
	if e.isInt {
		switch c {
		case 0xC0:
			e.v = int64(int16(binary.LittleEndian.Uint16(d)))
		case 0xD0:
			e.v = int64(int32(binary.LittleEndian.Uint32(d)))
		case 0xE0:
			e.v = int64(binary.LittleEndian.Uint64(d))
		case 0xF0:
			e.v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)
		case 0xFE:
			e.v = int64(int8(d[0]))
		}
	} else {
		e.s = d
	}
	it.last = p
	it.p = q + hdr + dlen
	it.prevLen = it.p - p
	it.n++
	return e, false, nil
}

// zlWalk decodes (v != nil) or checks a ziplist holding a list (types 10
// and quicklist nodes), a zset (12: member, score) or a hash (13: field,
// value).
// dups, when not nil, checks that zset members and hash fields are unique.
func zlWalk(b []byte, typ byte, v *Value, dups *dupSet, a *arena) error {
	it, err := zlOpen(b)
	if err != nil {
		return err
	}
	tuple := 1
	if typ == TypeZSetZiplist || typ == TypeHashZiplist {
		tuple = 2
	}
	count := it.count
	if count < 0 && v != nil {
		count = zlCount(b) // more than 65534 entries: count them, to size the result once
	}
	if v != nil && count > 0 {
		n := count / tuple
		switch typ {
		case TypeZSetZiplist:
			v.ZSet = make([]ZMember, 0, n)
		case TypeHashZiplist:
			v.Hash = make([]HashField, 0, n)
		default:
			if v.List == nil {
				v.List = make([][]byte, 0, n)
			}
		}
	}
	var first lpEntry
	k := 0
	if dups != nil {
		dups.reset()
		if tuple == 2 {
			dups.reserve(count / tuple)
		}
	}
	for {
		e, done, err := it.next()
		if err != nil {
			return err
		}
		if done {
			break
		}
		if tuple == 2 && k == 0 {
			if dups != nil && !dups.addEntry(e) {
				return errCorrupt("ziplist: entry %d is a duplicate member/field", it.n-1)
			}
			first, k = e, 1
			continue
		}
		k = 0
		switch typ {
		case TypeZSetZiplist:
			var sc float64
			if e.isInt {
				sc = float64(e.v)
			} else if sc, err = parseScore(e.s); err != nil {
				return err
			}
			if v != nil {
				v.ZSet = append(v.ZSet, ZMember{Member: a.entry(first), Score: sc})
			}
		case TypeHashZiplist:
			if v != nil {
				v.Hash = append(v.Hash, HashField{Field: a.entry(first), Value: a.entry(e), ExpireMs: -1})
			}
		default:
			if v != nil {
				v.List = append(v.List, a.entry(e))
			}
		}
	}
	if k != 0 {
		return errCorrupt("ziplist: %d entries, not a multiple of %d", it.n, tuple)
	}
	return nil
}

// zlCount counts a ziplist's entries (up to the first damage, which the
// decoding pass reports).
func zlCount(b []byte) int {
	it, err := zlOpen(b)
	if err != nil {
		return 0
	}
	it.count = -1
	for {
		if _, done, err := it.next(); err != nil || done {
			return it.n
		}
	}
}

// zlBuilder writes a ziplist the way Redis does (integers for canonical
// integer strings shorter than 32 bytes).
type zlBuilder struct {
	b       []byte
	n       int
	prevLen int
	last    int
}

func newZLBuilder() *zlBuilder {
	return &zlBuilder{b: make([]byte, zlHeaderSize, 64), last: zlHeaderSize}
}

func (w *zlBuilder) size() int { return len(w.b) + 1 }

func (w *zlBuilder) add(s []byte) {
	start := len(w.b)
	if w.prevLen < 254 {
		w.b = append(w.b, byte(w.prevLen))
	} else {
		w.b = append(w.b, 254)
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(w.prevLen))
	}
	if v, ok := parseCanonicalInt(s); ok && len(s) < 32 {
		switch {
		case v >= 0 && v <= 12:
			w.b = append(w.b, 0xF1+byte(v))
		case v >= -128 && v <= 127:
			w.b = append(w.b, 0xFE, byte(v))
		case v >= math16Min && v <= math16Max:
			w.b = append(w.b, 0xC0, byte(v), byte(v>>8))
		case v >= -(1<<23) && v <= 1<<23-1:
			w.b = append(w.b, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case v >= -(1<<31) && v <= 1<<31-1:
			w.b = append(w.b, 0xD0)
			w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v))
		default:
			w.b = append(w.b, 0xE0)
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(v))
		}
	} else {
		switch l := len(s); {
		case l <= 0x3f:
			w.b = append(w.b, byte(l))
		case l <= 0x3fff:
			w.b = append(w.b, 0x40|byte(l>>8), byte(l))
		default:
			w.b = append(w.b, 0x80)
			w.b = binary.BigEndian.AppendUint32(w.b, uint32(l))
		}
		w.b = append(w.b, s...)
	}
	w.last = start
	w.prevLen = len(w.b) - start
	w.n++
}

func (w *zlBuilder) finish() []byte {
	w.b = append(w.b, zlEnd)
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)))
	binary.LittleEndian.PutUint32(w.b[4:], uint32(w.last))
	c := w.n
	if c > 0xFFFF {
		c = 0xFFFF
	}
	binary.LittleEndian.PutUint16(w.b[8:], uint16(c))
	return w.b
}
