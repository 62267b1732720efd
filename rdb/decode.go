package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
)

// DecodeValue decodes a value's raw bytes (everything after the key, as in
// the file) of type typ into its data. The elements of a collection (list,
// set, zset, hash, stream) never share memory with raw: they are slices of
// one private copy of it, of the nodes decompressed from it and of a few
// chunks holding its integers in decimal, so they stay valid when raw is
// reused (ReuseBuffers), and each has cap == len, so appending to one never
// changes another. A string value's bytes may share memory with raw
// (copying would double the largest values). Errors wrap ErrCorrupt,
// ErrTruncated, ErrLength or ErrUnknownType.
func DecodeValue(typ byte, raw []byte) (*Value, error) {
	d := vdec{b: raw, keep: true}
	if typ != TypeString && typ != TypeModule2 && typ != TypeSetIntset && len(raw) > 0 {
		// A collection's elements alias one private copy of raw (one
		// memmove instead of one per element) or the nodes decompressed
		// from it; only integers need new bytes, from the arena (an
		// intset holds nothing else).
		d.b = bytes.Clone(raw)
	}
	d.a.init(len(raw) / 2)
	v := &Value{Kind: TypeName(typ)}
	err := d.value(typ, v)
	d.dups.reset()
	if err != nil {
		return nil, err
	}
	if d.p != len(raw) {
		return nil, fmt.Errorf("%w: %d bytes left over after the %s value", ErrCorrupt, len(raw)-d.p, TypeName(typ))
	}
	return v, nil
}

// ValidateValue checks a value's raw bytes as deeply as DecodeValue does
// (every length, count, listpack/ziplist/intset/zipmap structure, stream
// layout) without building the data. It returns an error exactly when
// DecodeValue would.
func ValidateValue(typ byte, raw []byte) error {
	sp := scratchPool.Get().(*[]byte)
	d := vdec{b: raw, scratch: *sp}
	err := d.value(typ, nil)
	d.dups.reset()
	if cap(d.scratch) <= maxPooledScratch {
		*sp = d.scratch[:0]
		scratchPool.Put(sp)
	}
	if err != nil {
		return err
	}
	if d.p != len(raw) {
		return fmt.Errorf("%w: %d bytes left over after the %s value", ErrCorrupt, len(raw)-d.p, TypeName(typ))
	}
	return nil
}

// scratchPool holds the buffers ValidateValue decompresses LZF data into,
// so checking a file allocates next to nothing per value.
var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledScratch = 64 << 20

// Decode decodes the entry's value: DecodeValue(e.Type, e.Value).
func (e *Entry) Decode() (*Value, error) {
	if e.Value == nil && e.ValueLen > 0 {
		return nil, fmt.Errorf("%w: the entry's value bytes were not kept (the Reader skipped them: SkipValues, SkipValueIf)", ErrTruncated)
	}
	return DecodeValue(e.Type, e.Value)
}

// vdec walks a raw value. With keep it builds data; without, it only
// checks, reusing scratch for decompressed blobs so checking stays
// allocation-light.
type vdec struct {
	b       []byte
	p       int
	keep    bool
	scratch []byte
	dups    dupSet
	a       arena // the element bytes of the value being kept
}

// arena hands out the integer elements of one decoded value, in decimal,
// from a few large chunks, so a collection of millions of small integers
// costs about their digits instead of an allocation each. Each slice is
// cut with a full slice expression: appending to one element reallocates
// it and never overwrites the next. Chunks are never reused or grown in
// place, so every slice handed out stays valid.
type arena struct {
	buf   []byte
	chunk int           // size of the next chunk
	fbuf  []StreamField // the same for stream entries' field lists
	fnext int           // size of the next fbuf chunk: the fields the current stream node holds
}

const (
	arenaMinChunk = 64
	arenaMaxChunk = 1 << 20
)

// init sizes the first chunk for n bytes.
func (a *arena) init(n int) {
	a.chunk = min(max(n+n/4, arenaMinChunk), arenaMaxChunk)
}

