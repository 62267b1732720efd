package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/rdb"
)

// Tests of the values Rewrite skips unread because its filter drops them
// whatever they hold (UnseenDropper): the output and every count are those
// of the same rewrite with the values read, and a dropped value costs no
// memory.

// hidden hides every interface of a filter but Filter: Rewrite then reads
// every value, as before UnseenDropper.
type hidden struct{ f Filter }

func (h hidden) Apply(e *rdb.Entry) bool { return h.f.Apply(e) }

// seer records what the filters after a chain's dropper see.
type seer struct {
	keys    []string
	skipped int
}

func (s *seer) Apply(e *rdb.Entry) bool {
	s.keys = append(s.keys, fmt.Sprintf("db%d %s", e.DB, e.Key))
	if e.ValueSkipped() || e.Value == nil {
		s.skipped++
	}
	return true
}

// spy is a dropper that counts the entries it gets with their value skipped.
type spy struct {
	*Prune
	skipped, whole int
}

func (s *spy) Apply(e *rdb.Entry) bool {
	if e.ValueSkipped() {
		s.skipped++
	} else {
		s.whole++
	}
	return s.Prune.Apply(e)
}

// swDump writes a dump (RDB 12) of small keys of every kind and fpg:
// values, big ones of bigSize bytes (random: LZF cannot shrink them).
func swDump(t testing.TB, bigSize int) []byte {
	t.Helper()
	const v = 12
	var out bytes.Buffer
	w := rdb.NewWriter(&out, v)
	if err := w.WriteAux("redis-ver", "7.4.0"); err != nil {
		t.Fatal(err)
	}
	add := func(db int, key string, val *rdb.Value, expire int64) {
		t.Helper()
		e, err := rdb.NewEntry(db, []byte(key), val, v)
		if err != nil {
			t.Fatal(err)
		}
		e.ExpireMs = expire
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *rdb.Value { return &rdb.Value{Kind: "string", String: []byte(s)} }
	big := make([]byte, bigSize)
	rand.New(rand.NewSource(int64(bigSize))).Read(big)
	const past, future = 1_000_000_000_000, 4_000_000_000_000
	fieldTTL := &rdb.Value{Kind: "hash", Hash: []rdb.HashField{
		{Field: []byte("a"), Value: []byte("1"), ExpireMs: past},
		{Field: []byte("b"), Value: []byte("2"), ExpireMs: future},
		{Field: []byte("c"), Value: []byte("3"), ExpireMs: -1}}}
	allPast := &rdb.Value{Kind: "hash", Hash: []rdb.HashField{{Field: []byte("x"), Value: []byte("1"), ExpireMs: past}}}
	for db := 0; db < 2; db++ {
		for i := 0; i < 50; i++ {
			add(db, fmt.Sprintf("user:%d", i), str(fmt.Sprintf("value %d", i)), -1)
		}
		add(db, "fpg:snap_2020-07-16.fpg", &rdb.Value{Kind: "string", String: big}, -1)
		add(db, "fpg:snap_2020-07-09.fpg", &rdb.Value{Kind: "string", String: big[:bigSize/2]}, future)
		add(db, "fpg:snap_2019-01-01.fpg", str(strings.Repeat("old bitfile ", 100)), past)
		add(db, "fpg:list", &rdb.Value{Kind: "list", List: [][]byte{big[:1000], []byte("x"), big[1000:3000]}}, -1)
		add(db, "fpg:fields", fieldTTL, -1)
		add(db, "fpg:fields-past", allPast, -1)
		add(db, "session:1", str("s"), future)
		add(db, "session:old", str("s"), past)
		add(db, "hash:fields", fieldTTL, -1)
		add(db, "counter", str("12345"), -1)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// swRun rewrites data through f.
func swRun(t testing.TB, data []byte, f Filter) ([]byte, *RewriteStats) {
	t.Helper()
	var out bytes.Buffer
	st, err := Rewrite(bytes.NewReader(data), &out, f, RewriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), st
}

// swState is what a filter counted, for comparing two runs.
func swState(t testing.TB, f Filter) string {
	t.Helper()
	switch f := f.(type) {
	case Chain:
		var parts []string
		for _, g := range f {
			parts = append(parts, swState(t, g))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case hidden:
		return swState(t, f.f)
	case *Checker:
		var vs []string
		for _, v := range f.Finish(-1) {
			vs = append(vs, v.String())
		}
		return fmt.Sprintf("checker keys %d violations %q omitted %v", f.Keys, vs, f.Omitted)
	case *seer:
		return fmt.Sprintf("seer %q", f.keys)
	case *spy:
		return swState(t, f.Prune)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%T%s", f, b)
}

// Every way a refresh, prune or persist builds its filter: the rewrite
// that skips the dropped values writes the same bytes and counts the same
// as the one that reads them.
func TestRewriteDropsUnseenSameOutput(t *testing.T) {
	data := swDump(t, 3<<20)
	fpg := NewGlobs([]string{"fpg:*"})
	const now = 2_000_000_000_000
	spare := NewKeepNewest(1)
	spare.Offer(1, []byte("fpg:snap_2020-07-16.fpg"))
	policy := &Policy{NoTTL: true, MaxValueSize: 1 << 20, Forbid: []string{"fpg:*", "session:*"}, Require: []string{"user:*", "fpg:*"}}
	cases := []struct {
		name string
		make func() Filter
		may  bool // mayDropUnseen: Rewrite asks the filter
	}{
		{"prune", func() Filter { return &Prune{Select: Select{Match: fpg}} }, true},
		{"prune types dbs", func() Filter {
			return &Prune{Select: Select{Match: fpg, Types: Types{"string", "hash"}, DBs: DBs{1}}}
		}, true},
		{"prune spare", func() Filter { return &Prune{Select: Select{Match: fpg}, Spare: spare.Spare()} }, true},
		{"prune larger", func() Filter { return &Prune{Select: Select{Match: fpg, LargerThan: 1 << 20}} }, false},
		{"refresh", func() Filter {
			return Chain{Chain{&Prune{Select: Select{Match: fpg}}, &Persist{NowMs: now}, NewChecker(policy)}, &seer{}}
		}, true},
		{"refresh drop-expired", func() Filter {
			return Chain{Chain{&Prune{Select: Select{Match: fpg}}, &Persist{NowMs: now, DropExpired: true}, NewChecker(policy)}, &seer{}}
		}, true},
		{"refresh larger", func() Filter {
			return Chain{Chain{&Prune{Select: Select{Match: fpg, LargerThan: 100}}, &Persist{NowMs: now}}, &seer{}}
		}, false},
		{"persist first", func() Filter {
			return Chain{&Persist{NowMs: now, DropExpired: true}, &Prune{Select: Select{Match: fpg}}, &seer{}}
		}, true},
		{"persist matching first", func() Filter {
			return Chain{&Persist{Match: NewGlobs([]string{"fpg:snap*"}), NowMs: now}, &Prune{Select: Select{Match: fpg}}}
		}, true},
		{"checker first", func() Filter {
			return Chain{NewChecker(policy), &DropExpired{NowMs: now}, &Prune{Select: Select{Match: fpg, Types: Types{"string"}}}}
		}, true},
		{"two prunes", func() Filter {
			return Chain{&Prune{Select: Select{Match: NewGlobs([]string{"session:*"})}}, &Prune{Select: Select{LargerThan: 1 << 20}}, &Prune{Select: Select{Match: fpg}}}
		}, true},
		{"unknown first", func() Filter { return Chain{&seer{}, &Prune{Select: Select{Match: fpg}}} }, true},
		{"persist only", func() Filter { return Chain{&Persist{NowMs: now}, &seer{}} }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, g := c.make(), c.make()
			if got := mayDropUnseen(f); got != c.may {
				t.Fatalf("mayDropUnseen = %v, want %v", got, c.may)
			}
			out, st := swRun(t, data, f)
			want, wst := swRun(t, data, hidden{g})
			if !bytes.Equal(out, want) {
				t.Fatalf("output differs from the rewrite that reads every value (%d bytes, want %d)", len(out), len(want))
			}
			if fmt.Sprintf("%+v", st) != fmt.Sprintf("%+v", wst) {
				t.Fatalf("stats %+v, want %+v", st, wst)
			}
			if s, w := swState(t, f), swState(t, g); s != w {
				t.Fatalf("filter counted\n%s\nwant\n%s", s, w)
			}
			// what follows the dropper never sees a skipped value
			if ch, ok := f.(Chain); ok {
				if s, ok := ch[len(ch)-1].(*seer); ok && s.skipped > 0 {
					t.Fatalf("the last filter saw %d entries without a value", s.skipped)
				}
			}
		})
	}
}

// The values the dropper gets skipped are the ones it drops unseen, and
// they are really skipped (not read and then dropped).
func TestRewriteDropsUnseenSkips(t *testing.T) {
	data := swDump(t, 3<<20)
	s := &spy{Prune: &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}}}
	_, st := swRun(t, data, Chain{&Persist{Match: NewGlobs([]string{"user:*"})}, s, &seer{}})
	if s.skipped != 12 || s.whole != int(st.KeysIn)-12 || s.Removed != 12 || st.KeysOut != st.KeysIn-12 {
		t.Fatalf("%d skipped, %d read whole, %d removed, %d of %d keys written", s.skipped, s.whole, s.Removed, st.KeysOut, st.KeysIn)
	}
	// a spared key is read whole: it is kept
	k := NewKeepNewest(1)
	k.Offer(0, []byte("fpg:list"))
	s = &spy{Prune: &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}, Spare: k.Spare()}}
	swRun(t, data, s)
	if s.skipped != 11 || s.Removed != 11 || s.Spared != 1 {
		t.Fatalf("with a spared key: %d skipped, %d removed, %d spared", s.skipped, s.Removed, s.Spared)
	}
}

