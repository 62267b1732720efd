package filter

import (
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

func ent(db int, key string, typ byte, size int64, expire int64) *rdb.Entry {
	return &rdb.Entry{DB: db, Key: []byte(key), Type: typ, ValueLen: size, ExpireMs: expire, Idle: -1, Freq: -1}
}

func TestPruneSelect(t *testing.T) {
	types, err := ParseTypes([]string{"string", "hash"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTypes([]string{"strng"}); err == nil {
		t.Fatal("bad type accepted")
	}
	p := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*", "tmp:*"}), Types: types, DBs: DBs{0, 2}, LargerThan: 100}}
	cases := []struct {
		e    *rdb.Entry
		keep bool
	}{
		{ent(0, "fpg:a", rdb.TypeString, 200, -1), false},
		{ent(2, "tmp:x", rdb.TypeHashListpack, 101, -1), false},
		{ent(0, "fpg:a", rdb.TypeString, 100, -1), true},         // not larger
		{ent(1, "fpg:a", rdb.TypeString, 200, -1), true},         // other db
		{ent(0, "fpg:a", rdb.TypeListQuicklist2, 200, -1), true}, // other type
		{ent(0, "keep", rdb.TypeString, 200, -1), true},          // no match
	}
	for i, c := range cases {
		if got := p.Apply(c.e); got != c.keep {
			t.Errorf("case %d: keep=%v, want %v", i, got, c.keep)
		}
	}
	if p.Removed != 2 || p.RemovedBytes != 301 {
		t.Fatalf("removed %d/%d", p.Removed, p.RemovedBytes)
	}
	if !(&Select{}).Empty() || p.Select.Empty() {
		t.Fatal("Empty")
	}
}

func TestKeepNewest(t *testing.T) {
	names := []string{
		"fpg:snap_fengine_2020-07-16_1253.fpg",
		"fpg:snap_fengine_2019-01-01_0000.fpg",
		"fpg:snap_fengine_2020-07-09_1253.fpg",
		"fpg:snap_fengine_2020-7-10_1253.fpg", // natural order: 7 == 07
		"fpg:snap_fengine_2018-01-01_0000.fpg",
	}
	k := NewKeepNewest(2)
	for _, n := range names {
		k.Offer(0, []byte(n))
	}
	spare := k.Spare()
	if spare.Len() != 2 || !spare.Has(0, []byte(names[0])) || !spare.Has(0, []byte(names[3])) || spare.Has(1, []byte(names[0])) {
		t.Fatalf("spared %v", spare.keys)
	}
	p := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*"})}, Spare: spare}
	kept := 0
	for _, n := range names {
		if p.Apply(ent(0, n, rdb.TypeString, 10, -1)) {
			kept++
		}
	}
	if kept != 2 || p.Removed != 3 || p.Spared != 2 {
		t.Fatalf("kept %d removed %d spared %d", kept, p.Removed, p.Spared)
	}
	if NewKeepNewest(0).Spare().Len() != 0 || (*Spare)(nil).Has(0, nil) {
		t.Fatal("zero")
	}
}

func TestPersistAndDropExpired(t *testing.T) {
	now := int64(1_000_000)
	p := &Persist{NowMs: now}
	live := ent(0, "a", rdb.TypeString, 1, now+5)
	past := ent(0, "b", rdb.TypeString, 1, now-5)
	past.ExpireSeconds = true
	none := ent(0, "c", rdb.TypeString, 1, -1)
	for _, e := range []*rdb.Entry{live, past, none} {
		if !p.Apply(e) {
			t.Fatalf("dropped %s without DropExpired", e.Key)
		}
		if e.HasExpiry() || e.ExpireSeconds {
			t.Fatalf("%s still has an expiry", e.Key)
		}
	}
	if p.Persisted != 1 || p.PastKept != 1 || len(p.Past) != 1 || string(p.Past[0].Key) != "b" {
		t.Fatalf("%+v", p)
	}

	p = &Persist{NowMs: now, DropExpired: true, Match: NewGlobs([]string{"x*"})}
	if p.Apply(ent(0, "x1", rdb.TypeString, 1, now-1)) {
		t.Fatal("expired x1 kept")
	}
	e := ent(0, "y1", rdb.TypeString, 1, now-1)
	if !p.Apply(e) || e.ExpireMs != now-1 {
		t.Fatal("unmatched key touched")
	}
	// exactly now is not yet expired (Redis: expire < now)
	e = ent(0, "x2", rdb.TypeString, 1, now)
	if !p.Apply(e) || e.HasExpiry() || p.Dropped != 1 || p.Persisted != 1 {
		t.Fatalf("%+v", p)
	}

	d := &DropExpired{NowMs: now}
	c := Chain{d, &Persist{NowMs: now}}
	if c.Apply(ent(0, "z", rdb.TypeString, 1, now-1)) || !c.Apply(ent(0, "z", rdb.TypeString, 1, now+1)) || d.Dropped != 1 {
		t.Fatal("chain")
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"fpg:a": "fpg:a", "a b": `"a b"`, "": `""`, "\xff\x00": `"\xff\x00"`, `q"`: `"q\""`, "n\n": `"n\n"`,
	} {
		if got := Quote([]byte(in)); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPolicy(t *testing.T) {
	p, err := ParsePolicy([]byte(`
# comment
prune: ["fpg:*"]
prune-larger-than: 1MiB
drop-expired: true
no-ttl: true
max-value-size: 2048
max-file-size: "5 MB"
forbid: ["fpg:*", "tmp:*"]
require: ["corr:*", "snap:*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Prune) != 1 || p.PruneLargerThan != 1<<20 || !p.DropExpired || !p.NoTTL || p.MaxValueSize != 2048 || p.MaxFileSize != 5e6 || len(p.Require) != 2 {
		t.Fatalf("%+v", p)
	}
	if _, err := ParsePolicy([]byte("no_ttl: true\n")); err == nil || !strings.Contains(err.Error(), "no_ttl") {
		t.Fatalf("unknown field accepted: %v", err)
	}
	if _, err := ParsePolicy([]byte("max-value-size: 4XB\n")); err == nil {
		t.Fatal("bad size accepted")
	}
	if p, err := ParsePolicy(nil); err != nil || p.HasRules() {
		t.Fatalf("empty policy: %v", err)
	}

	now := int64(1_000_000)
	c := NewChecker(p)
	for _, e := range []*rdb.Entry{
		ent(0, "corr:status", rdb.TypeHashListpack, 100, -1),
		ent(0, "fpg:x", rdb.TypeString, 4000, -1),
		ent(1, "sess", rdb.TypeString, 10, now),
	} {
		c.Observe(e)
	}
	vs := c.Finish(6e6)
	var lines []string
	for _, v := range vs {
		lines = append(lines, v.String())
	}
	got := strings.Join(lines, "\n")
	want := []string{
		`max-value-size: db0 fpg:x: value is 4000 bytes (3.9 KiB), more than 2.0 KiB`,
		`forbid: db0 fpg:x: matches forbidden pattern "fpg:*"`,
		`no-ttl: db1 sess: has an expiry (1970-01-01T00:16:40Z)`,
		`max-file-size: file is 6000000 bytes (5.7 MiB), more than 4.8 MiB`,
		`require: no key matches required pattern "snap:*"`,
	}
	if got != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if c.Finish(0) == nil || len(c.Finish(0)) != 5 {
		t.Fatal("Finish twice")
	}

	// A clean file has no violations; the per-rule cap counts the rest.
	c = NewChecker(&Policy{NoTTL: true})
	for i := 0; i < maxPerRule+5; i++ {
		c.Observe(ent(0, "k", rdb.TypeString, 1, 5))
	}
	if len(c.Finish(-1)) != maxPerRule || c.Omitted["no-ttl"] != 5 {
		t.Fatal("cap")
	}
	if len(NewChecker(&Policy{NoTTL: true}).Finish(10)) != 0 {
		t.Fatal("clean")
	}
}
