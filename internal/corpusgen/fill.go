package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// filler sends commands to one server; the first error sticks and is
// returned by err, so fill functions read as plain command lists.
type filler struct {
	ctx  context.Context
	c    *redis.Client
	seed uint64
	rng  *rand.Rand
	e    error
}

func (g *filler) do(args ...any) any {
	if g.e != nil {
		return nil
	}
	v, err := g.c.Do(g.ctx, args...).Result()
	if err != nil {
		g.e = fmt.Errorf("%v: %w", short(args), err)
	}
	return v
}

// expect runs a command and checks its reply's string form.
func (g *filler) expect(want string, args ...any) {
	v := g.do(args...)
	if g.e == nil && fmt.Sprint(v) != want {
		g.e = fmt.Errorf("%v: got %v, want %s", short(args), v, want)
	}
}

// encoding checks OBJECT ENCODING of a key, so a file covers what it claims.
func (g *filler) encoding(key, want string) {
	g.expect(want, "OBJECT", "ENCODING", key)
}

func (g *filler) err() error { return g.e }

func short(args []any) string {
	s := fmt.Sprint(args...)
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

func (g *filler) r() *rand.Rand {
	if g.rng == nil {
		g.rng = rand.New(rand.NewPCG(g.seed, 0x5eed))
	}
	return g.rng
}

// randBytes returns n pseudo-random (incompressible, binary) bytes.
func (g *filler) randBytes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r().UintN(256))
	}
	return string(b)
}

// randText returns n pseudo-random lowercase letters (barely compressible).
func (g *filler) randText(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + g.r().UintN(26))
	}
	return string(b)
}

const farFutureMs int64 = 4102444800000 // 2100-01-01T00:00:00Z; int64 so 32-bit builds compile

// binKey holds bytes that break naive text handling.
const binKey = "bin:\x00\x01\x02\xff\xfe\r\n\t\"'\\ end"

func fillStrings(g *filler) error {
	// Integers: the RDB stores strings that look like int32 values as int8/16/32.
	for k, v := range map[string]string{
		"int:zero": "0", "int:small": "42", "int:neg": "-7", "int:int8max": "127",
		"int:int8min": "-128", "int:int16": "1000", "int:int16min": "-32768",
		"int:int32": "100000000", "int:int32min": "-2147483648", "int:int32max": "2147483647",
		"int:over32": "2147483648", "int:int64max": "9223372036854775807",
		"int:int64min": "-9223372036854775808", "int:over64": "9223372036854775808",
	} {
		g.do("SET", k, v)
	}
	g.do("SET", "int:counter", "0")
	g.do("INCRBY", "int:counter", 12345)
	// Strings that look numeric but are not canonical integers stay strings.
	for k, v := range map[string]string{
		"num:leadingzero": "007", "num:float": "3.14", "num:space": " 1", "num:plus": "+1",
		"num:minuszero": "-0", "num:exp": "1e3", "num:hex": "0x10",
	} {
		g.do("SET", k, v)
	}
	// Integer-looking keys are stored int-encoded in the RDB as well.
	g.do("SET", "12345", "key is an integer")
	g.do("SET", "-1", "negative integer key")
	g.do("SET", "embstr", "hello world")
	g.do("SET", "", "empty key")
	g.do("SET", "empty", "")
	g.do("SET", "utf8:ключ:日本", "значение ✓ 値")
	g.do("SET", binKey, "\x00\xff\xfe\x00binary\r\n\x00")
	// Length-encoding boundaries (6-bit < 64, 14-bit < 16384), incompressible.
	for _, n := range []int{1, 20, 21, 44, 45, 63, 64, 16383, 16384} {
		g.do("SET", "len:"+strconv.Itoa(n), g.randText(n))
	}
	g.do("SET", "raw:binary", g.randBytes(300))
	// LZF: repetitive strings > 20 bytes are compressed by rdbcompression yes.
	g.do("SET", "lzf:repeat", strings.Repeat("abcdefgh", 500))
	g.do("SET", "lzf:json", strings.Repeat(`{"id":1234,"name":"widget","tags":["a","b"]},`, 200))
	g.do("SET", "lzf:zeros", strings.Repeat("\x00", 5000))
	g.do("SET", "lzf:short", strings.Repeat("x", 21))
	// raw (not embstr) via APPEND / SETRANGE
	g.do("SET", "raw:append", "start")
	g.do("APPEND", "raw:append", "-appended-text")
	g.do("SETRANGE", "raw:setrange", 10, "offset")
	g.encoding("int:small", "int")
	g.encoding("embstr", "embstr")
	g.encoding("raw:append", "raw")
	return g.err()
}

