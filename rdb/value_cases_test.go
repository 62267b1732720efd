package rdb

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// hdtCasesDir is the directory of the hdt3213/rdb test files: .rdb files
// written by real Redis/Valkey servers, each with a .json of its content.
func hdtCasesDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hdt3213/rdb").Output()
	if err != nil {
		t.Fatalf("locating github.com/hdt3213/rdb (a go.mod dependency): %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "cases")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("hdt3213/rdb cases: %v (run go mod download)", err)
	}
	return dir
}

type hdtObject struct {
	DB      int               `json:"db"`
	Key     string            `json:"key"`
	Type    string            `json:"type"`
	Value   string            `json:"value"`
	Values  []string          `json:"values"`
	Members []string          `json:"members"`
	Entries json.RawMessage   `json:"entries"`
	Hash    map[string]string `json:"hash"`
	Expire  map[string]int64  `json:"expire"`
	Len     uint64            `json:"len"`
	LastID  string            `json:"lastId"`
	FirstID string            `json:"firstId"`
	MaxDel  string            `json:"maxDeletedId"`
	Added   uint64            `json:"addedEntriesCount"`
	Groups  []hdtGroup        `json:"groups"`
	Version int               `json:"version"`
}

type hdtGroup struct {
	Name        string `json:"name"`
	LastID      string `json:"lastId"`
	EntriesRead int64  `json:"entriesRead"`
	Pending     []struct {
		ID    string `json:"id"`
		Time  int64  `json:"deliveryTime"`
		Count uint64 `json:"deliveryCount"`
	} `json:"pending"`
	Consumers []struct {
		Name       string   `json:"name"`
		SeenTime   int64    `json:"seenTime"`
		ActiveTime int64    `json:"activeTime"`
		Pending    []string `json:"pending"`
	} `json:"consumers"`
}

type hdtZEntry struct {
	Member string  `json:"member"`
	Score  float64 `json:"score"`
}

type hdtStreamNode struct {
	Msgs []struct {
		ID      string            `json:"id"`
		Fields  map[string]string `json:"fields"`
		Deleted bool              `json:"deleted"`
	} `json:"msgs"`
}

func sortedStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	sort.Strings(out)
	return out
}

// readEntries reads every entry of an RDB file with the package's Reader.
func readEntries(t *testing.T, path string) []*Entry { return readEntriesTB(t, path) }

func readEntriesTB(t testing.TB, path string) []*Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f)
	var out []*Entry
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e, ok := rec.(*Entry); ok {
			out = append(out, e)
		}
	}
}

// TestDecodeHdtCases decodes every key of the hdt3213/rdb case files
// (written by real servers, Redis 2.x to 7.4 and Valkey 9) and compares
// with the content the .json beside each file records.
func TestDecodeHdtCases(t *testing.T) {
	dir := hdtCasesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	checked := 0
	for _, jf := range files {
		rf := strings.TrimSuffix(jf, ".json") + ".rdb"
		if _, err := os.Stat(rf); err != nil {
			continue
		}
		var objs []hdtObject
		data, _ := os.ReadFile(jf)
		if err := json.Unmarshal(data, &objs); err != nil {
			t.Fatalf("%s: %v", jf, err)
		}
		want := map[string]hdtObject{}
		for _, o := range objs {
			want[fmt.Sprintf("%d/%s", o.DB, o.Key)] = o
		}
		for _, e := range readEntries(t, rf) {
			name := filepath.Base(rf) + " " + string(e.Key)
			if err := ValidateValue(e.Type, e.Value); err != nil {
				t.Errorf("%s: ValidateValue: %v", name, err)
			}
			v, err := e.Decode()
			if err != nil {
				t.Errorf("%s: Decode: %v", name, err)
				continue
			}
			o, ok := want[fmt.Sprintf("%d/%s", e.DB, e.Key)]
			if !ok || o.Type == "aux" {
				continue
			}
			if v.Kind != o.Type {
				t.Errorf("%s: kind %s, want %s", name, v.Kind, o.Type)
				continue
			}
			checked++
			compareHdt(t, name, v, o)
		}
	}
	if checked < 60 {
		t.Fatalf("only %d keys compared", checked)
	}
	t.Logf("%d keys compared", checked)
}

