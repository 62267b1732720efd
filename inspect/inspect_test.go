package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestAgainstRedis: the counts inspect reports for all.rdb match what a
// real redis-server that loaded it reports (it drops the already-expired
// keys, which inspect counts as expired).
func TestAgainstRedis(t *testing.T) {
	path := "../testdata/corpus/all.rdb"
	srv := redistest.Start(t, redistest.WithRDB(path))
	now := time.Now()
	f, _ := os.Open(path)
	defer f.Close()
	st, err := Read(f, Options{Top: 5, Now: now, ReadValues: true})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Client(t)
	ctx := context.Background()
	info, _ := c.Info(ctx, "keyspace").Result()
	for _, d := range st.Databases {
		var keys, expires int64
		for _, line := range strings.Split(info, "\n") {
			if strings.HasPrefix(line, "db"+itoa(d.DB)+":") {
				var avg int64
				_, _ = fmtSscanf(strings.TrimSpace(line), d.DB, &keys, &expires, &avg)
			}
		}
		if d.Keys-d.Expired != keys || d.Expiring-d.Expired != expires {
			t.Errorf("db%d: inspect %d keys (%d expired), %d expiring; redis %d keys, %d expires", d.DB, d.Keys, d.Expired, d.Expiring, keys, expires)
		}
	}
	// types: count TYPE over the live keys, plus the expired ones by type
	want := map[string]int64{}
	conn := c.Conn()
	defer conn.Close()
	for _, d := range st.Databases {
		conn.Select(ctx, d.DB)
		keys, _ := conn.Keys(ctx, "*").Result()
		for _, k := range keys {
			typ, _ := conn.Type(ctx, k).Result()
			want[typ]++
		}
	}
	rd := rdb.NewReader(bytes.NewReader(mustRead(t, path)))
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		if e, ok := rec.(*rdb.Entry); ok && e.HasExpiry() && e.ExpireMs < now.UnixMilli() {
			want[rdb.TypeName(e.Type)]++
		}
	}
	for typ, ts := range st.Types {
		if ts.Keys != want[typ] {
			t.Errorf("type %s: inspect %d, redis %d", typ, ts.Keys, want[typ])
		}
		var sum int64
		for _, n := range ts.Encodings {
			sum += n
		}
		if sum != ts.Keys {
			t.Errorf("type %s: encodings sum to %d of %d", typ, sum, ts.Keys)
		}
	}
	if len(st.Top) != 5 || st.Largest == nil || st.Top[0].Bytes != st.Largest.Bytes || st.Checksum.Status != "ok" {
		t.Fatalf("%+v", st)
	}
	if st.Types["string"].Encodings["int"] == 0 || st.Types["string"].Encodings["raw"] == 0 {
		t.Fatalf("string encodings %v", st.Types["string"].Encodings)
	}
	// Skipping values (the default) gives the same numbers, string
	// encodings included (the Reader notes them while skipping).
	f.Seek(0, 0)
	st2, err := Read(f, Options{Top: 5, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if st2.Keys != st.Keys || st2.ValueBytes != st.ValueBytes {
		t.Fatalf("skip-values stats differ: %+v", st2)
	}
	for typ, ts := range st.Types {
		if !reflect.DeepEqual(st2.Types[typ], ts) {
			t.Errorf("type %s: skipping values %+v, reading them %+v", typ, st2.Types[typ], ts)
		}
	}
	if !reflect.DeepEqual(st2.Top, st.Top) || !reflect.DeepEqual(st2.Largest, st.Largest) {
		t.Errorf("largest keys differ: skipping values %+v, reading them %+v", st2.Top, st.Top)
	}
	// JSON is stable: the same input twice gives the same bytes
	a, _ := json.Marshal(st)
	b, _ := json.Marshal(st)
	if !bytes.Equal(a, b) {
		t.Fatal("JSON not deterministic")
	}
	var buf bytes.Buffer
	if err := st.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "checksum:   ok") {
		t.Fatal(buf.String())
	}
}

func TestCorpusAndMismatch(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	for _, p := range files {
		data := mustRead(t, p)
		st, err := Read(bytes.NewReader(data), Options{Top: 3})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if st.SizeBytes != int64(len(data)) {
			t.Errorf("%s: size %d of %d", p, st.SizeBytes, len(data))
		}
	}
	data := mustRead(t, "../testdata/corpus/all.rdb")
	data[len(data)-1] ^= 0xff
	st, err := Read(bytes.NewReader(data), Options{})
	if err != nil || st.Checksum.Status != "mismatch" || st.Checksum.Stored == st.Checksum.Computed {
		t.Fatalf("%v %+v", err, st.Checksum)
	}
	if _, err := Read(bytes.NewReader(data[:len(data)/3]), Options{}); err == nil {
		t.Fatal("truncated file read without error")
	}
}

// TestPrefixCap: memory stays bounded with many distinct prefixes.
func TestPrefixCap(t *testing.T) {
	c := New(Options{Prefixes: 5})
	for i := 0; i < maxPrefixes+50; i++ {
		c.Add(&rdb.Entry{Key: []byte("p" + itoa(i) + ":x"), ExpireMs: -1, ValueLen: 1})
	}
	c.Add(&rdb.Entry{Key: []byte("noprefix"), ExpireMs: -1})
	st := c.Finish(rdb.ChecksumInfo{}, 0)
	if len(c.prefixes) != maxPrefixes+1 || len(st.Prefixes) != 5 || string(st.Prefixes[0].Prefix) != "(other)" || st.Prefixes[0].Keys != 51 { // 50 + the key without prefix, seen after the cap
		t.Fatalf("%d tracked, %+v", len(c.prefixes), st.Prefixes)
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
