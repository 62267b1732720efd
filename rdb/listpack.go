package rdb

import (
	"encoding/binary"
	"strconv"
)

// A listpack (listpack.c) is: total bytes (uint32 LE), element count
// (uint16 LE, 65535 = unknown), entries, 0xFF. Each entry is an encoding
// byte with optional length/data, then a "backlen" of 1-5 bytes holding the
// size of encoding+data, so the list can be walked backwards.

const (
	lpHeaderSize = 6
	lpEnd        = 0xFF
	lpCountMax   = 65535
)

// lpEntry is one listpack element: a string, or an integer when isInt.
type lpEntry struct {
	s     []byte
	v     int64
	isInt bool
}

// bytes returns the element as a string (integers in decimal); for
// strings the result aliases the listpack.
func (e lpEntry) bytes() []byte {
	if e.isInt {
		return strconv.AppendInt(nil, e.v, 10)
	}
	return e.s
}

// int returns the element as an integer, accepting strings that hold a
// canonical integer (as lpGetIntegerIfValid does).
func (e lpEntry) int() (int64, bool) {
	if e.isInt {
		return e.v, true
	}
	return parseCanonicalInt(e.s)
}

// parseCanonicalInt parses s when it is exactly the decimal form of an
// int64 (no sign '+', no leading zeros, no spaces), like Redis's string2ll.
func parseCanonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (1<<64-1)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
		if u > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(u), true // u == 1<<63 gives MinInt64
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// lpIter walks a listpack, checking each entry's bounds and backlen.
type lpIter struct {
	b     []byte
	p     int
	n     int // entries returned so far
	count int // from the header; -1 when unknown
}

