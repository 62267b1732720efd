package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/export"
	"github.com/rdbtool/rdbtool/inspect"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
)

// reviewRawSite writes the raw site dump (go run ./internal/sitegen: fpg:*
// bitfiles, TTLs, the keys the ingest ignores) to a temp file.
func reviewRawSite(t *testing.T) string {
	t.Helper()
	o := site.Small()
	o.Now = site.DefaultNow
	var b bytes.Buffer
	if err := site.Build(o).WriteRDB(&b, site.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "raw.rdb")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// reviewInspect runs inspect --json with args and decodes the report.
func reviewInspect(t *testing.T, path string, args ...string) inspect.Stats {
	t.Helper()
	r := mustRun(t, 0, nil, append([]string{"inspect", path, "--json", "--now", "2026-01-01T00:00:00Z"}, args...)...)
	var st inspect.Stats
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("inspect --json %s: %v\n%s", path, err, r.stdout)
	}
	return st
}

// reviewKeys runs keys --json on path and decodes one line per key.
func reviewKeys(t *testing.T, path string, args ...string) []keyLine {
	t.Helper()
	r := mustRun(t, 0, nil, append([]string{"keys", path, "--json"}, args...)...)
	var out []keyLine
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var k keyLine
		if err := json.Unmarshal([]byte(line), &k); err != nil {
			t.Fatalf("keys --json %s: %v: %s", path, err, line)
		}
		out = append(out, k)
	}
	return out
}

// TestQAReviewInspectAddsUp: for the site dump, the raw site dump and every
// corpus file, inspect's numbers add up
// (databases and types each sum to the key count and the value bytes, a
// type's encodings to its keys, prefixes to the keys when all are listed)
// and agree with keys --json, key by key: count per db and type, bytes,
// expiring and expired keys; --top larger than the key count lists every
// key, largest first, and "largest" is top[0].
func TestQAReviewInspectAddsUp(t *testing.T) {
	files := append([]string{"../../testdata/dump.rdb", reviewRawSite(t)}, corpusFiles(t)...)
	nowMs := int64(1767225600000) // 2026-01-01T00:00:00Z
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			st := reviewInspect(t, f, "--top", "1000000", "--prefixes", "1000000")
			keys := reviewKeys(t, f)
			if st.Keys != int64(len(keys)) {
				t.Fatalf("inspect says %d keys, keys lists %d", st.Keys, len(keys))
			}
			var dbKeys, dbBytes, typeKeys, typeBytes, prefKeys, prefBytes, exp, expired int64
			perDB := map[int]int64{}
			perType := map[string]int64{}
			var bytes int64
			for _, k := range keys {
				perDB[k.DB]++
				perType[k.Type]++
				bytes += k.Bytes
				if k.ExpireMs >= 0 {
					exp++
					if k.ExpireMs < nowMs {
						expired++
					}
				}
			}
			for _, d := range st.Databases {
				dbKeys += d.Keys
				dbBytes += d.ValueBytes
				if perDB[d.DB] != d.Keys {
					t.Errorf("db%d: inspect %d keys, keys lists %d", d.DB, d.Keys, perDB[d.DB])
				}
				if d.Expired > d.Expiring || d.Expiring > d.Keys {
					t.Errorf("db%d: %d expired > %d expiring or > %d keys", d.DB, d.Expired, d.Expiring, d.Keys)
				}
			}
			if len(st.Databases) != len(perDB) {
				t.Errorf("inspect lists %d databases, keys shows %d", len(st.Databases), len(perDB))
			}
			for name, ts := range st.Types {
				typeKeys += ts.Keys
				typeBytes += ts.ValueBytes
				var enc int64
				for _, n := range ts.Encodings {
					enc += n
				}
				if enc != ts.Keys {
					t.Errorf("type %s: encodings sum to %d, %d keys", name, enc, ts.Keys)
				}
				if perType[name] != ts.Keys {
					t.Errorf("type %s: inspect %d keys, keys lists %d", name, ts.Keys, perType[name])
				}
			}
			for _, p := range st.Prefixes {
				prefKeys += p.Keys
				prefBytes += p.ValueBytes
			}
			for what, got := range map[string][2]int64{
				"db keys":             {dbKeys, st.Keys},
				"db bytes":            {dbBytes, st.ValueBytes},
				"type keys":           {typeKeys, st.Keys},
				"type bytes":          {typeBytes, st.ValueBytes},
				"prefix keys":         {prefKeys, st.Keys},
				"prefix bytes":        {prefBytes, st.ValueBytes},
				"keys' bytes":         {bytes, st.ValueBytes},
				"expiring (keys)":     {exp, st.Expiring},
				"expired at --now":    {expired, st.Expired},
				"top lists every key": {int64(len(st.Top)), st.Keys},
			} {
				if got[0] != got[1] {
					t.Errorf("%s: %d, want %d", what, got[0], got[1])
				}
			}
			for i := 1; i < len(st.Top); i++ {
				if st.Top[i].Bytes > st.Top[i-1].Bytes {
					t.Errorf("top not largest first at %d: %d after %d", i, st.Top[i].Bytes, st.Top[i-1].Bytes)
				}
			}
			if st.Keys == 0 {
				if st.Largest != nil {
					t.Errorf("largest %+v with no keys", st.Largest)
				}
			} else if st.Largest == nil || string(st.Largest.Key) != string(st.Top[0].Key) || st.Largest.DB != st.Top[0].DB {
				t.Errorf("largest %+v is not top[0] %+v", st.Largest, st.Top[0])
			}
		})
	}
}