// alloc returns n bytes, with len == cap == n.
func (a *arena) alloc(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	if n > cap(a.buf)-len(a.buf) {
		if a.chunk < arenaMinChunk {
			a.chunk = arenaMinChunk
		}
		if n > a.chunk/4 { // a big element gets its own: chunk tails stay small
			return make([]byte, n)
		}
		a.buf = make([]byte, 0, a.chunk)
		a.chunk = min(2*a.chunk, arenaMaxChunk)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

// fields returns an empty field list with room for n fields (a stream
// entry's), cut from a shared chunk with a full slice expression.
func (a *arena) fields(n int) []StreamField {
	if n == 0 {
		return []StreamField{}
	}
	if n > cap(a.fbuf)-len(a.fbuf) {
		if n > 64 {
			return make([]StreamField, 0, n)
		}
		a.fbuf = make([]StreamField, 0, max(a.fnext, n))
	}
	l := len(a.fbuf)
	a.fbuf = a.fbuf[:l+n]
	return a.fbuf[l : l : l+n]
}

// reserve makes room for n members without growing (after reset), so a
// big collection's check allocates its map once.
func (s *dupSet) reserve(n int) {
	if n > 4096 && s.m == nil {
		s.m = make(map[uint64]struct{}, n)
		for _, x := range s.small[:s.n] {
			s.m[x] = struct{}{}
		}
	}
}

// copy returns a copy of s from the arena.
func (a *arena) copy(s []byte) []byte {
	b := a.alloc(len(s))
	copy(b, s)
	return b
}

// int returns v in decimal from the arena.
func (a *arena) int(v int64) []byte {
	var tmp [20]byte
	return a.copy(strconv.AppendInt(tmp[:0], v, 10))
}

// entry returns a listpack/ziplist element's bytes: a string aliases the
// listpack (a private copy: see DecodeValue), an integer is formatted in
// the arena.
func (a *arena) entry(e lpEntry) []byte {
	if e.isInt {
		return a.int(e.v)
	}
	return e.s
}

func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func (d *vdec) truncated(what string) error {
	return fmt.Errorf("%w: value ends inside %s (offset %d of %d)", ErrTruncated, what, d.p, len(d.b))
}

// readLen reads an RDB length. enc is true for the special string
// encodings (int8/16/32, LZF), whose kind is then returned in n.
func (d *vdec) readLen() (n uint64, enc bool, err error) {
	if d.p >= len(d.b) {
		return 0, false, d.truncated("a length")
	}
	c := d.b[d.p]
	switch c >> 6 {
	case len6Bit:
		d.p++
		return uint64(c & 0x3f), false, nil
	case len14Bit:
		if d.p+2 > len(d.b) {
			return 0, false, d.truncated("a 14-bit length")
		}
		n = uint64(c&0x3f)<<8 | uint64(d.b[d.p+1])
		d.p += 2
		return n, false, nil
	case lenEncVal:
		d.p++
		return uint64(c & 0x3f), true, nil
	}
	switch c {
	case len32Bit:
		if d.p+5 > len(d.b) {
			return 0, false, d.truncated("a 32-bit length")
		}
		n = uint64(binary.BigEndian.Uint32(d.b[d.p+1:]))
		d.p += 5
		return n, false, nil
	case len64Bit:
		if d.p+9 > len(d.b) {
			return 0, false, d.truncated("a 64-bit length")
		}
		n = binary.BigEndian.Uint64(d.b[d.p+1:])
		d.p += 9
		return n, false, nil
	}
	return 0, false, errCorrupt("unknown length encoding 0x%02x", c)
}

// readUint reads a plain (non-string) length-encoded number.
func (d *vdec) readUint(what string) (uint64, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, errCorrupt("%s: string encoding where a length was expected", what)
	}
	return n, nil
}

// readCount reads a count of items that each take at least minSize bytes,
// so it can be checked against what is left before anything is allocated.
func (d *vdec) readCount(what string, minSize int) (int, error) {
	n, err := d.readUint(what)
	if err != nil {
		return 0, err
	}
	if left := uint64(len(d.b) - d.p); n > left/uint64(minSize) {
		return 0, fmt.Errorf("%w: %s %d does not fit in the %d bytes left", ErrLength, what, n, left)
	}
	return int(n), nil
}

// readStr reads an RDB string. When need is false and the value is not
// being kept, plain strings are skipped without looking at them (LZF data
// is still decompressed, to check it). The result may alias d.b or, when
// not keeping, d.scratch.
func (d *vdec) readStr(need bool) ([]byte, error) { return d.str(need, strPlain) }

// readElem reads a collection's element: like readStr, but an integer
// is formatted in the arena.
func (d *vdec) readElem(need bool) ([]byte, error) { return d.str(need, strElem) }

// readBlob reads a string that holds an encoded structure (ziplist,
// listpack, intset, zipmap).
func (d *vdec) readBlob() ([]byte, error) { return d.str(true, strBlob) }

const (
	strPlain = iota // a value's own bytes: may alias d.b
	strElem         // an element: an integer is formatted in the arena
	strBlob         // an encoded structure
)

func (d *vdec) str(need bool, kind int) ([]byte, error) {
	elem := kind == strElem
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		if n > uint64(len(d.b)-d.p) {
			return nil, fmt.Errorf("%w: string of %d bytes runs past the end (%d left)", ErrLength, n, len(d.b)-d.p)
		}
		s := d.b[d.p : d.p+int(n) : d.p+int(n)]
		d.p += int(n)
		return s, nil
	}
	var iv int64
	switch n {
	case encInt8:
		if d.p+1 > len(d.b) {
			return nil, d.truncated("an int8 string")
		}
		iv = int64(int8(d.b[d.p]))
		d.p++
	case encInt16:
		if d.p+2 > len(d.b) {
			return nil, d.truncated("an int16 string")
		}
		iv = int64(int16(binary.LittleEndian.Uint16(d.b[d.p:])))
		d.p += 2
	case encInt32:
		if d.p+4 > len(d.b) {
			return nil, d.truncated("an int32 string")
		}
		iv = int64(int32(binary.LittleEndian.Uint32(d.b[d.p:])))
		d.p += 4
	case encLZF:
		return d.readLZF(kind)
	default:
		return nil, errCorrupt("unknown string encoding %d", n)
	}
	if !need && !d.keep {
		return nil, nil
	}
	if d.keep {
		if elem {
			return d.a.int(iv), nil
		}
		return strconv.AppendInt(nil, iv, 10), nil
	}
	d.scratch = strconv.AppendInt(d.scratch[:0], iv, 10)
	return d.scratch, nil
}

