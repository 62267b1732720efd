package filter

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

func corpus(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	if len(files) == 0 {
		t.Fatal("no corpus files in testdata/corpus")
	}
	return files
}

// entries reads every entry of an RDB image, keyed by db and key.
type dbKey struct {
	db  int
	key string
}

func entries(t *testing.T, data []byte) map[dbKey]*rdb.Entry {
	t.Helper()
	rd := rdb.NewReader(bytes.NewReader(data))
	m := map[dbKey]*rdb.Entry{}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*rdb.Entry); ok {
			m[dbKey{e.DB, string(e.Key)}] = e
		}
	}
}

func TestRewriteIdentity(t *testing.T) {
	for _, f := range corpus(t) {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		st, err := Rewrite(bytes.NewReader(in), &out, nil, RewriteOptions{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(in, out.Bytes()) {
			t.Errorf("%s: rewrite is not the identity (%d -> %d bytes)", f, len(in), out.Len())
		}
		if st.KeysIn != st.KeysOut || st.BytesIn != int64(len(in)) {
			t.Errorf("%s: stats %+v", f, st)
		}
	}
}

func TestTailWriter(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	for _, chunks := range [][]int{{1, 1, 1, 33}, {36}, {3, 3, 30}, {10, 1, 1, 1, 1, 22}, {30, 6}} {
		var b bytes.Buffer
		tw := &tailWriter{w: &b}
		p := data
		for _, n := range chunks {
			tw.Write(p[:n])
			p = p[n:]
		}
		if b.Len() != len(data)-8 {
			t.Fatalf("%v: passed %d bytes", chunks, b.Len())
		}
		tw.finish(true)
		if !bytes.Equal(b.Bytes(), append(append([]byte{}, data[:28]...), make([]byte, 8)...)) {
			t.Fatalf("%v: %q", chunks, b.Bytes())
		}
	}
}

// TestPruneCorpus prunes fpg:* and persists every key of each corpus file:
// the output passes redis-check-rdb, the untouched keys keep their value
// bytes, and only the selected keys are gone.
func TestPruneCorpus(t *testing.T) {
	now := int64(1 << 62) // everything with a TTL counts as expired
	for _, f := range corpus(t) {
		in, _ := os.ReadFile(f)
		prune := &Prune{Select: Select{Match: NewGlobs([]string{"fpg:*", "user:1*"})}}
		persist := &Persist{NowMs: now}
		var out bytes.Buffer
		if _, err := Rewrite(bytes.NewReader(in), &out, Chain{prune, persist}, RewriteOptions{}); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		before, after := entries(t, in), entries(t, out.Bytes())
		for k, e := range before {
			a, ok := after[k]
			sel := prune.Match.Match([]byte(k.key))
			if sel == ok {
				t.Errorf("%s: key %v selected=%v but present=%v", f, k, sel, ok)
				continue
			}
			if ok {
				if rdb.HasFieldExpiries(e.Type) {
					// field expiries are persisted too: same fields and
					// values, none expiring
					av, err1 := a.Decode()
					ev, err2 := e.Decode()
					if err1 != nil || err2 != nil || len(av.Hash) != len(ev.Hash) {
						t.Errorf("%s: key %v: hash after persist %v %v", f, k, err1, err2)
						continue
					}
					for i, h := range av.Hash {
						if h.ExpireMs != -1 || !bytes.Equal(h.Field, ev.Hash[i].Field) || !bytes.Equal(h.Value, ev.Hash[i].Value) {
							t.Errorf("%s: key %v field %q: %q expiring %d, want %q with no expiry", f, k, h.Field, h.Value, h.ExpireMs, ev.Hash[i].Value)
						}
					}
				} else if !bytes.Equal(a.Value, e.Value) || a.Type != e.Type {
					t.Errorf("%s: key %v changed its value", f, k)
				}
				if a.HasExpiry() {
					t.Errorf("%s: key %v still has an expiry", f, k)
				}
			}
		}
		if len(after) != len(before)-prune.Removed {
			t.Errorf("%s: %d keys, want %d", f, len(after), len(before)-prune.Removed)
		}
		hdr := rdb.NewReader(bytes.NewReader(in))
		rec, _ := hdr.Next()
		if v := rec.(*rdb.Header).Version; v <= 10 && rec.(*rdb.Header).Magic == "REDIS" {
			p := filepath.Join(t.TempDir(), "out.rdb")
			os.WriteFile(p, out.Bytes(), 0o644)
			if err := redistest.CheckRDB(t, p); err != nil {
				t.Errorf("%s: redis-check-rdb on the pruned file: %v", f, err)
			}
		}
	}
}

func TestRewriteErrors(t *testing.T) {
	in, _ := os.ReadFile("../testdata/corpus/all.rdb")
	// truncated input
	_, err := Rewrite(bytes.NewReader(in[:len(in)/2]), io.Discard, nil, RewriteOptions{})
	var re *rdb.Error
	if !errors.As(err, &re) || !errors.Is(err, rdb.ErrTruncated) {
		t.Fatalf("truncated: %v", err)
	}
	// failing writer
	_, err = Rewrite(bytes.NewReader(in), failWriter{}, nil, RewriteOptions{})
	if err == nil {
		t.Fatal("write error not reported")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
