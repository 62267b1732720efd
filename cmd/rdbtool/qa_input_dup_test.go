package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// dupDump writes a dump of version 10 (redis-server 7.0 loads it) with
// rdb.Writer holding string entries of the given (db, key), and returns
// its path and the offsets of the entries of key "k".
func dupDump(t *testing.T, dir, name string, keys ...[2]any) (path string, kOffsets []int64) {
	t.Helper()
	var b bytes.Buffer
	w := rdb.NewWriter(&b, 10)
	w.WriteAux("redis-ver", "7.0.15")
	add := func(db int, key, val string) {
		e, err := rdb.NewEntry(db, []byte(key), &rdb.Value{Kind: "string", String: []byte(val)}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		add(k[0].(int), k[1].(string), fmt.Sprint("value ", i))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rd := rdb.NewReader(bytes.NewReader(b.Bytes()))
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		if e, ok := rec.(*rdb.Entry); ok && string(e.Key) == "k" {
			kOffsets = append(kOffsets, e.Offset())
		}
	}
	return path, kOffsets
}

// redisStarts reports whether redis-server starts from the dump at path,
// and its log when it does not.
func redisStarts(t *testing.T, path string) (bool, string) {
	t.Helper()
	redistest.Binary(t, "redis-server")
	s, err := redistest.Launch(t.TempDir(), redistest.WithRDB(path))
	if err != nil {
		return false, err.Error()
	}
	s.Stop()
	return true, ""
}

// TestQAInputDuplicateKey: a dump holding a key twice in one database is
// refused by redis-server ("Duplicated key found in RDB file"); verify
// said "ok" for it. It now reports the problem with the offset and key of
// the second copy (and where the first is) and exit 2, also when the copies
// are far apart (from a pipe, which cannot be read again to name the key:
// both offsets); the same key in two databases
// stays fine, for both. prune, persist, refresh and rewrite --rdb-version
// (whose output claims to load) refuse such an input unless the copies are
// not written, and write nothing.
func TestQAInputDuplicateKey(t *testing.T) {
	dir := t.TempDir()
	dup, offs := dupDump(t, dir, "dup.rdb", [2]any{0, "before"}, [2]any{0, "k"}, [2]any{0, "between"}, [2]any{0, "k"})
	far, farOffs := dupDump(t, dir, "far.rdb", append([][2]any{{0, "k"}}, fillerKeys(60000)...)...)
	ok, _ := dupDump(t, dir, "twodbs.rdb", [2]any{0, "k"}, [2]any{1, "k"}, [2]any{3, "k"})
	if len(offs) != 2 || len(farOffs) != 2 {
		t.Fatalf("%d and %d copies of k", len(offs), len(farOffs))
	}

	// redis-server: refuses the duplicate, loads the same key in two dbs
	if started, log := redisStarts(t, dup); started || !strings.Contains(log, "Duplicated key") {
		t.Fatalf("redis-server started from a dump with a key twice (or failed otherwise): %s", log)
	}
	if started, log := redisStarts(t, ok); !started {
		t.Fatalf("redis-server refused the same key in two databases: %s", log)
	}

	// verify agrees: the offset and key of the second copy
	for _, c := range []struct {
		path          string
		second, first int64
	}{{dup, offs[1], offs[0]}, {far, farOffs[1], farOffs[0]}} {
		r := mustRun(t, 2, nil, "verify", c.path)
		second := c.second
		qaOneLine(t, []string{"verify", c.path}, r.err, fmt.Sprintf(`offset %d, key "k"`, second), "duplicate key in db 0",
			fmt.Sprintf("first copy at offset %d", c.first))
		r = mustRun(t, 2, nil, "verify", c.path, "--json")
		var v verifyJSON
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("verify --json: %v\n%s", err, r.stdout)
		}
		if v.OK || len(v.Problems) != 1 || v.Problems[0].Offset != second || v.Problems[0].Kind != "duplicate_key" ||
			v.Problems[0].Key == nil || string(*v.Problems[0].Key) != "k" {
			t.Errorf("verify --json %s: %s", filepath.Base(c.path), r.stdout)
		}
	}
	// a pipe cannot be read again to name the key: both offsets
	data, _ := os.ReadFile(dup)
	r := mustRun(t, 2, bytes.NewReader(data), "verify", "-")
	qaOneLine(t, []string{"verify", "-"}, r.err, "stdin", fmt.Sprintf("offset %d: a key is given twice in one database (first copy at offset %d)", offs[1], offs[0]))
	data, _ = os.ReadFile(far)
	r = mustRun(t, 2, bytes.NewReader(data), "verify", "-")
	qaOneLine(t, []string{"verify", "-"}, r.err, fmt.Sprintf("offset %d: a key is given twice in one database (first copy at offset %d)", farOffs[1], farOffs[0]))
	// the same key in three databases is sound, from a file or a pipe
	if r := mustRun(t, 0, nil, "verify", ok); !strings.Contains(r.stdout, "ok: RDB version 10, 3 keys") {
		t.Errorf("verify: %s", r.stdout)
	}
	data, _ = os.ReadFile(ok)
	mustRun(t, 0, bytes.NewReader(data), "verify", "-")

	// the commands that write a dump: refused, nothing written
	out := filepath.Join(dir, "out.rdb")
	for _, cmd := range [][]string{
		{"prune", "--match", "between"},
		{"persist"},
		{"refresh", "--prune", "between"},
		{"rewrite", "--rdb-version", "9"},
	} {
		args := append([]string{cmd[0], dup, "-o", out}, cmd[1:]...)
		r := mustRun(t, 2, nil, args...)
		qaOneLine(t, args, r.err, fmt.Sprintf(`offset %d, key "k"`, offs[1]), "duplicate key in db 0", "nothing was written")
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", args, out)
		}
	}
	// pruning the key removes both copies: a dump redis-server loads
	mustRun(t, 0, nil, "prune", dup, "-o", out, "--match", "k")
	if started, log := redisStarts(t, out); !started {
		t.Errorf("prune --match k: redis-server refused the output: %s", log)
	}
}

