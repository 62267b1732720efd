//go:build !386 && !arm && !mips && !mipsle

// hdt3213/rdb's core package imports its memprofiler, whose size table has
// int constants above 1<<31 and does not compile where int is 32 bits, so
// the comparison with that parser runs on 64-bit platforms only.

package handmade

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

// TestAgainstHdt3213 decodes every file with an independent parser
// (github.com/hdt3213/rdb) and compares with the expected keys. Files it
// cannot read (slot info in a REDIS file, module values, opcode 246) are checked by
// redis-check-rdb or by package rdb's corpus tests instead.
func TestAgainstHdt3213(t *testing.T) {
	for _, f := range Files() {
		if f.Name == "hand_v12_slotinfo.rdb" || f.Name == "hand_v10_module.rdb" || f.Name == "hand_v10_function_prega.rdb" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			got := map[string]model.RedisObject{}
			err := core.NewDecoder(bytes.NewReader(f.Data)).Parse(func(o model.RedisObject) bool {
				got[fmt.Sprintf("%d/%s", o.GetDBIndex(), o.GetKey())] = o
				return true
			})
			if err != nil {
				t.Fatalf("hdt3213 parse: %v", err)
			}
			if len(got) != len(f.Keys) {
				t.Errorf("hdt3213 found %d keys, want %d", len(got), len(f.Keys))
			}
			for _, k := range f.Keys {
				o := got[fmt.Sprintf("%d/%s", k.DB, k.Key)]
				if o == nil {
					t.Errorf("key %q missing", k.Key)
					continue
				}
				compare(t, k, o)
			}
		})
	}
}

func compare(t *testing.T, k Key, o model.RedisObject) {
	t.Helper()
	if o.GetType() != k.Kind {
		t.Errorf("%q: type %s, want %s", k.Key, o.GetType(), k.Kind)
		return
	}
	exp := int64(-1)
	if e := o.GetExpiration(); e != nil {
		exp = e.UnixMilli()
	}
	if exp != k.ExpireMs {
		t.Errorf("%q: expiry %d, want %d", k.Key, exp, k.ExpireMs)
	}
	switch v := o.(type) {
	case *model.StringObject:
		if string(v.Value) != k.Str {
			t.Errorf("%q: %q, want %q", k.Key, v.Value, k.Str)
		}
	case *model.ListObject:
		if !reflect.DeepEqual(strs(v.Values), k.List) {
			t.Errorf("%q: %q, want %q", k.Key, strs(v.Values), k.List)
		}
	case *model.SetObject:
		got, want := strs(v.Members), append([]string(nil), k.Set...)
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, want %q", k.Key, got, want)
		}
	case *model.ZSetObject:
		got := map[string]float64{}
		for _, e := range v.Entries {
			got[e.Member] = e.Score
		}
		want := map[string]float64{}
		for _, m := range k.ZSet {
			want[m.Member] = m.Score
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, want %v", k.Key, got, want)
		}
	case *model.HashObject:
		got, want := map[string]string{}, map[string]string{}
		for f, val := range v.Hash {
			got[f] = string(val)
		}
		gotExp, wantExp := map[string]int64{}, map[string]int64{}
		for f, e := range v.FieldExpirations {
			if e > 0 {
				gotExp[f] = e
			}
		}
		for _, h := range k.Hash {
			want[h.Field] = h.Value
			if h.ExpireMs >= 0 {
				wantExp[h.Field] = h.ExpireMs
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, want %q", k.Key, got, want)
		}
		if !reflect.DeepEqual(gotExp, wantExp) {
			t.Errorf("%q: field expiries %v, want %v", k.Key, gotExp, wantExp)
		}
	case *model.StreamObject:
		compareStream(t, k.Key, v, k.Stream)
	default:
		t.Errorf("%q: unexpected %T", k.Key, o)
	}
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func sid(id *model.StreamId) ID {
	if id == nil {
		return ID{}
	}
	return ID{id.Ms, id.Sequence}
}

func compareStream(t *testing.T, key string, v *model.StreamObject, s *Stream) {
	t.Helper()
	type msg struct {
		ID     ID
		Fields map[string]string
	}
	var got, want []msg
	for _, e := range v.Entries {
		for _, m := range e.Msgs {
			if !m.Deleted {
				got = append(got, msg{sid(m.Id), m.Fields})
			}
		}
	}
	for _, e := range s.Entries {
		m := msg{e.ID, map[string]string{}}
		for i := 0; i < len(e.Fields); i += 2 {
			m.Fields[e.Fields[i]] = e.Fields[i+1]
		}
		want = append(want, m)
	}
	if len(got) == 0 && len(want) == 0 {
		got, want = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q entries: %v, want %v", key, got, want)
	}
	if v.Length != s.Length || sid(v.LastId) != s.LastID || sid(v.FirstId) != s.FirstID ||
		sid(v.MaxDeletedId) != s.MaxDeletedID || v.AddedEntriesCount != s.EntriesAdded {
		t.Errorf("%q meta: len %d last %v first %v maxdel %v added %d; want %+v", key, v.Length, sid(v.LastId),
			sid(v.FirstId), sid(v.MaxDeletedId), v.AddedEntriesCount, *s)
	}
	if len(v.Groups) != len(s.Groups) {
		t.Fatalf("%q: %d groups, want %d", key, len(v.Groups), len(s.Groups))
	}
	for i, g := range v.Groups {
		w := s.Groups[i]
		if g.Name != w.Name || sid(g.LastId) != w.LastID || int64(g.EntriesRead) != w.EntriesRead {
			t.Errorf("%q group %d: %s %v %d, want %s %v %d", key, i, g.Name, sid(g.LastId), int64(g.EntriesRead), w.Name, w.LastID, w.EntriesRead)
		}
		var gp []PEL
		for _, p := range g.Pending {
			gp = append(gp, PEL{sid(p.Id), int64(p.DeliveryTime), p.DeliveryCount})
		}
		if !reflect.DeepEqual(gp, w.Pending) {
			t.Errorf("%q group %s PEL: %v, want %v", key, g.Name, gp, w.Pending)
		}
		var gc []Consumer
		for _, c := range g.Consumers {
			cc := Consumer{Name: c.Name, SeenTime: int64(c.SeenTime), ActiveTime: int64(c.ActiveTime)}
			for _, id := range c.Pending {
				cc.Pending = append(cc.Pending, sid(id))
			}
			gc = append(gc, cc)
		}
		if !reflect.DeepEqual(gc, w.Consumers) {
			t.Errorf("%q group %s consumers: %+v, want %+v", key, g.Name, gc, w.Consumers)
		}
	}
}
