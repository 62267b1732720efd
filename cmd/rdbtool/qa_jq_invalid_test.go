package main

import (
	"bytes"
	enc "encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestQAJQRewriteInvalidStream: rewrite --rdb-version re-encodes values by
// the rules import uses (rdb.Conversion). A stream whose two nodes have the
// same master ID, which Redis refuses to load ("Listpack re-added with
// existing key"), decodes with entry IDs 1-0, 1-0, which no version can be
// written with: that is damaged input, not a key the target version cannot
// express. It was listed as unconvertible ("1 keys cannot be written as
// RDB version 9") and dropped with --skip-unconvertible (exit 0); now the
// pass fails naming the input, offset and key, with the bad input exit
// code, whatever the flags.
func TestQAJQRewriteInvalidStream(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 5000) // one entry per stream node
	s := &rdb.Stream{Entries: []rdb.StreamEntry{
		{ID: rdb.StreamID{Ms: 1}, Fields: []rdb.StreamField{{Name: []byte("f"), Value: big}}},
		{ID: rdb.StreamID{Ms: 2}, Fields: []rdb.StreamField{{Name: []byte("f"), Value: big}}},
	}}
	typ, raw, err := rdb.EncodeValue(&rdb.Value{Kind: "stream", Stream: s}, 11)
	if err != nil {
		t.Fatal(err)
	}
	nodeKey := func(ms uint64) []byte { // a 16-byte string: the node's master ID
		k := append([]byte{16}, make([]byte, 16)...)
		enc.BigEndian.PutUint64(k[1:], ms)
		return k
	}
	j := bytes.Index(raw, nodeKey(2))
	if j < 0 {
		t.Fatal("stream node key not found")
	}
	raw[j+8] = 1
	var f bytes.Buffer
	w := rdb.NewWriter(&f, 11)
	if err := w.WriteEntry(&rdb.Entry{Key: []byte("s"), Type: typ, Value: raw, ValueLen: int64(len(raw)), ExpireMs: -1, Idle: -1, Freq: -1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.rdb")
	if err := os.WriteFile(in, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for n, args := range [][]string{{"--rdb-version", "9"}, {"--rdb-version", "10", "--skip-unconvertible"}, {"--rdb-version", "9", "--json"}} {
		out := filepath.Join(dir, fmt.Sprintf("out%d.rdb", n))
		r := run(t, nil, append([]string{"rewrite", in, "-o", out}, args...)...)
		msg := ""
		if r.err != nil {
			msg = r.err.Error()
		}
		if r.code != 2 || !strings.HasPrefix(msg, in+": offset ") || !strings.Contains(msg, `key "s": invalid value: stream entry IDs not increasing`) ||
			strings.Contains(msg, "cannot write the output") || strings.Contains(msg+r.stdout+r.stderr, "unconvertible") {
			t.Errorf("rewrite %v: exit %d, %q, stdout %q, stderr %q; want exit 2 naming the input's offset and key, nothing unconvertible", args, r.code, msg, r.stdout, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("rewrite %v: wrote %s", args, out)
		}
	}
}