// lzfMaxRatio bounds LZF expansion: the best case is a 3-byte back
// reference producing 264 bytes.
const lzfMaxRatio = 88

func (d *vdec) readLZF(kind int) ([]byte, error) {
	clen, err := d.readUint("LZF compressed length")
	if err != nil {
		return nil, err
	}
	ulen, err := d.readUint("LZF uncompressed length")
	if err != nil {
		return nil, err
	}
	if clen > uint64(len(d.b)-d.p) {
		return nil, fmt.Errorf("%w: LZF data of %d bytes runs past the end (%d left)", ErrLength, clen, len(d.b)-d.p)
	}
	if ulen == 0 || clen == 0 || ulen > clen*lzfMaxRatio {
		return nil, errCorrupt("LZF string: %d compressed bytes cannot expand to %d", clen, ulen)
	}
	if ulen > uint64(maxAlloc) {
		return nil, errTooLarge("LZF string", ulen)
	}
	src := d.b[d.p : d.p+int(clen)]
	d.p += int(clen)
	var dst []byte
	switch {
	case d.keep && kind == strElem:
		dst = d.a.alloc(int(ulen)) // small compressed elements share chunks
	case d.keep:
		dst = make([]byte, ulen)
	default:
		if uint64(cap(d.scratch)) < ulen {
			d.scratch = make([]byte, ulen)
		}
		dst = d.scratch[:ulen]
	}
	if err := lzfDecompress(src, dst); err != nil {
		return nil, errCorrupt("LZF string: %v", err)
	}
	return dst, nil
}