// TestQAReviewInspectEdges: --top 0 and --prefixes 0 list none (text and
// JSON), a negative one is a usage error, --top N beyond the key count
// lists every key; a dump with no keys reports zeros, no largest key and
// empty lists (never null); sizes read in human units.
func TestQAReviewInspectEdges(t *testing.T) {
	dump := "../../testdata/dump.rdb"
	st := reviewInspect(t, dump, "--top", "0", "--prefixes", "0")
	if len(st.Top) != 0 || len(st.Prefixes) != 0 || st.Largest == nil {
		t.Errorf("--top 0 --prefixes 0: top %d, prefixes %d, largest %v", len(st.Top), len(st.Prefixes), st.Largest)
	}
	text := mustRun(t, 0, nil, "inspect", dump, "--top", "0", "--prefixes", "0").stdout
	if strings.Contains(text, "top ") || strings.Contains(text, "prefixes") || !strings.Contains(text, "largest:") {
		t.Errorf("--top 0 --prefixes 0 text:\n%s", text)
	}
	for _, bad := range []string{"--top=-1", "--prefixes=-1"} {
		r := mustRun(t, 2, nil, "inspect", dump, bad)
		if r.err == nil || !strings.Contains(r.err.Error(), ">= 0") {
			t.Errorf("%s: %v", bad, r.err)
		}
	}
	st = reviewInspect(t, dump, "--top", "3", "--prefixes", "2")
	if len(st.Top) != 3 || len(st.Prefixes) != 2 {
		t.Errorf("--top 3 --prefixes 2: %d, %d", len(st.Top), len(st.Prefixes))
	}
	text = mustRun(t, 0, nil, "inspect", dump).stdout
	human := regexp.MustCompile(`(?m)^size: +` + strconv.FormatInt(st.SizeBytes, 10) + ` bytes \(\d+(\.\d)? (B|KiB|MiB)\)$`)
	if !human.MatchString(text) {
		t.Errorf("no human-readable size:\n%s", text)
	}

	empty := filepath.Join(t.TempDir(), "empty.rdb")
	mustRun(t, 0, strings.NewReader(`{"rdb_version":10,"magic":"REDIS"}`+"\n"), "import", "-", "-o", empty)
	st = reviewInspect(t, empty, "--top", "5")
	if st.Keys != 0 || st.ValueBytes != 0 || st.Largest != nil || st.Top == nil || len(st.Top) != 0 ||
		st.Databases == nil || len(st.Databases) != 0 || st.Prefixes == nil || len(st.Prefixes) != 0 || st.Checksum.Status != "ok" {
		t.Errorf("empty dump: %+v", st)
	}
	raw := mustRun(t, 0, nil, "inspect", empty, "--json").stdout
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"aux", "module_aux", "databases", "top", "prefixes"} {
		if l, ok := m[f].([]any); !ok || len(l) != 0 {
			t.Errorf("empty dump JSON: %q is %v, want []", f, m[f])
		}
	}
	if v, ok := m["largest"]; !ok || v != nil {
		t.Errorf("empty dump JSON: largest %v, want null", v)
	}
	text = mustRun(t, 0, nil, "inspect", empty).stdout
	if !strings.Contains(text, "keys:       0 ") || strings.Contains(text, "largest:") {
		t.Errorf("empty dump text:\n%s", text)
	}
}

// TestQAReviewInspectBinaryNames: key names and prefixes that are not
// UTF-8 come back byte for byte through inspect --json (export.Blob) and
// keys --json.
func TestQAReviewInspectBinaryNames(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bin.rdb")
	key := "\xff\x00p:" + strings.Repeat("v", 40)
	line, _ := json.Marshal(map[string]any{"db": 0, "key": export.Blob(key), "type": "string", "expire_ms": -1, "value": strings.Repeat("x", 500)})
	mustRun(t, 0, strings.NewReader(string(line)+"\n"), "import", "-", "-o", p)
	st := reviewInspect(t, p, "--top", "1")
	if string(st.Top[0].Key) != key || string(st.Largest.Key) != key || string(st.Prefixes[0].Prefix) != "\xff\x00p" {
		t.Errorf("binary names: top %q, largest %q, prefix %q", st.Top[0].Key, st.Largest.Key, st.Prefixes[0].Prefix)
	}
	if ks := reviewKeys(t, p); len(ks) != 1 || string(ks[0].Key) != key {
		t.Errorf("keys --json: %+v", ks)
	}
}