func compareHdt(t *testing.T, name string, v *Value, o hdtObject) {
	switch v.Kind {
	case "string":
		if jsonNorm(v.String) != o.Value {
			t.Errorf("%s: string %q, want %q", name, trunc(v.String), o.Value)
		}
	case "list":
		if len(v.List) != len(o.Values) {
			t.Errorf("%s: %d elements, want %d", name, len(v.List), len(o.Values))
			return
		}
		for i := range v.List {
			if string(v.List[i]) != o.Values[i] {
				t.Errorf("%s: element %d %q, want %q", name, i, v.List[i], o.Values[i])
			}
		}
	case "set":
		got := sortedStrings(v.Set)
		w := append([]string(nil), o.Members...)
		sort.Strings(w)
		if strings.Join(got, "\x00") != strings.Join(w, "\x00") {
			t.Errorf("%s: members %v, want %v", name, got, w)
		}
	case "zset":
		var w []hdtZEntry
		if err := json.Unmarshal(o.Entries, &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(w) != len(v.ZSet) {
			t.Errorf("%s: %d members, want %d", name, len(v.ZSet), len(w))
			return
		}
		ws := map[string]float64{}
		for _, m := range w {
			ws[m.Member] = m.Score
		}
		for _, m := range v.ZSet {
			s, ok := ws[string(m.Member)]
			if !ok || (s != m.Score && !(math.IsNaN(s) && math.IsNaN(m.Score))) {
				t.Errorf("%s: member %q score %v, want %v (present %v)", name, m.Member, m.Score, s, ok)
			}
		}
	case "hash":
		if len(v.Hash) != len(o.Hash) {
			t.Errorf("%s: %d fields, want %d", name, len(v.Hash), len(o.Hash))
		}
		for _, f := range v.Hash {
			if w, ok := o.Hash[string(f.Field)]; !ok || w != string(f.Value) {
				t.Errorf("%s: field %q = %q, want %q", name, f.Field, trunc(f.Value), w)
			}
			we := int64(-1)
			if x, ok := o.Expire[string(f.Field)]; ok && x != 0 {
				we = x
			}
			if f.ExpireMs != we {
				t.Errorf("%s: field %q expiry %d, want %d", name, f.Field, f.ExpireMs, we)
			}
		}
	case "stream":
		var nodes []hdtStreamNode
		if err := json.Unmarshal(o.Entries, &nodes); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var live []string
		for _, n := range nodes {
			for _, m := range n.Msgs {
				if m.Deleted {
					continue
				}
				var kv []string
				for k, val := range m.Fields {
					kv = append(kv, k+"="+val)
				}
				kv = uniq(kv)
				sort.Strings(kv)
				live = append(live, m.ID+" "+strings.Join(kv, ","))
			}
		}
		var got []string
		for _, en := range v.Stream.Entries {
			var kv []string
			for _, f := range en.Fields {
				kv = append(kv, string(f.Name)+"="+string(f.Value))
			}
			sort.Strings(kv)
			kv = uniq(kv)
			got = append(got, en.ID.String()+" "+strings.Join(kv, ","))
		}
		if strings.Join(got, "\n") != strings.Join(live, "\n") {
			t.Errorf("%s: entries\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(live, "\n"))
		}
		st := v.Stream
		if st.Length != o.Len || st.LastID.String() != o.LastID {
			t.Errorf("%s: length %d last %s, want %d %s", name, st.Length, st.LastID, o.Len, o.LastID)
		}
		if o.Version >= 2 && (st.FirstID.String() != o.FirstID || st.MaxDeletedID.String() != o.MaxDel || st.EntriesAdded != o.Added) {
			t.Errorf("%s: first %s maxdel %s added %d, want %s %s %d", name, st.FirstID, st.MaxDeletedID, st.EntriesAdded, o.FirstID, o.MaxDel, o.Added)
		}
		if len(st.Groups) != len(o.Groups) {
			t.Errorf("%s: %d groups, want %d", name, len(st.Groups), len(o.Groups))
			return
		}
		for i, g := range st.Groups {
			w := o.Groups[i]
			if string(g.Name) != w.Name || g.LastID.String() != w.LastID || len(g.Pending) != len(w.Pending) || len(g.Consumers) != len(w.Consumers) {
				t.Errorf("%s: group %d %q last %s, want %q %s", name, i, g.Name, g.LastID, w.Name, w.LastID)
				continue
			}
			if o.Version >= 2 && g.EntriesRead != w.EntriesRead {
				t.Errorf("%s: group %q entries read %d, want %d", name, g.Name, g.EntriesRead, w.EntriesRead)
			}
			for j, p := range g.Pending {
				if p.ID.String() != w.Pending[j].ID || p.DeliveryTime != w.Pending[j].Time || p.DeliveryCount != w.Pending[j].Count {
					t.Errorf("%s: group %q pending %d = %+v, want %+v", name, g.Name, j, p, w.Pending[j])
				}
			}
			for j, c := range g.Consumers {
				wc := w.Consumers[j]
				if string(c.Name) != wc.Name || c.SeenTime != wc.SeenTime || len(c.Pending) != len(wc.Pending) {
					t.Errorf("%s: consumer %d = %q seen %d, want %q %d", name, j, c.Name, c.SeenTime, wc.Name, wc.SeenTime)
					continue
				}
				if o.Version >= 3 && c.ActiveTime != wc.ActiveTime {
					t.Errorf("%s: consumer %q active %d, want %d", name, c.Name, c.ActiveTime, wc.ActiveTime)
				}
				for k, id := range c.Pending {
					if id.String() != wc.Pending[k] {
						t.Errorf("%s: consumer %q pending %d = %s, want %s", name, c.Name, k, id, wc.Pending[k])
					}
				}
			}
		}
	}
}

func trunc(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// jsonNorm returns b as it reads back from JSON (invalid UTF-8 becomes
// U+FFFD), to compare with the lossy .json files.
func jsonNorm(b []byte) string {
	j, _ := json.Marshal(string(b))
	var s string
	_ = json.Unmarshal(j, &s)
	return s
}

// uniq removes adjacent duplicates (an entry may repeat a field; the .json
// files keep fields in a map).
func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// TestStreamIDString: errors name stream IDs as Redis writes them
// ("pending entry 1-1 has no consumer"), not as Go structs ({1 1}).
func TestStreamIDString(t *testing.T) {
	if got := fmt.Sprintf("%v", StreamID{Ms: 1700000000000, Seq: 18446744073709551615}); got != "1700000000000-18446744073709551615" {
		t.Fatalf("got %q", got)
	}
}