func TestChainDropsUnseen(t *testing.T) {
	fpg := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}}
	e := func(key string, typ byte, expire int64) *rdb.Entry {
		return &rdb.Entry{Key: []byte(key), Type: typ, ExpireMs: expire, Idle: -1, Freq: -1}
	}
	cases := []struct {
		c    Chain
		e    *rdb.Entry
		want bool
	}{
		{Chain{fpg}, e("fpg:a", rdb.TypeString, -1), true},
		{Chain{fpg}, e("user:a", rdb.TypeString, -1), false},
		{Chain{Chain{fpg}, &seer{}}, e("fpg:a", rdb.TypeString, -1), true},
		{Chain{&seer{}, fpg}, e("fpg:a", rdb.TypeString, -1), false},            // an unknown filter first
		{Chain{&Persist{}, fpg}, e("fpg:a", rdb.TypeString, 5), false},          // Persist changes the entry first
		{Chain{&Persist{}, fpg}, e("fpg:a", rdb.TypeString, -1), true},          // ... not without expiry
		{Chain{&Persist{}, fpg}, e("fpg:a", rdb.TypeHashListpackEx, -1), false}, // ... it reads field expiries
		{Chain{&Persist{Match: NewGlobs([]string{"u*"})}, fpg}, e("fpg:a", rdb.TypeString, 5), true},
		{Chain{NewChecker(&Policy{NoTTL: true}), fpg}, e("fpg:a", rdb.TypeHashListpackEx, -1), false},
		{Chain{NewChecker(&Policy{NoTTL: true}), fpg}, e("fpg:a", rdb.TypeString, 5), true},
		{Chain{&DropExpired{NowMs: 10}, fpg}, e("fpg:a", rdb.TypeString, 5), true},
		{Chain{&Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"}), LargerThan: 10}}}, e("fpg:a", rdb.TypeString, -1), false},
		{Chain{}, e("fpg:a", rdb.TypeString, -1), false},
	}
	for i, c := range cases {
		if got := c.c.DropsUnseen(c.e); got != c.want {
			t.Errorf("case %d: DropsUnseen(%q) = %v, want %v", i, c.e.Key, got, c.want)
		}
	}
	if mayDropUnseen(Chain{&Persist{}, &seer{}}) || !mayDropUnseen(Chain{&seer{}, Chain{fpg}}) || mayDropUnseen((*Prune)(nil)) {
		t.Fatal("mayDropUnseen")
	}
}

// liar says it drops what it then keeps: Rewrite refuses to write an entry
// whose value was skipped.
type liar struct{}

func (liar) Apply(*rdb.Entry) bool         { return true }
func (liar) DropsUnseen(e *rdb.Entry) bool { return bytes.HasPrefix(e.Key, []byte("fpg:")) }

func TestRewriteDropsUnseenLiar(t *testing.T) {
	data := swDump(t, 4000)
	var out bytes.Buffer
	_, err := Rewrite(bytes.NewReader(data), &out, liar{}, RewriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "fpg:snap_2020-07-16.fpg") || !strings.Contains(err.Error(), "not read") {
		t.Fatalf("a filter keeping a skipped entry: %v", err)
	}
	if bytes.Contains(out.Bytes(), []byte("fpg:snap_2020-07-16.fpg")) {
		t.Fatal("the entry was written without its value")
	}
}

// Pruning a 64 MiB value by its key allocates far less than the value:
// it is skipped unread. Output and counts are those of the rewrite that
// reads it.
func TestRewriteDropsUnseenMemory(t *testing.T) {
	const size = 64 << 20
	var out bytes.Buffer
	w := rdb.NewWriter(&out, 10)
	for i := 0; i < 100; i++ {
		e, _ := rdb.NewEntry(0, []byte(fmt.Sprintf("user:%d", i)), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	big := make([]byte, size)
	rand.New(rand.NewSource(3)).Read(big)
	e, err := rdb.NewEntry(0, []byte("fpg:bitfile"), &rdb.Value{Kind: "string", String: big}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEntry(e); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := out.Bytes()
	big, e = nil, nil

	run := func(f Filter) ([]byte, *RewriteStats, uint64) {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		out, st := swRun(t, data, f)
		runtime.ReadMemStats(&ms1)
		return out, st, ms1.TotalAlloc - ms0.TotalAlloc
	}
	p := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}}
	got, st, alloc := run(p)
	hp := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}}
	want, wst, walloc := run(hidden{hp})
	t.Logf("allocated %d bytes skipping the value, %d reading it", alloc, walloc)
	// what is left is the Reader's own: its buffer and the background
	// reader's chunks (about 9 MiB, the same for any value size)
	if alloc > 16<<20 {
		t.Errorf("pruning a %d-byte value allocated %d bytes", size, alloc)
	}
	if walloc < size {
		t.Errorf("reading the value allocated only %d bytes: the test does not measure what it should", walloc)
	}
	if !bytes.Equal(got, want) || fmt.Sprintf("%+v", st) != fmt.Sprintf("%+v", wst) {
		t.Fatalf("output %d bytes %+v, want %d bytes %+v", len(got), st, len(want), wst)
	}
	if p.Removed != hp.Removed || p.RemovedBytes != hp.RemovedBytes || p.Removed != 1 || p.RemovedBytes != int64(len(rdbStringLen(size)))+size || st.KeysOut != 100 {
		t.Fatalf("prune removed %d (%d bytes), want %d (%d bytes); %d keys written", p.Removed, p.RemovedBytes, hp.Removed, hp.RemovedBytes, st.KeysOut)
	}
}

