package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// TestQAJQRewriteInvalidStream: rewrite --rdb-version re-encodes values by
// the rules import uses (rdb.Conversion). A stream node that stores entry
// 2-0 before 1-0 (Redis loads it and iterates it as stored) decodes with
// entry IDs out of order, which no version can be written with: that is
// bad input, not a key the target version cannot express. It was listed as unconvertible ("1 keys cannot be written as
// RDB version 9") and dropped with --skip-unconvertible (exit 0); now the
// pass fails naming the input, offset and key, with the bad input exit
// code, whatever the flags, and does not send the user to verify, which
// passes the file (as redis-server loads it).
func TestQAJQRewriteInvalidStream(t *testing.T) {
	s := &rdb.Stream{Entries: []rdb.StreamEntry{ // small values: one listpack node
		{ID: rdb.StreamID{Ms: 1}, Fields: []rdb.StreamField{{Name: []byte("f"), Value: []byte("a")}}},
		{ID: rdb.StreamID{Ms: 2}, Fields: []rdb.StreamField{{Name: []byte("f"), Value: []byte("b")}}},
	}}
	typ, raw, err := rdb.EncodeValue(&rdb.Value{Kind: "stream", Stream: s}, 11)
	if err != nil {
		t.Fatal(err)
	}
	// Swap the two entries' ms deltas: 2-0 a, then 1-0 b, in one node.
	i := bytes.Index(raw, []byte("\x02\x01\x00\x01\x00\x01\x81a"))
	j := bytes.Index(raw, []byte("\x02\x01\x01\x01\x00\x01\x81b"))
	if i < 0 || j < 0 {
		t.Fatal("stream entries not found in the encoding")
	}
	raw[i+2], raw[j+2] = 1, 0
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
			strings.Contains(msg, "cannot write the output") || strings.Contains(msg, "verify") || strings.Contains(msg+r.stdout+r.stderr, "unconvertible") {
			t.Errorf("rewrite %v: exit %d, %q, stdout %q, stderr %q; want exit 2 naming the input's offset and key, nothing unconvertible", args, r.code, msg, r.stdout, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("rewrite %v: wrote %s", args, out)
		}
	}
}