// readRaw reads n plain bytes.
func (d *vdec) readRaw(n int, what string) ([]byte, error) {
	if n > len(d.b)-d.p {
		return nil, d.truncated(what)
	}
	s := d.b[d.p : d.p+n]
	d.p += n
	return s, nil
}

// readMillis reads an 8-byte little-endian unix time in ms.
func (d *vdec) readMillis(what string) (int64, error) {
	s, err := d.readRaw(8, what)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(s)), nil
}

// readTextDouble reads a zset (type 3) score: one length byte (253 NaN,
// 254 +Inf, 255 -Inf) and that many bytes of text. The caller refuses NaN.
func (d *vdec) readTextDouble() (float64, error) {
	if d.p >= len(d.b) {
		return 0, d.truncated("a score")
	}
	n := d.b[d.p]
	d.p++
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	s, err := d.readRaw(int(n), "a score")
	if err != nil {
		return 0, err
	}
	return parseScore(s)
}

// parseScore parses a score stored as text, as strtod would. NaN is
// refused: Redis refuses to load a zset with a NaN score.
func parseScore(s []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil
		}
		return 0, errCorrupt("score %q is not a number", trimQ(s))
	}
	if math.IsNaN(f) {
		return 0, errCorrupt("score is NaN (Redis refuses to load it)")
	}
	return f, nil
}

func errNaNScore(member []byte) error {
	return errCorrupt("zset member %q has a NaN score (Redis refuses to load it)", trimQ(member))
}

// readBinaryDouble reads an 8-byte little-endian IEEE 754 double (zset2).
func (d *vdec) readBinaryDouble() (float64, error) {
	s, err := d.readRaw(8, "a score")
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(s)), nil
}

// value decodes (v != nil) or checks (v == nil) a value of type typ.
func (d *vdec) value(typ byte, v *Value) error {
	switch typ {
	case TypeString:
		s, err := d.readStr(false)
		if err != nil {
			return err
		}
		if v != nil {
			v.String = s
		}
		return nil
	case TypeList, TypeSet:
		n, err := d.readCount("list/set length", 1)
		if err != nil {
			return err
		}
		var out [][]byte
		if v != nil {
			out = make([][]byte, 0, n)
		}
		d.dups.reset()
		if typ == TypeSet {
			d.dups.reserve(n)
		}
		for i := 0; i < n; i++ {
			s, err := d.readElem(typ == TypeSet)
			if err != nil {
				return err
			}
			if typ == TypeSet && !d.dups.add(s) {
				return errCorrupt("set: member %d (%q) is a duplicate", i, trimQ(s))
			}
			if v != nil {
				out = append(out, s)
			}
		}
		if v != nil {
			if typ == TypeList {
				v.List = out
			} else {
				v.Set = out
			}
		}
		return nil
	case TypeZSet, TypeZSet2:
		n, err := d.readCount("zset length", 2)
		if err != nil {
			return err
		}
		if v != nil {
			v.ZSet = make([]ZMember, 0, n)
		}
		d.dups.reset()
		d.dups.reserve(n)
		for i := 0; i < n; i++ {
			m, err := d.readElem(true)
			if err != nil {
				return err
			}
			if !d.dups.add(m) {
				return errCorrupt("zset: member %d (%q) is a duplicate", i, trimQ(m))
			}
			var sc float64
			if typ == TypeZSet {
				sc, err = d.readTextDouble()
			} else {
				sc, err = d.readBinaryDouble()
			}
			if err != nil {
				return err
			}
			if math.IsNaN(sc) {
				return errNaNScore(m)
			}
			if v != nil {
				v.ZSet = append(v.ZSet, ZMember{Member: m, Score: sc})
			}
		}
		return nil
	case TypeHash:
		n, err := d.readCount("hash length", 2)
		if err != nil {
			return err
		}
		if v != nil {
			v.Hash = make([]HashField, 0, n)
		}
		d.dups.reset()
		d.dups.reserve(n)
		for i := 0; i < n; i++ {
			f, val, err := d.hashField(i)
			if err != nil {
				return err
			}
			if v != nil {
				v.Hash = append(v.Hash, HashField{Field: f, Value: val, ExpireMs: -1})
			}
		}
		return nil
	case TypeHashMetadataPreGA:
		return d.hash22(v)
	case TypeHashMetadata:
		return d.hashMetadata(typ, v)
	case TypeModule2:
		return d.module(v)
	case TypeModule:
		return fmt.Errorf("%w: type 6 (module value of Redis 4.0 release candidates) cannot be read", ErrUnknownType)
	case TypeHashZipmap:
		b, err := d.readBlob()
		if err != nil {
			return err
		}
		return zmWalk(b, v, &d.dups)
	case TypeListZiplist, TypeZSetZiplist, TypeHashZiplist:
		b, err := d.readBlob()
		if err != nil {
			return err
		}
		return zlWalk(b, typ, v, &d.dups, &d.a)
	case TypeSetIntset:
		b, err := d.readBlob()
		if err != nil {
			return err
		}
		return isWalk(b, v, &d.a)
	case TypeListQuicklist:
		n, err := d.readCount("quicklist node count", 1)
		if err != nil {
			return err
		}
		if v != nil {
			v.List = make([][]byte, 0, d.listCap(n, false))
		}
		for i := 0; i < n; i++ {
			b, err := d.readBlob()
			if err != nil {
				return err
			}
			if err := zlWalk(b, TypeListQuicklist, v, nil, &d.a); err != nil {
				return fmt.Errorf("quicklist node %d: %w", i, err)
			}
		}
		return nil
	case TypeListQuicklist2:
		return d.quicklist2(v)
	case TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		b, err := d.readBlob()
		if err != nil {
			return err
		}
		return lpWalkValue(b, typ, v, &d.dups, &d.a)
	case TypeHashListpackExPreGA, TypeHashListpackEx:
		if typ == TypeHashListpackEx {
			if _, err := d.readMillis("the minimum field expiry"); err != nil {
				return err
			}
		}
		b, err := d.readBlob()
		if err != nil {
			return err
		}
		return lpWalkValue(b, typ, v, &d.dups, &d.a)
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return d.stream(typ, v)
	}
	return fmt.Errorf("%w: value type %d", ErrUnknownType, typ)
}