func lpOpen(b []byte) (lpIter, error) {
	if len(b) < lpHeaderSize+1 {
		return lpIter{}, errCorrupt("listpack: %d bytes, too short for header and terminator", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return lpIter{}, errCorrupt("listpack: header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != lpEnd {
		return lpIter{}, errCorrupt("listpack: last byte is 0x%02x, not the 0xFF terminator", b[len(b)-1])
	}
	c := int(binary.LittleEndian.Uint16(b[4:]))
	if c == lpCountMax {
		c = -1
	}
	return lpIter{b: b, p: lpHeaderSize, count: c}, nil
}

// lpBacklenSize is the size of the backlen for an entry of l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// next returns the next entry, or done at the terminator (after checking
// that it is the last byte and that the count matches the header).
func (it *lpIter) next() (e lpEntry, done bool, err error) {
	b, p := it.b, it.p
	end := len(b) - 1 // index of the terminator
	c := b[p]
	if c == lpEnd {
		if p != end {
			return e, false, errCorrupt("listpack: terminator at byte %d of %d", p, len(b))
		}
		if it.count >= 0 && it.count != it.n {
			return e, false, errCorrupt("listpack: header counts %d entries, found %d", it.count, it.n)
		}
		return e, true, nil
	}
	var hdr, dlen int
	switch {
	case c < 0x80: // 7-bit unsigned int
		hdr = 1
		e.isInt, e.v = true, int64(c)
	case c&0xC0 == 0x80: // 6-bit length string
		hdr, dlen = 1, int(c&0x3f)
	case c&0xE0 == 0xC0: // 13-bit int
		if p+2 > end {
			return e, false, it.bad("13-bit integer runs past the end")
		}
		hdr = 2
		v := int64(c&0x1f)<<8 | int64(b[p+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		e.isInt, e.v = true, v
	case c&0xF0 == 0xE0: // 12-bit length string
		if p+2 > end {
			return e, false, it.bad("12-bit string length runs past the end")
		}
		hdr, dlen = 2, int(c&0x0f)<<8|int(b[p+1])
	case c == 0xF0: // 32-bit length string
		if p+5 > end {
			return e, false, it.bad("32-bit string length runs past the end")
		}
		l := binary.LittleEndian.Uint32(b[p+1:])
		if uint64(l) > uint64(end-p) {
			return e, false, it.bad("string runs past the end")
		}
		hdr, dlen = 5, int(l)
	case c >= 0xF1 && c <= 0xF4:
		hdr = 1
		dlen = [...]int{2, 3, 4, 8}[c-0xF1]
		if p+1+dlen > end {
			return e, false, it.bad("integer runs past the end")
		}
		d := b[p+1:]
		e.isInt = true
		switch c {
		case 0xF1:
			e.v = int64(int16(binary.LittleEndian.Uint16(d)))
		case 0xF2:
			e.v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)
		case 0xF3:
			e.v = int64(int32(binary.LittleEndian.Uint32(d)))
		default:
			e.v = int64(binary.LittleEndian.Uint64(d))
		}
	default:
		return e, false, it.bad("invalid encoding byte 0x" + strconv.FormatUint(uint64(c), 16))
	}
	l := hdr + dlen
	bl := lpBacklenSize(l)
	if l+bl > end-p {
		return e, false, it.bad("entry runs past the end")
	}
	if !e.isInt {
		e.s = b[p+hdr : p+l : p+l]
	}
	// The backlen must be the canonical encoding of l.
	q := p + l
	for i := bl - 1; i >= 0; i-- {
		want := byte(l>>(7*uint(bl-1-i))) & 127
		if i > 0 {
			want |= 128
		}
		if b[q+i] != want {
			return e, false, it.bad("backlen mismatch")
		}
	}
	it.p = q + bl
	it.n++
	return e, false, nil
}

func (it *lpIter) bad(what string) error {
	return errCorrupt("listpack: entry %d at byte %d: %s", it.n, it.p, what)
}

// must returns the next entry, failing at the terminator.
func (it *lpIter) must(what string) (lpEntry, error) {
	e, done, err := it.next()
	if err != nil {
		return e, err
	}
	if done {
		return e, errCorrupt("listpack: ends after %d entries, where %s was expected", it.n, what)
	}
	return e, nil
}

// mustInt returns the next entry as an integer.
func (it *lpIter) mustInt(what string) (int64, error) {
	e, err := it.must(what)
	if err != nil {
		return 0, err
	}
	v, ok := e.int()
	if !ok {
		return 0, errCorrupt("listpack: entry %d (%s) is not an integer", it.n-1, what)
	}
	return v, nil
}

// lpWalkValue decodes (v != nil) or checks the listpack of a list node,
// set, hash, zset or hash with field expiries.
// dups, when not nil, checks that the first element of each tuple (set
// member, hash field, zset member) is unique.
func lpWalkValue(b []byte, typ byte, v *Value, dups *dupSet, a *arena) error {
	it, err := lpOpen(b)
	if err != nil {
		return err
	}
	tuple := 1
	switch typ {
	case TypeHashListpack, TypeZSetListpack:
		tuple = 2
	case TypeHashListpackEx, TypeHashListpackExPreGA:
		tuple = 3
	}
	count := it.count
	if count < 0 && v != nil {
		count = lpCount(b) // more than 65534 entries: count them, to size the result once
	}
	if v != nil && count > 0 {
		n := count / tuple
		switch typ {
		case TypeSetListpack:
			v.Set = make([][]byte, 0, n)
		case TypeZSetListpack:
			v.ZSet = make([]ZMember, 0, n)
		case TypeHashListpack, TypeHashListpackEx, TypeHashListpackExPreGA:
			v.Hash = make([]HashField, 0, n)
		default:
			if v.List == nil {
				v.List = make([][]byte, 0, n)
			}
		}
	}
	var tup [3]lpEntry
	k := 0
	if dups != nil {
		dups.reset()
		if typ != TypeListQuicklist2 {
			dups.reserve(count / tuple)
		}
	}
	lastExp := int64(-1)
	for {
		e, done, err := it.next()
		if err != nil {
			return err
		}
		if done {
			break
		}
		if k == 0 && dups != nil && typ != TypeListQuicklist2 && !dups.addEntry(e) {
			return errCorrupt("listpack: entry %d is a duplicate member/field", it.n-1)
		}
		tup[k] = e
		k++
		if k < tuple {
			continue
		}
		k = 0
		switch typ {
		case TypeSetListpack:
			if v != nil {
				v.Set = append(v.Set, a.entry(e))
			}
		case TypeZSetListpack:
			var sc float64
			if tup[1].isInt {
				sc = float64(tup[1].v)
			} else if sc, err = parseScore(tup[1].s); err != nil {
				return err
			}
			if v != nil {
				v.ZSet = append(v.ZSet, ZMember{Member: a.entry(tup[0]), Score: sc})
			}
		case TypeHashListpack:
			if v != nil {
				v.Hash = append(v.Hash, HashField{Field: a.entry(tup[0]), Value: a.entry(tup[1]), ExpireMs: -1})
			}
		case TypeHashListpackEx, TypeHashListpackExPreGA:
			exp, ok := tup[2].int()
			if !ok || exp < 0 || exp > ebExpireTimeMax {
				return errCorrupt("listpack: entry %d: invalid field expiry", it.n-1)
			}
			// Fields with an expiry come first, in expiry order; then those without.
			if exp != 0 && (lastExp == 0 || exp < lastExp) {
				return errCorrupt("listpack: entry %d: field expiries out of order", it.n-1)
			}
			lastExp = exp
			if v != nil {
				if exp == 0 {
					exp = -1
				}
				v.Hash = append(v.Hash, HashField{Field: a.entry(tup[0]), Value: a.entry(tup[1]), ExpireMs: exp})
			}
		default:
			if v != nil {
				v.List = append(v.List, a.entry(e))
			}
		}
	}
	if k != 0 {
		return errCorrupt("listpack: %d entries, not a multiple of %d", it.n, tuple)
	}
	return nil
}

// lpCount counts a listpack's entries (up to the first damage, which the
// decoding pass reports).
func lpCount(b []byte) int {
	it, err := lpOpen(b)
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

// lpBuilder writes a listpack the way Redis does: strings that are
// canonical integers become integer entries.
type lpBuilder struct {
	b []byte
	n int
}

func newLPBuilder() *lpBuilder {
	return &lpBuilder{b: make([]byte, lpHeaderSize, 64)}
}

func (w *lpBuilder) size() int { return len(w.b) + 1 }

func (w *lpBuilder) appendBacklen(l int) {
	bl := lpBacklenSize(l)
	for i := 0; i < bl; i++ {
		c := byte(l>>(7*uint(bl-1-i))) & 127
		if i > 0 {
			c |= 128
		}
		w.b = append(w.b, c)
	}
}

func (w *lpBuilder) addInt(v int64) {
	start := len(w.b)
	switch {
	case v >= 0 && v <= 127:
		w.b = append(w.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		w.b = append(w.b, 0xC0|byte(u>>8), byte(u))
	case v >= math16Min && v <= math16Max:
		w.b = append(w.b, 0xF1, byte(v), byte(v>>8))
	case v >= -(1<<23) && v <= 1<<23-1:
		w.b = append(w.b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -(1<<31) && v <= 1<<31-1:
		w.b = append(w.b, 0xF3)
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v))
	default:
		w.b = append(w.b, 0xF4)
		w.b = binary.LittleEndian.AppendUint64(w.b, uint64(v))
	}
	w.appendBacklen(len(w.b) - start)
	w.n++
}

const (
	math16Min = -(1 << 15)
	math16Max = 1<<15 - 1
)

func (w *lpBuilder) add(s []byte) {
	if v, ok := parseCanonicalInt(s); ok {
		w.addInt(v)
		return
	}
	start := len(w.b)
	switch l := len(s); {
	case l < 64:
		w.b = append(w.b, 0x80|byte(l))
	case l < 4096:
		w.b = append(w.b, 0xE0|byte(l>>8), byte(l))
	default:
		w.b = append(w.b, 0xF0)
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(l))
	}
	w.b = append(w.b, s...)
	w.appendBacklen(len(w.b) - start)
	w.n++
}

// finish writes the header and terminator and returns the listpack.
func (w *lpBuilder) finish() []byte {
	w.b = append(w.b, lpEnd)
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)))
	c := w.n
	if c >= lpCountMax {
		c = lpCountMax
	}
	binary.LittleEndian.PutUint16(w.b[4:], uint16(c))
	return w.b
}
