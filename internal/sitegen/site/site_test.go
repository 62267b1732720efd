package site

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

type entry struct {
	typ    byte
	value  []byte
	expire int64
}

func entries(t *testing.T, r io.Reader, f filter.Filter) map[string]entry {
	t.Helper()
	rd := rdb.NewReader(r)
	out := map[string]entry{}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		e, ok := rec.(*rdb.Entry)
		if !ok {
			continue
		}
		if f != nil && !f.Apply(e) {
			continue
		}
		out[string(e.Key)] = entry{e.Type, e.Value, e.ExpireMs}
	}
}

// TestCommittedDump: testdata/dump.rdb is the raw site dump after refresh's
// filters (prune fpg:*, persist): regenerate it when the generator changes
// (see testdata/dump.rdb.policy).
func TestCommittedDump(t *testing.T) {
	var raw bytes.Buffer
	if err := Build(Small()).WriteRDB(&raw, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rawEntries := entries(t, bytes.NewReader(raw.Bytes()), nil)
	var fpg, ttl int
	for k, e := range rawEntries {
		if strings.HasPrefix(k, "fpg:") {
			fpg++
			if len(e.value) < 90*1024 {
				t.Errorf("%s is only %d bytes", k, len(e.value))
			}
		}
		if e.expire >= 0 {
			ttl++
		}
	}
	if fpg < 2 || ttl < 10 {
		t.Errorf("raw dump has %d fpg:* keys and %d TTLs", fpg, ttl)
	}
	prune := &filter.Prune{Select: filter.Select{Match: filter.NewGlobs([]string{"fpg:*"})}}
	want := entries(t, bytes.NewReader(raw.Bytes()), filter.Chain{prune, &filter.Persist{}})
	f, err := os.Open("../../../testdata/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := entries(t, f, nil)
	if len(got) != len(want) {
		t.Errorf("testdata/dump.rdb has %d keys, the refreshed site %d: regenerate it", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || g.typ != w.typ || !bytes.Equal(g.value, w.value) || g.expire != -1 {
			t.Errorf("testdata/dump.rdb key %s differs from the generator's: regenerate it", k)
		}
	}
	st, _ := f.Stat()
	if st.Size() > 2<<20 {
		t.Errorf("testdata/dump.rdb is %d bytes, over 2 MB", st.Size())
	}
}

// TestApply: Apply writes the same content a loaded RDB holds.
func TestApply(t *testing.T) {
	s := Build(Small())
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer c.Close()
	if err := s.Apply(context.Background(), c, true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range s.Keys {
		switch k.Type {
		case "string":
			if v := c.Get(ctx, k.Name).Val(); v != string(k.String) {
				t.Errorf("%s differs", k.Name)
			}
		case "hash":
			h := c.HGetAll(ctx, k.Name).Val()
			if len(h) != len(k.Hash) {
				t.Errorf("%s: %d fields, want %d", k.Name, len(h), len(k.Hash))
			}
		case "list":
			if n := c.LLen(ctx, k.Name).Val(); n != int64(len(k.List)) {
				t.Errorf("%s: %d elements, want %d", k.Name, n, len(k.List))
			}
		}
	}
	if len(s.Bad) < 10 {
		t.Errorf("only %d bad records", len(s.Bad))
	}
}