func (d *vdec) quicklist2(v *Value) error {
	n, err := d.readCount("quicklist node count", 2)
	if err != nil {
		return err
	}
	if v != nil {
		v.List = make([][]byte, 0, d.listCap(n, true))
	}
	for i := 0; i < n; i++ {
		c, err := d.readUint("quicklist node container")
		if err != nil {
			return err
		}
		switch c {
		case quicklistNodePlain:
			s, err := d.readElem(false)
			if err != nil {
				return err
			}
			if v != nil {
				v.List = append(v.List, s)
			}
		case quicklistNodePacked:
			b, err := d.readBlob()
			if err != nil {
				return err
			}
			if err := lpWalkValue(b, TypeListQuicklist2, v, nil, &d.a); err != nil {
				return fmt.Errorf("quicklist node %d: %w", i, err)
			}
		default:
			return errCorrupt("quicklist node %d: unknown container %d", i, c)
		}
	}
	return nil
}

// listCap estimates the element count of a quicklist's nodes (ziplists,
// or listpacks and plain nodes when packed) from their headers, so the
// list is allocated once instead of growing node after node. It reads
// ahead without moving d.p and stops at anything odd (the decoding pass
// reports it). A compressed node counts as many elements as the nodes
// before it hold per byte, at most one per compressed byte, so a damaged
// length cannot make it allocate much more than the value's size.
func (d *vdec) listCap(nodes int, packed bool) int {
	save := d.p
	defer func() { d.p = save }()
	hdr, off := zlHeaderSize, 8
	if packed {
		hdr, off = lpHeaderSize, 4
	}
	total, known, knownBytes := 0, 0, 0
	var h [zlHeaderSize]byte
	for i := 0; i < nodes; i++ {
		if packed {
			c, err := d.readUint("")
			if err != nil {
				break
			}
			if c == quicklistNodePlain {
				total++
				if d.skipStr() != nil {
					break
				}
				continue
			}
		}
		head, size, clen, ok := d.peekStr(h[:hdr])
		if !ok {
			break
		}
		if size > uint64(hdr) && len(head) == hdr {
			c := int(binary.LittleEndian.Uint16(head[off:]))
			if c != 0xFFFF || clen == 0 {
				if c == 0xFFFF || c > int(size)/2 {
					c = int(size) / 2
				}
				total += c
				if clen == 0 {
					known += c
					knownBytes += int(size)
				}
				continue
			}
		}
		if clen == 0 {
			continue // a plain node too short for a header holds nothing
		}
		est := float64(clen)
		if knownBytes > 0 {
			est = min(est, float64(size)*float64(known)/float64(knownBytes))
		}
		total += int(est)
	}
	return min(total, maxAlloc/64)
}

