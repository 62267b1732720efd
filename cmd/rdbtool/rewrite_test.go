package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

func TestRewriteIdentityCLI(t *testing.T) {
	dir := t.TempDir()
	for _, f := range corpusFiles(t) {
		out := filepath.Join(dir, filepath.Base(f))
		mustRun(t, 0, nil, "rewrite", f, "-o", out)
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(out)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: rewrite is not the identity", f)
		}
	}
	// stdin to stdout
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	r := mustRun(t, 0, bytes.NewReader(in), "rewrite", "-", "-o", "-")
	if r.stdout != string(in) {
		t.Fatal("rewrite - -o - is not the identity")
	}
}

// TestRewriteVersion9 converts every corpus file to RDB 9: the output has
// only types RDB 9 knows, passes redis-check-rdb, and a real redis-server
// 7.0 shows the same DEBUG DIGEST for it as for the original (when 7.0
// loads the original).
func TestRewriteVersion9(t *testing.T) {
	load := map[string]bool{}
	for _, f := range loadable(t) {
		load[f] = true
	}
	dir := t.TempDir()
	compared := 0
	for _, f := range corpusFiles(t) {
		out := filepath.Join(dir, "v9-"+filepath.Base(f))
		r := run(t, nil, "rewrite", f, "-o", out, "--rdb-version", "9", "--skip-unconvertible")
		if r.code != 0 {
			t.Errorf("%s: exit %d: %s", f, r.code, r.stderr)
			continue
		}
		magic, v := header(t, out)
		if magic != "REDIS" || v != 9 {
			t.Errorf("%s: output is %s %d", f, magic, v)
		}
		for _, e := range readEntries(t, out) {
			if !rdb.TypeSupported(e.Type, 9) {
				t.Errorf("%s: key %q has type %d, unknown to RDB 9", f, e.Key, e.Type)
			}
			if e.Idle >= 0 || e.Freq >= 0 {
				// RDB 9 has idle/freq; they are kept.
			}
		}
		if err := redistest.CheckRDB(t, out); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if !load[f] {
			continue
		}
		want, err := shared.digest(t, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := shared.digest(t, out)
		if err != nil {
			t.Errorf("%s: RDB 9 output does not load: %v", f, err)
			continue
		}
		if got != want {
			t.Errorf("%s: DEBUG DIGEST %s after conversion to RDB 9, %s before", f, got, want)
		}
		compared++
	}
	if compared < 10 {
		t.Fatalf("only %d files compared", compared)
	}
}

// TestRewriteUnconvertible: keys RDB 8 cannot express (streams) are listed
// and the command fails with nothing written, unless --skip-unconvertible.
func TestRewriteUnconvertible(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "v8.rdb")
	r := mustRun(t, 2, nil, "rewrite", "../../testdata/corpus/streams.rdb", "-o", out, "--rdb-version", "8")
	if !strings.Contains(r.stderr, "cannot be written as RDB version 8") || !strings.Contains(r.err.Error(), "--skip-unconvertible") {
		t.Fatalf("stderr: %s\nerr: %v", r.stderr, r.err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output written despite unconvertible keys")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("files left: %v", ents)
	}
	mustRun(t, 0, nil, "rewrite", "../../testdata/corpus/streams.rdb", "-o", out, "--rdb-version", "8", "--skip-unconvertible")
	for _, e := range readEntries(t, out) {
		if rdb.TypeName(e.Type) == "stream" {
			t.Fatalf("stream %q kept in RDB 8", e.Key)
		}
	}
	mustRun(t, 2, nil, "rewrite", "../../testdata/corpus/all.rdb", "-o", out, "--rdb-version", "13")
	mustRun(t, 2, nil, "rewrite", "../../testdata/corpus/all.rdb", "-o", out, "--skip-unconvertible")
}

func TestInspectVerifyKeys(t *testing.T) {
	f := "../../testdata/corpus/all.rdb"
	r := mustRun(t, 0, nil, "inspect", f, "--json", "--top", "3", "--now", "2000-01-01T00:00:00Z")
	var st struct {
		Version  int   `json:"rdb_version"`
		Keys     int64 `json:"keys"`
		Expiring int64 `json:"expiring"`
		Expired  int64 `json:"expired"`
		Top      []struct {
			Key   string `json:"key"`
			Bytes int64  `json:"bytes"`
		} `json:"top"`
		Checksum struct{ Status string } `json:"checksum"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	ents := readEntries(t, f)
	exp := int64(0)
	for _, e := range ents {
		if e.HasExpiry() {
			exp++
		}
	}
	if st.Version != 10 || st.Keys != int64(len(ents)) || st.Expiring != exp || st.Expired != 0 || len(st.Top) != 3 || st.Checksum.Status != "ok" {
		t.Fatalf("inspect: %+v", st)
	}
	if st.Top[0].Bytes < st.Top[1].Bytes || st.Top[1].Bytes < st.Top[2].Bytes {
		t.Fatalf("top not sorted: %+v", st.Top)
	}
	r = mustRun(t, 0, nil, "inspect", f, "--now", "2100-01-01T00:00:00Z")
	if !strings.Contains(r.stdout, "already expired") || !strings.Contains(r.stdout, "checksum:   ok") {
		t.Fatal(r.stdout)
	}

	r = mustRun(t, 0, nil, "verify", f)
	if !strings.Contains(r.stdout, "ok") {
		t.Fatal(r.stdout)
	}
	r = mustRun(t, 0, nil, "keys", f, "--match", "fpg:*", "--type", "string")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(string(e.Key), "fpg:") {
			n++
		}
	}
	if len(lines) != n {
		t.Fatalf("keys: %d lines, want %d: %q", len(lines), n, lines)
	}
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 6 || fields[1] != "string" || !strings.HasPrefix(fields[5], "fpg:") {
			t.Fatalf("keys line %q", l)
		}
	}
	r = mustRun(t, 0, nil, "keys", f, "--json", "--db", "1")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var k struct{ DB int }
		if err := json.Unmarshal([]byte(l), &k); err != nil || k.DB != 1 {
			t.Fatalf("keys --json --db 1: %s", l)
		}
	}
	mustRun(t, 2, nil, "keys", f, "--type", "strng")
}

// TestBadInput: damaged files give exit 2 with the offset and key.
func TestBadInput(t *testing.T) {
	in, _ := os.ReadFile("../../testdata/corpus/all.rdb")
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.rdb")
	os.WriteFile(trunc, in[:len(in)/2], 0o644)
	for _, cmd := range []string{"inspect", "verify", "keys", "textconv", "export"} {
		r := mustRun(t, 2, nil, cmd, trunc)
		if !strings.Contains(r.err.Error(), "offset") || strings.Contains(r.err.Error(), "\n") {
			t.Errorf("%s: %v", cmd, r.err)
		}
	}
	// A flipped byte inside a value: verify names offset and key.
	bad := append([]byte(nil), in...)
	var target *rdb.Entry
	for _, e := range readEntries(t, "../../testdata/corpus/all.rdb") {
		if e.Type == rdb.TypeHashListpack {
			target = e
			break
		}
	}
	// corrupt the listpack's last byte (its terminator 0xff) in place
	off := int(target.Offset())
	idx := bytes.Index(bad[off:], target.Value) + off + len(target.Value) - 1
	bad[idx] = 0x00
	p := filepath.Join(dir, "bad.rdb")
	os.WriteFile(p, bad, 0o644)
	r := mustRun(t, 2, nil, "verify", p)
	if !strings.Contains(r.err.Error(), "offset") || !strings.Contains(r.err.Error(), string(target.Key)) {
		t.Fatalf("verify: %v", r.err)
	}
	// the checksum mismatch: inspect reports it and exits 2
	bad2 := append([]byte(nil), in...)
	bad2[len(bad2)-1] ^= 1
	os.WriteFile(p, bad2, 0o644)
	r = mustRun(t, 2, nil, "inspect", p)
	if !strings.Contains(r.stdout, "mismatch") {
		t.Fatal(r.stdout)
	}
	mustRun(t, 2, nil, "verify", p)
	mustRun(t, 2, nil, "inspect", filepath.Join(dir, "missing.rdb"))
	mustRun(t, 2, nil, "inspect")
}
