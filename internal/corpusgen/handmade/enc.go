package handmade

import (
	"encoding/binary"
	"hash/crc64"
	"math"
	"strconv"
)

// This file holds a small, independent RDB encoder (written from the format
// description in Redis's rdb.c/listpack.c, not shared with package rdb, so a
// bug there cannot hide itself in the corpus).

var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// crcJones is Redis's CRC-64 (Jones polynomial, reflected, no inversion).
func crcJones(p []byte) uint64 { return ^crc64.Update(^uint64(0), jones, p) }

type buf struct{ b []byte }

func (w *buf) byte1(c byte)    { w.b = append(w.b, c) }
func (w *buf) raw(p []byte)    { w.b = append(w.b, p...) }
func (w *buf) rawStr(s string) { w.b = append(w.b, s...) }

// length writes an RDB length (6-bit, 14-bit, 32-bit or 64-bit).
func (w *buf) length(n uint64) {
	switch {
	case n < 1<<6:
		w.byte1(byte(n))
	case n < 1<<14:
		w.byte1(byte(n>>8) | 0x40)
		w.byte1(byte(n))
	case n <= math.MaxUint32:
		w.byte1(0x80)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
	default:
		w.byte1(0x81)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
}

// str writes an RDB string the way Redis does without compression: strings
// of up to 11 bytes that are canonical int32 values are int-encoded.
func (w *buf) str(s string) {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				w.byte1(0xC0)
				w.byte1(byte(int8(v)))
				return
			case v >= math.MinInt16 && v <= math.MaxInt16:
				w.byte1(0xC1)
				w.b = binary.LittleEndian.AppendUint16(w.b, uint16(int16(v)))
				return
			case v >= math.MinInt32 && v <= math.MaxInt32:
				w.byte1(0xC2)
				w.b = binary.LittleEndian.AppendUint32(w.b, uint32(int32(v)))
				return
			}
		}
	}
	w.length(uint64(len(s)))
	w.rawStr(s)
}

// blob writes bytes as a plain length-prefixed string (listpacks etc.).
func (w *buf) blob(p []byte) {
	w.length(uint64(len(p)))
	w.raw(p)
}

func (w *buf) ms(t int64) { w.b = binary.LittleEndian.AppendUint64(w.b, uint64(t)) }

func (w *buf) double(f float64) {
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f))
}

func (w *buf) float(f float32) { w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(f)) }

// textScore writes an old (type 3) zset score: a length byte and ASCII, or
// 253/254/255 for nan/+inf/-inf.
func (w *buf) textScore(f float64) {
	switch {
	case math.IsNaN(f):
		w.byte1(253)
	case math.IsInf(f, 1):
		w.byte1(254)
	case math.IsInf(f, -1):
		w.byte1(255)
	default:
		s := strconv.FormatFloat(f, 'g', 17, 64)
		w.byte1(byte(len(s)))
		w.rawStr(s)
	}
}

// canonicalInt reports whether s is the canonical decimal form of an int64.
func canonicalInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(v, 10) != s {
		return 0, false
	}
	return v, true
}

// file assembles a whole RDB file.
type file struct {
	buf
	version int
}

func newFile(magic string, version int) *file {
	f := &file{version: version}
	if magic == "VALKEY" {
		f.rawStr(magic + strconv.Itoa(version))
	} else {
		f.rawStr(magic + pad4(version))
	}
	return f
}

