package rdb

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// corpusFiles are the dumps written by real servers (and hand-built
// legacy cases) that the corpus generator commits.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.rdb"))
	if len(files) == 0 {
		t.Fatal("no files in testdata/corpus")
	}
	return files
}

// TestCorpusValues decodes and validates every key of every corpus file.
func TestCorpusValues(t *testing.T) {
	n := 0
	for _, f := range corpusFiles(t) {
		for _, e := range readEntries(t, f) {
			name := filepath.Base(f) + " " + strconv.Quote(string(e.Key))
			errV := ValidateValue(e.Type, e.Value)
			v, errD := e.Decode()
			if errV != nil || errD != nil {
				t.Errorf("%s (type %d): validate %v, decode %v", name, e.Type, errV, errD)
				continue
			}
			if v.Kind != TypeName(e.Type) {
				t.Errorf("%s: kind %s", name, v.Kind)
			}
			n++
		}
	}
	t.Logf("%d keys", n)
}

// TestRestoreIntoRedis checks decoding and encoding against a real
// redis-server 7.0: every corpus key is RESTOREd as it is (converted to
// RDB 10 first when 7.0 cannot load its type), its content read back with
// commands must equal the decoded value, and the value re-encoded by
// EncodeValue(v, 10) and RESTOREd under another name must give the same
// DEBUG DIGEST-VALUE (and the same XINFO STREAM FULL for streams).
func TestRestoreIntoRedis(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	n := 0
	for _, f := range corpusFiles(t) {
		for i, e := range readEntries(t, f) {
			if e.Type == TypeModule2 {
				continue
			}
			name := filepath.Base(f) + " " + strconv.Quote(string(e.Key))
			v, err := e.Decode()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			orig := fmt.Sprintf("orig:%s:%d", filepath.Base(f), i)
			cp := fmt.Sprintf("copy:%s:%d", filepath.Base(f), i)
			oe := *e
			if _, err := ConvertEntry(&oe, 10); err != nil {
				t.Errorf("%s: ConvertEntry: %v", name, err)
				continue
			}
			if err := c.Do(ctx, "RESTORE", orig, 0, oe.DumpPayload(10)).Err(); err != nil {
				t.Errorf("%s: RESTORE of the file's value (type %d): %v", name, oe.Type, err)
				continue
			}
			if len(v.Hash) > 0 { // 7.0 has no field expiries
				for j := range v.Hash {
					v.Hash[j].ExpireMs = -1
				}
			}
			compareWithServer(t, c, name, orig, v)
			ne, err := NewEntry(0, []byte(cp), v, 10)
			if err != nil {
				t.Errorf("%s: NewEntry: %v", name, err)
				continue
			}
			if err := c.Do(ctx, "RESTORE", cp, 0, ne.DumpPayload(10)).Err(); err != nil {
				t.Errorf("%s: RESTORE of EncodeValue's output (type %d): %v", name, ne.Type, err)
				continue
			}
			d1, _ := c.Do(ctx, "DEBUG", "DIGEST-VALUE", orig).Slice()
			d2, _ := c.Do(ctx, "DEBUG", "DIGEST-VALUE", cp).Slice()
			if !reflect.DeepEqual(d1, d2) || len(d1) != 1 {
				t.Errorf("%s: digest %v of the file's value, %v of the re-encoded one", name, d1, d2)
			}
			// Converted for RDB 9 (Redis 5/6), the value must load with the
			// same digest, its type known to version 9.
			e9 := *e
			if _, err := ConvertEntry(&e9, 9); err != nil {
				t.Errorf("%s: ConvertEntry(9): %v", name, err)
			} else if !TypeSupported(e9.Type, 9) {
				t.Errorf("%s: converted to type %d, unknown to RDB 9", name, e9.Type)
			} else if err := c.Do(ctx, "RESTORE", cp+":9", 0, e9.DumpPayload(9)).Err(); err != nil {
				t.Errorf("%s: RESTORE of the RDB 9 conversion (type %d): %v", name, e9.Type, err)
			} else if d9, _ := c.Do(ctx, "DEBUG", "DIGEST-VALUE", cp+":9").Slice(); !reflect.DeepEqual(d1, d9) {
				t.Errorf("%s: digest %v of the file's value, %v after conversion to RDB 9", name, d1, d9)
			}
			if v.Kind == "stream" {
				x1, err1 := c.Do(ctx, "XINFO", "STREAM", orig, "FULL").Result()
				x2, err2 := c.Do(ctx, "XINFO", "STREAM", cp, "FULL").Result()
				if err1 != nil || err2 != nil || !reflect.DeepEqual(dropRadix(x1), dropRadix(x2)) {
					t.Errorf("%s: XINFO STREAM FULL differs:\n%v\n%v", name, x1, x2)
				}
			}
			n++
		}
	}
	t.Logf("%d keys restored and compared", n)
}