// rdbStringLen is the length prefix of a plain string of n bytes (n >= 2^14).
func rdbStringLen(n int) []byte {
	if n < 1<<14 || int64(n) >= 1<<32 {
		panic("rdbStringLen: n")
	}
	return []byte{0x80, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// failAfter fails every write once n bytes went through.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// stackBuf is feeders' buffer: polling must not allocate, or a garbage
// collection would stop the goroutines a test waits for Rewrite to stop.
var stackBuf = make([]byte, 1<<20)

// feeders counts the Readers' background goroutines.
func feeders() int {
	return bytes.Count(stackBuf[:runtime.Stack(stackBuf, true)], []byte("rdb.feedLoop("))
}

// A Rewrite that stops early (its filter kept a value it said it drops,
// the output failed) stops the Reader's background goroutine too, instead
// of leaving it and its read-ahead chunks until a garbage collection.
func TestRewriteErrorStopsReader(t *testing.T) {
	data := swDump(t, 3<<20) // past 4 MiB: read through the background feeder
	cases := []struct {
		name string
		out  io.Writer
		f    Filter
	}{
		{"filter keeps a skipped value", io.Discard, liar{}},
		{"output fails", &failAfter{n: 1 << 20}, &Prune{Select: Select{Match: NewGlobs([]string{"session:*"})}}},
	}
	for _, c := range cases {
		before := feeders()
		if _, err := Rewrite(bytes.NewReader(data), c.out, c.f, RewriteOptions{}); err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		deadline := time.Now().Add(10 * time.Second)
		for feeders() > before {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d background readers 10 s after Rewrite failed, %d before it", c.name, feeders(), before)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// A caller's ReaderOptions that skip values make Rewrite refuse the first
// kept key, naming the option, not blaming the filter for what it never said.
func TestRewriteSkippingReaderOptionsRefused(t *testing.T) {
	data := swDump(t, 4000)
	for _, f := range []Filter{nil, &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}}} {
		_, err := Rewrite(bytes.NewReader(data), io.Discard, f, RewriteOptions{ReaderOptions: []rdb.ReaderOption{rdb.SkipValues()}})
		if err == nil || !strings.Contains(err.Error(), "ReaderOptions must not skip values") || strings.Contains(err.Error(), "drops it unseen") {
			t.Fatalf("filter %T with SkipValues: %v", f, err)
		}
	}
}