// peekStr moves past the next string, plain or LZF-compressed, and
// returns its first len(buf) bytes (fewer when it is shorter; a compressed
// string's are expanded into buf, nil when they cannot be), its length and
// its compressed length (0 when plain). ok is false for an integer string
// or anything odd, which the decoding pass reports.
func (d *vdec) peekStr(buf []byte) (head []byte, size, clen uint64, ok bool) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, 0, 0, false
	}
	if !enc {
		if n > uint64(len(d.b)-d.p) {
			return nil, 0, 0, false
		}
		head = d.b[d.p : d.p+int(min(n, uint64(len(buf))))]
		d.p += int(n)
		return head, n, 0, true
	}
	if n != encLZF {
		return nil, 0, 0, false
	}
	if clen, err = d.readUint(""); err != nil {
		return nil, 0, 0, false
	}
	ulen, err := d.readUint("")
	if err != nil || clen > uint64(len(d.b)-d.p) || ulen > clen*lzfMaxRatio {
		return nil, 0, 0, false
	}
	src := d.b[d.p : d.p+int(clen)]
	d.p += int(clen)
	if k := int(min(ulen, uint64(len(buf)))); lzfPrefix(src, buf[:k]) {
		head = buf[:k]
	}
	return head, ulen, clen, true
}

// skipStr moves past an RDB string without decoding it.
func (d *vdec) skipStr() error {
	n, enc, err := d.readLen()
	if err != nil {
		return err
	}
	if enc {
		switch n {
		case encInt8:
			n = 1
		case encInt16:
			n = 2
		case encInt32:
			n = 4
		case encLZF:
			if n, err = d.readUint(""); err != nil {
				return err
			}
			if _, err = d.readUint(""); err != nil {
				return err
			}
		default:
			return ErrCorrupt
		}
	}
	if n > uint64(len(d.b)-d.p) {
		return ErrLength
	}
	d.p += int(n)
	return nil
}

// ebExpireTimeMax is the largest hash field expiry Redis accepts (2^48-1).
const ebExpireTimeMax = 1<<48 - 1

func (d *vdec) hashMetadata(typ byte, v *Value) error {
	var minExp uint64
	if typ == TypeHashMetadata {
		m, err := d.readMillis("the minimum field expiry")
		if err != nil {
			return err
		}
		minExp = uint64(m)
		if minExp > ebExpireTimeMax+1 {
			return errCorrupt("hash: minimum field expiry %d out of range", minExp)
		}
	}
	n, err := d.readCount("hash length", 3)
	if err != nil {
		return err
	}
	if v != nil {
		v.Hash = make([]HashField, 0, n)
	}
	d.dups.reset()
	for i := 0; i < n; i++ {
		ttl, err := d.readUint("hash field expiry")
		if err != nil {
			return err
		}
		exp := ttl
		if typ == TypeHashMetadata && ttl != 0 {
			// stored as expiry - minimum + 1; a minimum of 0 (a field
			// expiring at 0 ms) makes that ttl - 1, which is no overflow
			if minExp > 0 && ttl > math.MaxUint64-(minExp-1) {
				return errCorrupt("hash field %d: expiry overflows", i)
			}
			exp = ttl + minExp - 1
		}
		if exp > ebExpireTimeMax {
			return errCorrupt("hash field %d: expiry %d out of range", i, exp)
		}
		f, val, err := d.hashField(i)
		if err != nil {
			return err
		}
		if v != nil {
			e := int64(exp)
			if ttl == 0 { // no expiry; an expiry of 0 ms is a stored 1
				e = -1
			}
			v.Hash = append(v.Hash, HashField{Field: f, Value: val, ExpireMs: e})
		}
	}
	return nil
}