// compareWithServer reads key from the server and compares it with v.
func compareWithServer(t *testing.T, c *redis.Client, name, key string, v *Value) {
	t.Helper()
	ctx := context.Background()
	switch v.Kind {
	case "string":
		got, err := c.Get(ctx, key).Result()
		if err != nil || got != string(v.String) {
			t.Errorf("%s: server has %q (%v), decoded %q", name, trunc([]byte(got)), err, trunc(v.String))
		}
	case "list":
		got, err := c.LRange(ctx, key, 0, -1).Result()
		if err != nil || !reflect.DeepEqual(got, strs(v.List)) {
			t.Errorf("%s: server list %d elements (%v), decoded %d", name, len(got), err, len(v.List))
		}
	case "set":
		got, err := c.SMembers(ctx, key).Result()
		sort.Strings(got)
		if err != nil || !reflect.DeepEqual(got, sortedStrings(v.Set)) {
			t.Errorf("%s: server set %v (%v), decoded %v", name, got, err, sortedStrings(v.Set))
		}
	case "zset":
		got, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil || len(got) != len(v.ZSet) {
			t.Errorf("%s: server zset %d members (%v), decoded %d", name, len(got), err, len(v.ZSet))
			return
		}
		m := map[string]float64{}
		for _, z := range got {
			m[z.Member.(string)] = z.Score
		}
		for _, z := range v.ZSet {
			if s, ok := m[string(z.Member)]; !ok || s != z.Score {
				t.Errorf("%s: member %q score %v on the server, decoded %v", name, z.Member, s, z.Score)
			}
		}
	case "hash":
		got, err := c.HGetAll(ctx, key).Result()
		if err != nil || len(got) != len(v.Hash) {
			t.Errorf("%s: server hash %d fields (%v), decoded %d", name, len(got), err, len(v.Hash))
			return
		}
		for _, f := range v.Hash {
			if got[string(f.Field)] != string(f.Value) {
				t.Errorf("%s: field %q differs", name, f.Field)
			}
		}
	case "stream":
		got, err := c.XRange(ctx, key, "-", "+").Result()
		if err != nil || len(got) != len(v.Stream.Entries) {
			t.Errorf("%s: server stream %d entries (%v), decoded %d", name, len(got), err, len(v.Stream.Entries))
			return
		}
		for i, m := range got {
			en := v.Stream.Entries[i]
			if m.ID != en.ID.String() {
				t.Errorf("%s: entry %d ID %s, decoded %s", name, i, m.ID, en.ID)
			}
			for _, f := range en.Fields {
				if m.Values[string(f.Name)] != string(f.Value) {
					t.Errorf("%s: entry %s field %q differs", name, m.ID, f.Name)
				}
			}
		}
		groups, err := c.XInfoStreamFull(ctx, key, 0).Result()
		if err != nil {
			t.Errorf("%s: XINFO STREAM FULL: %v", name, err)
			return
		}
		if groups.LastGeneratedID != v.Stream.LastID.String() || uint64(groups.Length) != v.Stream.Length || len(groups.Groups) != len(v.Stream.Groups) {
			t.Errorf("%s: server length %d last %s groups %d; decoded %d %s %d", name, groups.Length, groups.LastGeneratedID, len(groups.Groups), v.Stream.Length, v.Stream.LastID, len(v.Stream.Groups))
			return
		}
		for gi, g := range groups.Groups {
			dg := v.Stream.Groups[gi]
			if g.Name != string(dg.Name) || g.LastDeliveredID != dg.LastID.String() || len(g.Pending) != len(dg.Pending) || len(g.Consumers) != len(dg.Consumers) {
				t.Errorf("%s: group %q differs from decoded %q", name, g.Name, dg.Name)
				continue
			}
			for pi, p := range g.Pending {
				dp := dg.Pending[pi]
				if p.ID != dp.ID.String() || p.DeliveryTime.UnixMilli() != dp.DeliveryTime || p.DeliveryCount != int64(dp.DeliveryCount) {
					t.Errorf("%s: group %q pending %d: server %+v, decoded %+v", name, g.Name, pi, p, dp)
				}
			}
			for ci, cs := range g.Consumers {
				dc := dg.Consumers[ci]
				if cs.Name != string(dc.Name) || cs.SeenTime.UnixMilli() != dc.SeenTime || len(cs.Pending) != len(dc.Pending) {
					t.Errorf("%s: consumer %q: server seen %v pending %d, decoded %q %d %d", name, cs.Name, cs.SeenTime.UnixMilli(), len(cs.Pending), dc.Name, dc.SeenTime, len(dc.Pending))
				}
			}
		}
	}
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	if len(out) == 0 {
		return []string{}
	}
	return out
}

