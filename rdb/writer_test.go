package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// wtFill puts one key of every kind Redis 7 writes into the server, some
// with expiries, in databases 0 and 2.
func wtFill(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	do("SET", "str:int", "12345")
	do("SET", "str:embstr", "hello")
	do("SET", "str:raw", strings.Repeat("raw-", 30))
	do("SET", "str:lzf", strings.Repeat("compress me ", 200))
	do("SET", "123456", "integer key")
	do("SET", "ttl:str", "expiring", "EX", "100000")
	do("RPUSH", "list:small", "a", "b", "c")
	do("RPUSH", "list:plain", strings.Repeat("p", 9000), "x")
	do("SADD", "set:int", 1, 2, 3)
	do("SADD", "set:str", "a", "b")
	do("ZADD", "zset:lp", 1.5, "a", "+inf", "b", "-inf", "c")
	do("HSET", "hash:lp", "f1", "v1", "f2", "v2")
	do("PFADD", "hll", "a", "b", "c")
	do("XADD", "stream", "1-1", "f", "v")
	do("XADD", "stream", "2-1", "f", "w")
	do("XGROUP", "CREATE", "stream", "g", "0")
	do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">")
	do("PEXPIRE", "hash:lp", "100000000")
	do("EXPIRE", "list:small", "100000")
	do("SELECT", "2")
	do("SET", "db2:key", "in db 2")
	do("SET", "db2:ttl", "in db 2 with ttl", "PX", "99999999")
	do("SELECT", "0")
	for i := 0; i < 200; i++ {
		do("HSET", "hash:big", fmt.Sprintf("field-%d", i), strings.Repeat("v", i))
		do("ZADD", "zset:big", i, fmt.Sprintf("member-%d", i))
		do("SADD", "set:big", fmt.Sprintf("member-%d", i))
	}
}

// wtDigests returns DEBUG DIGEST-VALUE of every key of db.
func wtDigests(t *testing.T, s *redistest.Server, db int) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DB: db, Protocol: 2})
	defer c.Close()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		d, err := c.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Slice()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = fmt.Sprint(d...)
	}
	return out
}