// hash22 reads type 22, which means two things: Valkey 9's RDB_TYPE_HASH_2
// (field, value, 8-byte expiry triples; the common case) and the Redis 7.4
// release candidates' hash metadata (relative-less TTL, field, value). The
// file's magic would tell, but a value alone does not carry it: take the
// layout that spans the whole value, Valkey's first.
func (d *vdec) hash22(v *Value) error {
	start := d.p
	errV := d.valkeyHash2(v)
	if errV == nil && d.p == len(d.b) {
		return nil
	}
	endV := d.p
	d.p = start
	if v != nil {
		v.Hash = nil
	}
	errR := d.hashMetadata(TypeHashMetadataPreGA, v)
	if errR == nil && d.p == len(d.b) {
		return nil
	}
	if errV == nil || endV > d.p {
		if errV == nil {
			errV = errCorrupt("%d bytes left over after the hash", len(d.b)-endV)
		}
		return errV
	}
	if errR == nil {
		errR = errCorrupt("%d bytes left over after the hash", len(d.b)-d.p)
	}
	return errR
}

// isValkeyHash2 reports whether a type 22 value has Valkey's layout.
func isValkeyHash2(raw []byte) bool {
	d := vdec{b: raw}
	return d.valkeyHash2(nil) == nil && d.p == len(raw)
}

// hashField reads the i-th field of a hash and its value, refusing a
// field seen before (d.dups is reset per hash).
func (d *vdec) hashField(i int) (field, value []byte, err error) {
	if field, err = d.readElem(true); err != nil {
		return nil, nil, err
	}
	if !d.dups.add(field) {
		return nil, nil, errCorrupt("hash: field %d (%q) is a duplicate", i, trimQ(field))
	}
	value, err = d.readElem(false)
	return field, value, err
}

// valkeyHash2 reads Valkey's RDB_TYPE_HASH_2: a count, then per field the
// field, the value and the absolute expiry in ms (8 bytes LE, -1 for none).
func (d *vdec) valkeyHash2(v *Value) error {
	n, err := d.readCount("hash length", 10)
	if err != nil {
		return err
	}
	if v != nil {
		v.Hash = make([]HashField, 0, n)
	}
	d.dups.reset()
	for i := 0; i < n; i++ {
		f, val, err := d.hashField(i)
		if err != nil {
			return err
		}
		exp, err := d.readMillis("a hash field expiry")
		if err != nil {
			return err
		}
		if exp < -1 {
			return errCorrupt("hash field %d: expiry %d out of range", i, exp)
		}
		if v != nil {
			v.Hash = append(v.Hash, HashField{Field: f, Value: val, ExpireMs: exp})
		}
	}
	return nil
}

// module walks a module2 value: the module id, then opcode-tagged fields
// up to the EOF opcode.
func (d *vdec) module(v *Value) error {
	id, err := d.readUint("module id")
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		op, err := d.readUint("module opcode")
		if err != nil {
			return err
		}
		switch op {
		case ModuleOpEOF:
			if v != nil {
				v.Module = &ModuleValue{ID: id, Name: moduleName(id), EncVer: ModuleEncVer(id)}
			}
			return nil
		case ModuleOpSInt, ModuleOpUInt:
			_, err = d.readUint("module integer")
		case ModuleOpFloat:
			_, err = d.readRaw(4, "a module float")
		case ModuleOpDouble:
			_, err = d.readRaw(8, "a module double")
		case ModuleOpString:
			_, err = d.readStr(false)
		default:
			return errCorrupt("module %s: field %d has unknown opcode %d", moduleName(id), i, op)
		}
		if err != nil {
			return err
		}
	}
}

// trimQ shortens a member for an error message.
func trimQ(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