func pad4(v int) string {
	s := strconv.Itoa(v)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

func (f *file) aux(k, v string) {
	f.byte1(250)
	f.str(k)
	f.str(v)
}

func (f *file) selectDB(db int) {
	f.byte1(254)
	f.length(uint64(db))
}

func (f *file) resizeDB(n, exp uint64) {
	f.byte1(251)
	f.length(n)
	f.length(exp)
}

func (f *file) expireMs(t int64) {
	f.byte1(252)
	f.ms(t)
}

func (f *file) expireSec(t uint32) {
	f.byte1(253)
	f.b = binary.LittleEndian.AppendUint32(f.b, t)
}

// entry writes the type byte and the key; the caller writes the value.
func (f *file) entry(typ byte, key string) {
	f.byte1(typ)
	f.str(key)
}

// finish writes EOF and, from version 5 on, the CRC-64.
func (f *file) finish() []byte {
	f.byte1(255)
	if f.version >= 5 {
		f.b = binary.LittleEndian.AppendUint64(f.b, crcJones(f.b))
	}
	return f.b
}

// listpack builds a listpack from string elements; canonical integers are
// stored in the integer encodings, as lpAppend does.
type listpack struct {
	body []byte
	n    int
}

func (lp *listpack) add(s string) {
	var e []byte
	if v, ok := canonicalInt(s); ok {
		e = lpInt(v)
	} else {
		e = lpStr(s)
	}
	lp.body = append(lp.body, e...)
	lp.body = append(lp.body, lpBacklen(len(e))...)
	lp.n++
}

func (lp *listpack) addInt(v int64) { lp.add(strconv.FormatInt(v, 10)) }

func (lp *listpack) bytes() []byte {
	total := 6 + len(lp.body) + 1
	out := binary.LittleEndian.AppendUint32(nil, uint32(total))
	n := lp.n
	if n > 65535 {
		n = 65535
	}
	out = binary.LittleEndian.AppendUint16(out, uint16(n))
	out = append(out, lp.body...)
	return append(out, 0xFF)
}

func lpInt(v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return []byte{byte(v)}
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1FFF
		return []byte{byte(u>>8) | 0xC0, byte(u)}
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16([]byte{0xF1}, uint16(v))
	case v >= -(1<<23) && v < 1<<23:
		u := uint32(v)
		return []byte{0xF2, byte(u), byte(u >> 8), byte(u >> 16)}
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32([]byte{0xF3}, uint32(v))
	default:
		return binary.LittleEndian.AppendUint64([]byte{0xF4}, uint64(v))
	}
}

func lpStr(s string) []byte {
	n := len(s)
	var e []byte
	switch {
	case n < 64:
		e = []byte{0x80 | byte(n)}
	case n < 4096:
		e = []byte{0xE0 | byte(n>>8), byte(n)}
	default:
		e = binary.LittleEndian.AppendUint32([]byte{0xF0}, uint32(n))
	}
	return append(e, s...)
}

func lpBacklen(l int) []byte {
	switch {
	case l <= 127:
		return []byte{byte(l)}
	case l < 16383:
		return []byte{byte(l >> 7), byte(l&127) | 128}
	case l < 2097151:
		return []byte{byte(l >> 14), byte((l>>7)&127) | 128, byte(l&127) | 128}
	case l < 268435455:
		return []byte{byte(l >> 21), byte((l>>14)&127) | 128, byte((l>>7)&127) | 128, byte(l&127) | 128}
	default:
		return []byte{byte(l >> 28), byte((l>>21)&127) | 128, byte((l>>14)&127) | 128, byte((l>>7)&127) | 128, byte(l&127) | 128}
	}
}

// moduleID packs a 9-character module name and a 10-bit encoding version.
func moduleID(name string, encver int) uint64 {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(name) != 9 || encver < 0 || encver > 1023 {
		panic("bad module name " + name)
	}
	var id uint64
	for i := 0; i < 9; i++ {
		p := -1
		for j := 0; j < len(cset); j++ {
			if cset[j] == name[i] {
				p = j
			}
		}
		if p < 0 {
			panic("bad module name " + name)
		}
		id = id<<6 | uint64(p)
	}
	return id<<10 | uint64(encver)
}

// crc16 is Redis Cluster's key hash (CRC-16/XMODEM).
func crc16(p []byte) uint16 {
	var crc uint16
	for _, b := range p {
		crc ^= uint16(b) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is HASH_SLOT: the CRC-16 of the key (or of its {hash tag}) mod 16384.
func keySlot(key string) int {
	if i := indexByte(key, '{'); i >= 0 {
		if j := indexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16([]byte(key)) & 16383)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