// fillerKeys is n distinct keys in db 0, then "k".
func fillerKeys(n int) [][2]any {
	out := make([][2]any, 0, n+1)
	for i := range n {
		out = append(out, [2]any{0, fmt.Sprintf("filler:%d", i)})
	}
	return append(out, [2]any{0, "k"})
}

// TestQAInputDupCheckFingerprints: a fingerprint met twice is only a
// candidate for a file: reading it again finds no key given twice when two
// keys merely share a fingerprint (forced here by naming a candidate); from
// a pipe 200,000 distinct keys in two databases give none, one more copy of
// one of them is found with both offsets.
func TestQAInputDupCheckFingerprints(t *testing.T) {
	dir := t.TempDir()
	path, _ := dupDump(t, dir, "one.rdb", [2]any{0, "before"}, [2]any{0, "k"}, [2]any{1, "k"})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := newDupCheck(&srcFile{seek: f})
	defer d.release()
	if err := d.confirm(map[uint64]bool{d.fingerprint(0, []byte("k")): true, d.fingerprint(1, []byte("k")): true}); err != nil {
		t.Fatalf("confirm found a key twice in a dump without one: %v", err)
	}
	// as from a pipe: every fingerprint met twice is reported
	p := newDupCheck(&srcFile{})
	defer p.release()
	for i := range 200_000 {
		p.add(i%2, []byte(fmt.Sprintf("key:%d", i/2)), int64(i))
	}
	if err := p.finish(); err != nil {
		t.Fatalf("distinct keys: %v", err)
	}
	q := newDupCheck(&srcFile{})
	defer q.release()
	for i := range 200_000 {
		q.add(i%2, []byte(fmt.Sprintf("key:%d", i/2)), int64(i))
	}
	q.add(1, []byte("key:77"), 200_000)
	if err := q.finish(); err == nil || !strings.Contains(err.Error(), "offset 200000: a key is given twice in one database (first copy at offset 155)") {
		t.Fatalf("a key twice: %v", err)
	}
}

// TestQAInputDupCheckKeepsZeroChecksum: rewrite --rdb-version with the
// input's own version still copies a file written with rdbchecksum no
// byte for byte (the duplicate check is not put in that pass: as a filter
// it would make the output carry a real checksum).
func TestQAInputDupCheckKeepsZeroChecksum(t *testing.T) {
	src := "../../testdata/corpus/nocrc_nocompress.rdb"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	_, v := header(t, src)
	out := filepath.Join(t.TempDir(), "out.rdb")
	mustRun(t, 0, nil, "rewrite", src, "--rdb-version", fmt.Sprint(v), "-o", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("rewrite --rdb-version %d of a zero-checksum file is not byte-identical", v)
	}
}

// TestQAInputDupCheckSpill: beyond its memory budget the check keeps the
// fingerprints in a temporary file and still finds a key given twice far
// apart (from a file and from a pipe), passes a dump without one, and
// leaves no file behind.
func TestQAInputDupCheckSpill(t *testing.T) {
	old := dupBudgetWords
	dupBudgetWords = 5000 // a spill every 2,500-5,000 keys
	defer func() { dupBudgetWords = old }()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	far, offs := dupDump(t, dir, "far.rdb", append([][2]any{{0, "k"}}, fillerKeys(30000)...)...)
	r := mustRun(t, 2, nil, "verify", far)
	qaOneLine(t, []string{"verify", far}, r.err, fmt.Sprintf(`offset %d, key "k": duplicate key in db 0 (first copy at offset %d)`, offs[1], offs[0]))
	data, _ := os.ReadFile(far)
	r = mustRun(t, 2, bytes.NewReader(data), "verify", "-")
	qaOneLine(t, []string{"verify", "-"}, r.err, fmt.Sprintf("offset %d: a key is given twice in one database (first copy at offset %d)", offs[1], offs[0]))
	r = mustRun(t, 2, nil, "prune", far, "-o", filepath.Join(dir, "out.rdb"), "--match", "nothing")
	qaOneLine(t, []string{"prune", far}, r.err, fmt.Sprintf(`offset %d, key "k": duplicate key in db 0`, offs[1]), "nothing was written")
	fine, _ := dupDump(t, dir, "fine.rdb", fillerKeys(30000)...)
	mustRun(t, 0, nil, "verify", fine)
	data, _ = os.ReadFile(fine)
	mustRun(t, 0, bytes.NewReader(data), "verify", "-")
	assertOnly(t, tmp)
}