// dropRadix removes the node layout fields from XINFO STREAM FULL output:
// EncodeValue may split entries into listpack nodes differently.
func dropRadix(x any) []any {
	l, _ := x.([]any)
	var out []any
	for i := 0; i+1 < len(l); i += 2 {
		if k, _ := l[i].(string); k == "radix-tree-keys" || k == "radix-tree-nodes" {
			continue
		}
		out = append(out, l[i], l[i+1])
	}
	return out
}

// TestEncodeIntoRedis RESTOREs EncodeValue's output for RDB 7 to 10 into a
// real redis-server 7.0 and reads the data back with commands (streams
// with their groups, consumers and pending entries).
func TestEncodeIntoRedis(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	for name, v := range sampleValues() {
		for version := 7; version <= 10; version++ {
			if v.Kind == "stream" && version < 9 || name == "hash-expiry" {
				continue
			}
			key := fmt.Sprintf("%s:v%d", name, version)
			e, err := NewEntry(0, []byte(key), v, version)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if err := c.Do(ctx, "RESTORE", key, 0, e.DumpPayload(version)).Err(); err != nil {
				t.Errorf("%s: RESTORE (type %d): %v", key, e.Type, err)
				continue
			}
			want := v
			if v.Kind == "stream" && version < 10 {
				// RDB 9 has no entries-read: Redis estimates it on load.
				w := *v.Stream
				w.Groups = nil
				for _, g := range v.Stream.Groups {
					g.EntriesRead = -1
					w.Groups = append(w.Groups, g)
				}
				want = &Value{Kind: "stream", Stream: &w}
			}
			compareWithServer(t, c, key, key, want)
			if v.Kind == "stream" && version == 10 {
				info, err := c.XInfoStreamFull(ctx, key, 0).Result()
				if err != nil {
					t.Fatal(err)
				}
				if info.EntriesAdded != int64(v.Stream.EntriesAdded) || info.MaxDeletedEntryID != v.Stream.MaxDeletedID.String() ||
					info.RecordedFirstEntryID != v.Stream.FirstID.String() {
					t.Errorf("%s: server metadata %+v", key, info)
				}
				for i, g := range info.Groups {
					if g.EntriesRead != v.Stream.Groups[i].EntriesRead && !(g.EntriesRead == 0 && v.Stream.Groups[i].EntriesRead == -1) {
						t.Errorf("%s: group %s entries-read %d, want %d", key, g.Name, g.EntriesRead, v.Stream.Groups[i].EntriesRead)
					}
				}
			}
		}
	}
}