// TestWriterRealRedis: a real dump reads back and rewrites byte for byte;
// entries written with changes (expiry removed, key renamed, key dropped,
// LRU idle added) make a file that redis-check-rdb accepts and that a real
// server loads with exactly those changes.
func TestWriterRealRedis(t *testing.T) {
	src := redistest.Start(t)
	wtFill(t, src.Client(t))
	dump := src.Save(t)
	in, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	recs, r, err := rcReadAll(t, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.Checksum().Status != ChecksumOK {
		t.Fatalf("checksum %v", r.Checksum())
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, in) {
		t.Fatal("identity rewrite of a real dump differs")
	}
	// the digest covers the expiry: drop them on the source as the rewrite will
	ctx := context.Background()
	sc := src.Client(t)
	for _, k := range []string{"ttl:str", "hash:lp", "list:small"} {
		if err := sc.Persist(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	sc2 := redis.NewClient(&redis.Options{Addr: src.Addr, DB: 2, Protocol: 2})
	defer sc2.Close()
	if err := sc2.Persist(ctx, "db2:ttl").Err(); err != nil {
		t.Fatal(err)
	}
	want0, want2 := wtDigests(t, src, 0), wtDigests(t, src, 2)

	h := recs[0].(*Header)
	path := filepath.Join(t.TempDir(), "changed.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, h.Version)
	expiring := 0
	for _, rec := range recs {
		if e, ok := rec.(*Entry); ok {
			switch string(e.Key) {
			case "str:raw":
				continue // dropped
			case "str:embstr":
				e.Key = []byte("renamed")
			case "set:str":
				e.Idle = 77
			}
			if e.HasExpiry() {
				expiring++
				e.ExpireMs = -1
			}
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if expiring != 4 {
		t.Fatalf("%d entries with an expiry, want 4", expiring)
	}
	if err := redistest.CheckRDB(t, path); err != nil {
		t.Fatal(err)
	}
	dst := redistest.Start(t, redistest.WithRDB(path))
	got0, got2 := wtDigests(t, dst, 0), wtDigests(t, dst, 2)
	want0["renamed"] = want0["str:embstr"]
	delete(want0, "str:embstr")
	delete(want0, "str:raw")
	if fmt.Sprint(got0) != fmt.Sprint(want0) || fmt.Sprint(got2) != fmt.Sprint(want2) {
		t.Fatalf("loaded keyspace differs:\n got %v %v\nwant %v %v", got0, got2, want0, want2)
	}
	c := dst.Client(t)
	for _, k := range []string{"ttl:str", "hash:lp", "list:small"} {
		if ttl, err := c.Do(ctx, "PTTL", k).Int64(); err != nil || ttl != -1 {
			t.Fatalf("PTTL %s = %d, %v (want -1)", k, ttl, err)
		}
	}
	if idle, err := c.Do(ctx, "OBJECT", "IDLETIME", "set:str").Int64(); err != nil || idle < 77 {
		t.Fatalf("idle %d %v", idle, err)
	}
	// the changed file reads back with the changes
	recs2, _, err := rcReadAll(t, bytes.NewReader(mustRead(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs2 {
		if e, ok := rec.(*Entry); ok && e.HasExpiry() {
			t.Fatalf("%q still expires", e.Key)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriterFromScratch: records built by hand (no Reader) make a file
// Redis loads.
func TestWriterFromScratch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scratch.rdb")
	var buf bytes.Buffer
	w := NewWriter(&buf, 10)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteAux("redis-ver", "7.0.15"))
	must(w.WriteAux("redis-bits", "64"))
	must(w.WriteFunction([]byte("#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 42 end)")))
	must(w.WriteSelectDB(0))
	must(w.WriteResizeDB(3, 2))
	str := func(s string) []byte { return append(appendLen(nil, uint64(len(s))), s...) }
	must(w.WriteEntry(&Entry{Key: []byte("plain"), Type: TypeString, Value: str("v1"), ExpireMs: -1, Idle: -1, Freq: -1}))
	must(w.WriteEntry(&Entry{Key: []byte("ms"), Type: TypeString, Value: str("v2"), ExpireMs: 4102444800123, Idle: 5, Freq: -1}))
	must(w.WriteEntry(&Entry{Key: []byte("secs"), Type: TypeString, Value: str("v3"), ExpireMs: 2000000000000, ExpireSeconds: true, Idle: -1, Freq: -1}))
	must(w.WriteEntry(&Entry{DB: 1, Key: []byte("set"), Type: TypeSet, Value: append(appendLen(nil, 2), append(str("a"), str("b")...)...), ExpireMs: -1, Idle: -1, Freq: -1}))
	must(w.Close())
	out := buf.Bytes()
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}

	// canonical encodings: expire ms then idle; the seconds form; SELECTDB 1 before db 1
	if !bytes.Contains(out, rcCat([]byte{OpExpireTimeMs}, rcU64(4102444800123), []byte{OpIdle, 5, TypeString, 2, 'm', 's'})) {
		t.Fatalf("ms expiry + idle not encoded as expected: %x", out)
	}
	if !bytes.Contains(out, rcCat([]byte{OpExpireTime}, binary.LittleEndian.AppendUint32(nil, 2000000000), []byte{TypeString, 4, 's', 'e', 'c', 's'})) {
		t.Fatalf("seconds expiry not encoded as expected: %x", out)
	}
	if !bytes.Contains(out, []byte{OpSelectDB, 1, TypeSet, 3, 's', 'e', 't'}) {
		t.Fatal("no SELECTDB 1 before the db-1 entry")
	}
	// deterministic; version 0 takes the header's
	var again bytes.Buffer
	w2 := NewWriter(&again, 0)
	recs, _, err := rcReadAll(t, bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		must(w2.Write(rec))
	}
	must(w2.Close())
	if !bytes.Equal(again.Bytes(), out) {
		t.Fatal("rewrite of the scratch file differs")
	}

	if err := redistest.CheckRDB(t, path); err != nil {
		t.Fatal(err)
	}
	s := redistest.Start(t, redistest.WithRDB(path))
	ctx := context.Background()
	c := s.Client(t)
	if v, err := c.Get(ctx, "plain").Result(); err != nil || v != "v1" {
		t.Fatalf("GET plain = %q %v", v, err)
	}
	if ttl, err := c.PTTL(ctx, "ms").Result(); err != nil || ttl <= 0 {
		t.Fatalf("PTTL ms = %v %v", ttl, err)
	}
	if v, err := c.Do(ctx, "FCALL", "myfunc", 0).Int(); err != nil || v != 42 {
		t.Fatalf("FCALL = %v %v", v, err)
	}
	c1 := redis.NewClient(&redis.Options{Addr: s.Addr, DB: 1, Protocol: 2})
	defer c1.Close()
	if m, err := c1.SMembers(ctx, "set").Result(); err != nil || len(m) != 2 {
		t.Fatalf("SMEMBERS = %v %v", m, err)
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 10)
	if err := w.Write(&Header{Magic: "REDIS", Version: 10}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Header{Magic: "REDIS", Version: 10}); err == nil {
		t.Fatal("second header accepted")
	}
	if err := w.WriteEntry(&Entry{Key: []byte("k"), Type: TypeString, ValueLen: 5, ExpireMs: -1, Idle: -1, Freq: -1}); err == nil {
		t.Fatal("entry without value bytes accepted")
	}
	if err := w.WriteEntry(&Entry{Key: []byte("k"), Type: 42, Value: []byte{0}, ExpireMs: -1, Idle: -1, Freq: -1}); err == nil {
		t.Fatal("unknown type accepted")
	}
	if err := w.WriteEntry(&Entry{Key: []byte("k"), Type: TypeString, Value: []byte{0}, ExpireMs: -1, Idle: -1, Freq: 300}); err == nil {
		t.Fatal("freq 300 accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAux("a", "b"); err == nil {
		t.Fatal("write after close accepted")
	}
	if err := NewWriter(io.Discard, 10, WithMagic("KEYDB")).Close(); err == nil {
		t.Fatal("bad magic accepted")
	}
	if err := NewWriter(io.Discard, 10000).Close(); err == nil {
		t.Fatal("version 10000 accepted")
	}
	var vb bytes.Buffer
	if err := NewWriter(&vb, 80, WithMagic("VALKEY")).Close(); err != nil || !strings.HasPrefix(vb.String(), "VALKEY080\xff") || vb.Len() != 18 {
		t.Fatalf("valkey header %q %v", vb.String(), err)
	}
	boom := errors.New("disk full")
	fw := NewWriter(rcFailWriter{boom}, 10)
	fw.WriteAux("a", "b")
	if err := fw.Close(); !errors.Is(err, boom) {
		t.Fatalf("write error not reported: %v", err)
	}
	// the same through the background sink (output beyond one buffer)
	fw = NewWriter(rcFailWriter{boom}, 10)
	big := &Entry{Key: []byte("big"), Type: TypeString, Value: append(appendLen(nil, 3<<20), make([]byte, 3<<20)...), ExpireMs: -1, Idle: -1, Freq: -1}
	fw.WriteEntry(big)
	fw.WriteEntry(big)
	if err := fw.Close(); !errors.Is(err, boom) || fw.sink != nil {
		t.Fatalf("background write error not reported: %v", err)
	}
}

type rcFailWriter struct{ err error }

func (f rcFailWriter) Write(p []byte) (int, error) { return 0, f.err }

// TestLargeFile: a file above the feeder threshold (read and checksummed
// in the background) with multi-MB values reads, rewrites identically and
// detects a flipped byte deep inside a big value.
func TestLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "large.rdb")
	if err := writeBenchFile(path, 3000, 3); err != nil {
		t.Fatal(err)
	}
	in := mustRead(t, path)
	if len(in) < feedMinInput {
		t.Fatalf("file of %d bytes is below the feeder threshold", len(in))
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, r, err := rcReadAll(t, f)
	if err != nil || r.feed == nil || r.Checksum().Status != ChecksumOK {
		t.Fatalf("%v feeder=%v %v", err, r.feed != nil, r.Checksum())
	}
	spans := 0
	for _, rec := range recs {
		if e, ok := rec.(*Entry); ok {
			spans += len(e.spans)
		}
	}
	if spans != 3 {
		t.Fatalf("%d big values came with their CRC, want 3", spans)
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, in) {
		t.Fatal("large identity rewrite differs")
	}
	// a value replaced by a copy is hashed again: the output is the same
	for _, rec := range recs {
		if e, ok := rec.(*Entry); ok && len(e.spans) > 0 {
			e.Value = append([]byte(nil), e.Value...)
		}
	}
	if out := rcRewrite(t, recs); !bytes.Equal(out, in) {
		t.Fatal("large rewrite with copied values differs")
	}
	for _, opts := range [][]ReaderOption{nil, {SkipValues()}, {readerFeed(false)}} {
		bad := append([]byte{}, in...)
		bad[len(bad)-3<<20] ^= 1
		_, _, err = rcReadAll(t, bytes.NewReader(bad), opts...)
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("flipped byte: %v", err)
		}
	}
	// a Reader abandoned after the header must not read from the file
	// behind the caller's back (its feeder uses ReadAt, not the offset)
	for i := 0; i < 5; i++ {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := NewReader(f).Next(); err != nil {
			t.Fatal(err)
		}
		if cur, _ := f.Seek(0, io.SeekCurrent); cur != 0 {
			t.Fatalf("file offset moved to %d", cur)
		}
		again, _, err := rcReadAll(t, f)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("second read: %v, %d records", err, len(again))
		}
	}
	// truncated in a big value, size unknown
	_, _, err = rcReadAll(t, io.MultiReader(bytes.NewReader(in[:len(in)-2<<20])), readerFeed(true))
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated: %v", err)
	}
}

// TestWriterChangedRecords: every record kind, changed after reading, is
// re-encoded canonically and reads back with the change; unchanged
// neighbours stay byte-identical.
func TestWriterChangedRecords(t *testing.T) {
	recs, _, err := rcReadAll(t, bytes.NewReader(rcAllFile()))
	if err != nil {
		t.Fatal(err)
	}
	var firstEntry *Entry
	for _, rec := range recs {
		switch x := rec.(type) {
		case *Aux:
			if string(x.Key) == "redis-bits" {
				x.Value = []byte("32")
			}
		case *Function:
			if x.Opcode == OpFunction2 {
				x.Code = []byte("#!lua name=changed\nredis.register_function('g', function() return 2 end)")
			}
		case *SelectDB:
			if x.DB == 3 {
				x.DB = 5
			}
		case *ResizeDB:
			x.DBSize = 1000
		case *SlotInfo:
			x.ExpiresSlotSize = 9
		case *Entry:
			if firstEntry == nil {
				firstEntry = x
				x.Idle, x.Freq = 1, 2
				x.ExpireMs = 1234
			}
			if string(x.Key) == "4" { // an int-encoded key
				x.Key = []byte("four")
			}
			if x.DB == 3 {
				x.DB = 5 // follows its SELECTDB: no extra SELECTDB written
			}
		}
	}
	out := rcRewrite(t, recs)
	back, _, err := rcReadAll(t, bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(recs) {
		t.Fatalf("%d records, want %d", len(back), len(recs))
	}
	var sawFour, sawDB5 bool
	for i, rec := range back {
		switch x := rec.(type) {
		case *Aux:
			if string(x.Key) == "redis-bits" && string(x.Value) != "32" {
				t.Fatalf("aux %q", x.Value)
			}
		case *Function:
			if x.Opcode == OpFunction2 && !strings.Contains(string(x.Code), "name=changed") {
				t.Fatalf("function %q", x.Code)
			}
		case *ResizeDB:
			if x.DBSize != 1000 || x.ExpiresSize != 3 {
				t.Fatalf("resizedb %+v", x)
			}
		case *SlotInfo:
			if x.ExpiresSlotSize != 9 || x.Slot != 100 {
				t.Fatalf("slotinfo %+v", x)
			}
		case *SelectDB:
			sawDB5 = sawDB5 || x.DB == 5
		case *Entry:
			o := recs[i].(*Entry)
			if !bytes.Equal(x.Value, o.Value) || x.Type != o.Type || x.ExpireMs != o.ExpireMs || x.Idle != o.Idle || x.Freq != o.Freq || string(x.Key) != string(o.Key) {
				t.Fatalf("entry %q read back as %q %+v", o.Key, x.Key, x)
			}
			sawFour = sawFour || string(x.Key) == "four"
			if x.DB != o.DB {
				t.Fatalf("entry %q in db %d, want %d", x.Key, x.DB, o.DB)
			}
		}
	}
	if !sawFour || !sawDB5 {
		t.Fatalf("changes lost: four=%v db5=%v", sawFour, sawDB5)
	}
	// the first entry's prefix is canonical: expire ms, idle, freq
	e := back[9].(*Entry)
	want := rcCat([]byte{OpExpireTimeMs}, rcU64(1234), []byte{OpIdle, 1, OpFreq, 2, e.Type})
	if !bytes.Contains(out, want) {
		t.Fatalf("canonical prefix %x not in output", want)
	}
}

// TestCRCShift: CRC64(c, b) == CRC64(0, b) ^ crcShift(c, len(b)), which
// lets the Writer reuse the Reader's CRC of big values.
func TestCRCShift(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100; i++ {
		a := make([]byte, rng.Intn(3000))
		b := make([]byte, rng.Intn(70000))
		rng.Read(a)
		rng.Read(b)
		ca := CRC64(0, a)
		if got, want := CRC64(0, b)^crcShift(ca, int64(len(b))), CRC64(ca, b); got != want {
			t.Fatalf("%d: %x != %x (len a %d b %d)", i, got, want, len(a), len(b))
		}
	}
}