func fillLists(g *filler) error {
	// Redis 7.0 writes every list as quicklist 2 (type 18) with listpack nodes.
	g.do("RPUSH", "list:small", "a", "b", "c", "1", "2", "3")
	g.do("LPUSH", "list:lpush", "x", "y", "z")
	// Every listpack integer width, positive and negative, plus near misses.
	ints := []string{"0", "1", "127", "128", "-1", "-64", "-65", "4095", "-4096", "4096",
		"32767", "-32768", "32768", "8388607", "-8388608", "8388608", "2147483647",
		"-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "12345678901234567890", "007", "1.5", "-0", " 1"}
	g.do(append([]any{"RPUSH", "list:ints"}, toAny(ints)...)...)
	// Listpack string lengths: 6-bit (< 64), 12-bit (< 4096), 32-bit.
	g.do("RPUSH", "list:strlens", "", "a", g.randText(63), g.randText(64), g.randText(4095), g.randText(4096))
	g.do("RPUSH", "list:binary", "\x00", "\xff\xfe", binKey, "\r\n")
	// Several listpack nodes.
	g.do("CONFIG", "SET", "list-max-listpack-size", "4")
	for i := 0; i < 50; i++ {
		g.do("RPUSH", "list:multinode", fmt.Sprintf("element-%03d", i))
	}
	// LZF-compressed interior nodes (list-compress-depth 1).
	g.do("CONFIG", "SET", "list-compress-depth", "1")
	for i := 0; i < 40; i++ {
		g.do("RPUSH", "list:compressed", fmt.Sprintf("compressible-element-aaaaaaaaaaaaaaaaaaaa-%03d", i))
	}
	g.do("CONFIG", "SET", "list-compress-depth", "0")
	g.do("CONFIG", "SET", "list-max-listpack-size", "-2")
	// Plain nodes: elements above the packed threshold get a node of their own.
	g.do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1K")
	g.do("RPUSH", "list:plain", "small-1", g.randText(2000), "small-2", strings.Repeat("P", 3000), "small-3")
	g.do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1G")
	g.do("RPUSH", "list:big", g.randText(10000))
	for i := 0; i < 300; i++ {
		g.do("RPUSH", "list:long", i*7919)
	}
	g.encoding("list:small", "quicklist")
	return g.err()
}

func fillSets(g *filler) error {
	// intset (type 11) in each width.
	g.do("SADD", "set:int16", 1, 2, 3, -5, 300)
	g.do("SADD", "set:int32", 1, 70000, -70000)
	g.do("SADD", "set:int64", 1, int64(1)<<40, -(int64(1) << 62), "9223372036854775807", "-9223372036854775808")
	g.do("SADD", "set:single", 7)
	g.encoding("set:int16", "intset")
	g.encoding("set:int64", "intset")
	// hashtable (type 2)
	g.do("SADD", "set:strings", "apple", "banana", "cherry", "")
	g.do("SADD", "set:mixed", 1, 2, "three", "4.0")
	g.do("SADD", "set:binary", "\x00", "\xff", binKey, "a\r\nb")
	big := []any{"SADD", "set:manyints"}
	for i := 0; i < 600; i++ { // > set-max-intset-entries (512)
		big = append(big, i*3)
	}
	g.do(big...)
	g.do("SADD", "set:longmember", g.randText(100))
	g.encoding("set:strings", "hashtable")
	g.encoding("set:manyints", "hashtable")
	return g.err()
}

func fillZSets(g *filler) error {
	// listpack (type 17): scores as listpack strings/ints, ±inf included.
	g.do("ZADD", "zset:lp", "-inf", "minf", "+inf", "pinf", 0, "zero", 1, "one", -1, "minus",
		0.5, "half", 3.141592653589793, "pi", 1e10, "e10", "1.7976931348623157e308", "max",
		"5e-324", "tiny", -2.5e-7, "neg-small", int64(123456789012), "bigint")
	g.do("ZADD", "zset:binary", 1, "\x00", 2, binKey)
	g.encoding("zset:lp", "listpack")
	// skiplist (type 5, binary double scores).
	args := []any{"ZADD", "zset:skip", "-inf", "minf", "+inf", "pinf"}
	for i := 0; i < 200; i++ { // > zset-max-listpack-entries (128)
		args = append(args, float64(i)*1.25-100, fmt.Sprintf("member-%03d", i))
	}
	g.do(args...)
	g.do("ZADD", "zset:longmember", 1, g.randText(100), 2, "short", "-inf", "low")
	g.do("ZADD", "zset:same-score", 5, "c", 5, "a", 5, "b")
	g.encoding("zset:skip", "skiplist")
	g.encoding("zset:longmember", "skiplist")
	return g.err()
}

func fillHashes(g *filler) error {
	// listpack (type 16)
	g.do("HSET", "hash:lp", "name", "widget", "count", 42, "neg", -7, "big", "9223372036854775807",
		"empty", "", "", "empty field", "float", "1.5")
	g.do("HSET", "hash:binary", binKey, "\x00\xff", "\r\n", "crlf")
	g.do("HSET", "hash:single", "f", "v")
	g.encoding("hash:lp", "listpack")
	// hashtable (type 4)
	g.do("CONFIG", "SET", "hash-max-listpack-entries", 128) // default 512: keep the file small
	args := []any{"HSET", "hash:ht"}
	for i := 0; i < 200; i++ { // > hash-max-listpack-entries
		args = append(args, fmt.Sprintf("field:%03d", i), fmt.Sprintf("value-%d", i*i))
	}
	g.do(args...)
	g.do("HSET", "hash:longvalue", "short", "x", "long", g.randText(100), "int", 12345)
	g.do("HSET", "hash:lzfvalue", "doc", strings.Repeat("lorem ipsum dolor sit amet ", 50), "n", 1)
	g.encoding("hash:ht", "hashtable")
	g.encoding("hash:longvalue", "hashtable")
	return g.err()
}

func fillStreams(g *filler) error {
	// Written as type 19 (stream listpacks 2) by Redis 7.0; node size 5 entries.
	for i := 1; i <= 25; i++ {
		id := fmt.Sprintf("1700000000000-%d", i)
		if i%4 == 0 {
			// different field set than the master entry
			g.do("XADD", "stream:main", id, "event", "other", "extra", i, "bin", "\x00\xff")
		} else {
			g.do("XADD", "stream:main", id, "event", "click", "n", i)
		}
	}
	g.do("XADD", "stream:main", "1700000001000-0", "event", "late", "payload", strings.Repeat("z", 200))
	g.do("XDEL", "stream:main", "1700000000000-2", "1700000000000-7", "1700000000000-8", "1700000000000-9", "1700000000000-10")
	g.do("XGROUP", "CREATE", "stream:main", "workers", "0")
	g.do("XGROUP", "CREATE", "stream:main", "late-group", "1700000000000-20")
	g.do("XGROUP", "CREATE", "stream:main", "idle-group", "$")
	g.do("XREADGROUP", "GROUP", "workers", "alice", "COUNT", 5, "STREAMS", "stream:main", ">")
	g.do("XREADGROUP", "GROUP", "workers", "bob", "COUNT", 4, "STREAMS", "stream:main", ">")
	g.do("XREADGROUP", "GROUP", "late-group", "carol", "COUNT", 2, "STREAMS", "stream:main", ">")
	g.do("XACK", "stream:main", "workers", "1700000000000-1", "1700000000000-3")
	// a second delivery raises the delivery count
	g.do("XCLAIM", "stream:main", "workers", "bob", 0, "1700000000000-4")
	g.do("XGROUP", "CREATECONSUMER", "stream:main", "workers", "dave")
	// trim off the oldest entries, some of them still pending
	g.do("XTRIM", "stream:main", "MINID", "1700000000000-5")

	g.do("XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM")
	g.do("XADD", "stream:alldeleted", "5-1", "f", "v")
	g.do("XADD", "stream:alldeleted", "5-2", "f", "v")
	g.do("XDEL", "stream:alldeleted", "5-1", "5-2")
	g.do("XADD", "stream:small", "1-1", "a", "1")
	g.do("XADD", "stream:small", "2-0", "a", "2", "b", "3")
	g.do("XSETID", "stream:small", "9-9", "ENTRIESADDED", 10, "MAXDELETEDID", "3-0")
	// A bigger stream spanning many nodes.
	for i := 0; i < 60; i++ {
		g.do("XADD", "stream:long", fmt.Sprintf("%d-0", 1600000000000+int64(i)*1000), "temp", 20+i%7, "city", "x"+strconv.Itoa(i%3))
	}
	g.encoding("stream:main", "stream")
	return g.err()
}

const luaLib = "#!lua name=mylib\n" +
	"local function echo(keys, args) return args[1] end\n" +
	"redis.register_function('myecho', echo)\n" +
	"redis.register_function{function_name='mykeys', callback=function(keys, args) return #keys end, flags={'no-writes'}}\n"

func fillMisc(g *filler) error {
	// HyperLogLog: sparse and dense representations (both strings).
	g.do("PFADD", "hll:sparse", "a", "b", "c", "d", "e")
	args := []any{"PFADD", "hll:dense"}
	for i := 0; i < 5000; i++ {
		args = append(args, "visitor-"+strconv.Itoa(i))
	}
	g.do(args...)
	g.expect("sparse", "PFDEBUG", "ENCODING", "hll:sparse")
	g.expect("dense", "PFDEBUG", "ENCODING", "hll:dense")
	// Bitmaps
	for _, off := range []int{0, 7, 8, 100, 1000, 10000} {
		g.do("SETBIT", "bitmap:sparse", off, 1)
	}
	g.do("SETBIT", "bitmap:small", 3, 1)
	g.do("BITFIELD", "bitmap:field", "SET", "u8", 0, 255, "SET", "i16", 8, -2)
	// Geo (a zset with geohash scores)
	g.do("GEOADD", "geo:sicily", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")
	g.do("GEOADD", "geo:world", -0.1278, 51.5074, "London", 139.6917, 35.6895, "Tokyo", -74.006, 40.7128, "NewYork", 0, 0, "null-island")
	// Function library
	g.do("FUNCTION", "LOAD", luaLib)
	g.do("FUNCTION", "LOAD", "#!lua name=otherlib\nredis.register_function('noop', function() return 0 end)\n")
	g.do("SET", "plain", "value")
	return g.err()
}

func fillMultiDBExpiry(g *filler) error {
	// Keys in databases 0..3 and 15; keys with far-future expiries; keys
	// whose expiry is already past in the file (active expiry off while the
	// deadline passes, so SAVE still writes them; a loading server drops them).
	g.do("DEBUG", "SET-ACTIVE-EXPIRE", 0)
	for _, db := range []int{0, 1, 2, 3, 15} {
		g.do("SELECT", db) // the client has one connection (PoolSize 1)
		g.do("SET", fmt.Sprintf("db%d:plain", db), fmt.Sprintf("in database %d", db))
		g.do("RPUSH", fmt.Sprintf("db%d:list", db), "a", "b")
		if db == 3 {
			continue // a database without expiries
		}
		g.do("SET", fmt.Sprintf("db%d:future", db), "expires in 2100")
		g.do("PEXPIREAT", fmt.Sprintf("db%d:future", db), farFutureMs)
		g.do("HSET", fmt.Sprintf("db%d:hash-future", db), "f", "v")
		g.do("PEXPIREAT", fmt.Sprintf("db%d:hash-future", db), farFutureMs+int64(db)*1000+123)
	}
	g.do("SELECT", 0)
	g.do("SET", "ttl:seconds", "EXPIREAT in seconds")
	g.do("EXPIREAT", "ttl:seconds", farFutureMs/1000+1)
	deadline := time.Now().Add(1500 * time.Millisecond).UnixMilli()
	for _, db := range []int{0, 2} {
		g.do("SELECT", db)
		g.do("SET", fmt.Sprintf("db%d:past", db), "already expired in the file")
		g.do("PEXPIREAT", fmt.Sprintf("db%d:past", db), deadline)
		g.do("SADD", fmt.Sprintf("db%d:set-past", db), 1, 2, 3)
		g.do("PEXPIREAT", fmt.Sprintf("db%d:set-past", db), deadline)
	}
	g.do("SELECT", 0)
	time.Sleep(time.Until(time.UnixMilli(deadline + 300)))
	return g.err()
}

// restoreWith copies src to dst with RESTORE ... IDLETIME/FREQ.
func (g *filler) restoreWith(src, dst, opt string, n int) {
	payload := g.do("DUMP", src)
	if g.e != nil {
		return
	}
	g.do("RESTORE", dst, 0, payload, "REPLACE", opt, n)
}

func fillLRU(g *filler) error {
	g.do("SET", "lru:str", "value")
	g.do("RPUSH", "lru:list", "a", "b")
	g.do("HSET", "lru:hash", "f", "v")
	g.do("SADD", "lru:set", 1, 2)
	g.do("ZADD", "lru:zset", 1, "m")
	g.do("XADD", "lru:stream", "1-1", "f", "v")
	for _, idle := range []int{0, 1, 100, 3600, 86400 * 30} {
		g.restoreWith("lru:str", "lru:idle:"+strconv.Itoa(idle), "IDLETIME", idle)
	}
	g.do("SET", "lru:ttl", "with expiry and idle")
	g.do("PEXPIREAT", "lru:ttl", farFutureMs)
	return g.err()
}

func fillLFU(g *filler) error {
	g.do("SET", "lfu:str", "value")
	g.do("RPUSH", "lfu:list", "a", "b")
	g.do("HSET", "lfu:hash", "f", "v")
	g.do("SADD", "lfu:set", "x", "y")
	g.do("ZADD", "lfu:zset", 1, "m")
	for _, f := range []int{0, 1, 5, 100, 255} {
		g.restoreWith("lfu:str", "lfu:freq:"+strconv.Itoa(f), "FREQ", f)
	}
	for i := 0; i < 50; i++ {
		g.do("GET", "lfu:str") // raises its counter
	}
	g.do("SET", "lfu:ttl", "with expiry and freq")
	g.do("PEXPIREAT", "lfu:ttl", farFutureMs)
	return g.err()
}

func fillNoCRC(g *filler) error {
	g.do("SET", "nocrc:str", "written with rdbchecksum no")
	g.do("SET", "nocompress:repeat", strings.Repeat("abcdefgh", 100))
	g.do("RPUSH", "nocompress:list", strings.Repeat("y", 100), "b")
	g.do("HSET", "nocrc:hash", "f", "v")
	return g.err()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
