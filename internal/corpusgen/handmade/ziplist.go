package handmade

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/hdt3213/rdb/lzf"
)

// ziplist builds a ziplist (the pre-7.0 compact encoding) from string
// elements; canonical integers get the integer encodings, as ziplistPush
// does.
type ziplist struct {
	body    []byte
	n       int
	prevLen int
	tail    int // offset of the last entry within body
}

func (z *ziplist) add(s string) {
	var e []byte
	if z.prevLen < 254 {
		e = []byte{byte(z.prevLen)}
	} else {
		e = binary.LittleEndian.AppendUint32([]byte{0xFE}, uint32(z.prevLen))
	}
	if v, ok := canonicalInt(s); ok && len(s) <= 32 {
		switch {
		case v >= 0 && v <= 12:
			e = append(e, 0xF1+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			e = append(e, 0xFE, byte(int8(v)))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			e = binary.LittleEndian.AppendUint16(append(e, 0xC0), uint16(v))
		case v >= -(1<<23) && v < 1<<23:
			u := uint32(v)
			e = append(e, 0xF0, byte(u), byte(u>>8), byte(u>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			e = binary.LittleEndian.AppendUint32(append(e, 0xD0), uint32(v))
		default:
			e = binary.LittleEndian.AppendUint64(append(e, 0xE0), uint64(v))
		}
	} else {
		n := len(s)
		switch {
		case n <= 63:
			e = append(e, byte(n))
		case n <= 16383:
			e = append(e, 0x40|byte(n>>8), byte(n))
		default:
			e = binary.BigEndian.AppendUint32(append(e, 0x80), uint32(n))
		}
		e = append(e, s...)
	}
	z.tail = len(z.body)
	z.body = append(z.body, e...)
	z.prevLen = len(e)
	z.n++
}

func (z *ziplist) bytes() []byte {
	const hdr = 10
	total := hdr + len(z.body) + 1
	tail := hdr + z.tail
	if z.n == 0 {
		tail = hdr
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(total))
	out = binary.LittleEndian.AppendUint32(out, uint32(tail))
	n := z.n
	if n > 65535 {
		n = 65535
	}
	out = binary.LittleEndian.AppendUint16(out, uint16(n))
	out = append(out, z.body...)
	return append(out, 0xFF)
}

// lzfBlob writes p LZF-compressed as Redis's rdbSaveLzfBlob does.
func (w *buf) lzfBlob(p []byte) {
	c, err := lzf.Compress(p)
	if err != nil || len(c) == 0 || len(c) >= len(p) {
		panic("lzfBlob: data does not compress")
	}
	w.byte1(0xC3)
	w.length(uint64(len(c)))
	w.length(uint64(len(p)))
	w.raw(c)
}

// zipElems covers every ziplist encoding: the 4-bit immediates, int8/16/24/
// 32/64 at their limits, near misses kept as strings, 6/14/32-bit string
// lengths, and a long entry followed by short ones (5-byte prevlen).
func zipElems() []string {
	return []string{
		"0", "5", "12", "13", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768",
		"8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"007", "-0", "+1", " 1", "1.5", "", "a", strings.Repeat("b", 63), strings.Repeat("c", 64),
		strings.Repeat("long entry ", 30), "after-long", "\x00\xff binary",
		strings.Repeat("d", 16383), strings.Repeat("e", 16384), "last",
	}
}

// ziplistV6: a Redis 2.6-3.0 style file: list as one ziplist (type 10),
// hash ziplist (13), zset ziplist (12) with ±inf and decimal scores.
func ziplistV6() File {
	f := newFile("REDIS", 6)
	header(f, "3.0.7")
	f.selectDB(0)
	var keys []Key
	elems := zipElems()
	var z ziplist
	for _, s := range elems {
		z.add(s)
	}
	f.entry(10, "zl:list")
	f.blob(z.bytes())
	keys = append(keys, Key{Key: "zl:list", Type: 10, ExpireMs: -1, Kind: "list", List: elems})
	keys = append(keys, zipHashZSet(f)...)
	return File{Name: "hand_v6_ziplists.rdb", Version: 6, Magic: "REDIS", Data: f.finish(), Keys: keys, CheckRDB: true,
		Note: "RDB 6: ziplist list (10), hash (13) and zset (12) covering every ziplist encoding, 5-byte prevlen"}
}

func zipHashZSet(f *file) []Key {
	var keys []Key
	hash := []HashField{{"name", "widget", -1}, {"n", "42", -1}, {"neg", "-70000", -1}, {"", "empty field", -1},
		{"empty", "", -1}, {"long", strings.Repeat("x", 300), -1}, {"after", "1", -1}}
	var hz ziplist
	for _, h := range hash {
		hz.add(h.Field)
		hz.add(h.Value)
	}
	f.entry(13, "zl:hash")
	f.blob(hz.bytes())
	keys = append(keys, Key{Key: "zl:hash", Type: 13, ExpireMs: -1, Kind: "hash", Hash: hash})
	// zset ziplist: member, score (as Redis's d2string writes it), by score
	zs := []ZMember{{"minf", math.Inf(-1)}, {"neg", -2.5}, {"zero", 0}, {"one", 1}, {"pi", 3.141592653589793},
		{"big", 1e15}, {"pinf", math.Inf(1)}}
	var zz ziplist
	for _, m := range zs {
		zz.add(m.Member)
		zz.add(scoreText(m.Score))
	}
	f.entry(12, "zl:zset")
	f.blob(zz.bytes())
	keys = append(keys, Key{Key: "zl:zset", Type: 12, ExpireMs: -1, Kind: "zset", ZSet: zs})
	return keys
}

// scoreText formats a score as Redis's d2string: "inf"/"-inf", integers
// without a fraction, else %.17g.
func scoreText(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == math.Trunc(f) && math.Abs(f) < 1<<52:
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// quicklistV9: Redis 3.2-6.2 quicklist of ziplists (type 14): several
// nodes, one LZF-compressed as with list-compress-depth; plus zset and hash
// ziplists as Redis 6 still wrote them.
func quicklistV9() File {
	f := newFile("REDIS", 9)
	header(f, "6.2.14")
	f.selectDB(0)
	var keys []Key
	elems := zipElems()
	nodes := [][]string{elems[:10], elems[10:20], nil, elems[20:]}
	var rep []string
	for i := 0; i < 40; i++ {
		rep = append(rep, "compressible-element-"+strings.Repeat("z", 20)+strconv.Itoa(i%10))
	}
	nodes[2] = rep
	var all []string
	f.entry(14, "ql:list")
	f.length(uint64(len(nodes)))
	for i, n := range nodes {
		var z ziplist
		for _, s := range n {
			z.add(s)
		}
		all = append(all, n...)
		if i == 2 {
			f.lzfBlob(z.bytes())
		} else {
			f.blob(z.bytes())
		}
	}
	keys = append(keys, Key{Key: "ql:list", Type: 14, ExpireMs: -1, Kind: "list", List: all})
	keys = append(keys, zipHashZSet(f)...)
	return File{Name: "hand_v9_quicklist.rdb", Version: 9, Magic: "REDIS", Data: f.finish(), Keys: keys, CheckRDB: true,
		Note: "RDB 9: quicklist of ziplists (14) with four nodes, one LZF-compressed, every ziplist encoding; hash (13) and zset (12) ziplists"}
}
