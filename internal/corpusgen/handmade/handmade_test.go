package handmade

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// TestCheckRDB: the files of versions Redis 7.0 knows pass redis-check-rdb,
// which also proves the CRC-64 and the module value layout.
func TestCheckRDB(t *testing.T) {
	for _, f := range Files() {
		if !f.CheckRDB {
			continue
		}
		p := filepath.Join(t.TempDir(), f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := redistest.CheckRDB(t, p); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

// TestSlots checks the cluster hash slot function on known values.
func TestSlots(t *testing.T) {
	// CLUSTER KEYSLOT answers from Redis's documentation and tests
	for k, want := range map[string]int{"foo": 12182, "bar": 5061, "{user1000}.following": 3443, "{user1000}.followers": 3443, "123456789": 12739} {
		if got := keySlot(k); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", k, got, want)
		}
	}
}

// TestEncoderAgainstRedis loads what this package's listpack and stream
// builders produce into a real redis-server 7.0 with deep sanitization on
// (every listpack entry and stream node checked), as an RDB 10 file: the
// same stream as hand_v11_stream3.rdb written as type 19, and a listpack
// hash holding the set members of hand_v11_set_listpack.rdb.
func TestEncoderAgainstRedis(t *testing.T) {
	var streamKey Key
	for _, f := range Files() {
		for _, k := range f.Keys {
			if k.Key == "stream:v3" {
				streamKey = k
			}
		}
	}
	if streamKey.Stream == nil {
		t.Fatal("stream:v3 not found")
	}
	f := newFile("REDIS", 10)
	header(f, "7.0.15")
	f.selectDB(0)
	// rebuild the nodes from the expected stream of the v3 file
	s := &Stream{}
	*s = *streamKey.Stream
	s.Entries = nil
	nodes, masters := stream3Nodes()
	f.entry(19, "stream")
	writeStream(f, 19, nodes, masters, s)
	members := []string{"1", "-1", "200", "-5000", "70000", "-70000", "8388607", "-8388608", "2147483647",
		"-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808", "007", "x", "",
		string(make([]byte, 63)), string(make([]byte, 64)), string(bytes.Repeat([]byte("q"), 4095)),
		string(bytes.Repeat([]byte("r"), 4096)), string(bytes.Repeat([]byte("s"), 20000))}
	var lp listpack
	for i, m := range members {
		lp.add(m)
		lp.add(fmt.Sprint(i))
	}
	f.entry(16, "hash")
	f.blob(lp.bytes())
	p := filepath.Join(t.TempDir(), "enc.rdb")
	if err := os.WriteFile(p, f.finish(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := redistest.CheckRDB(t, p); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t, redistest.WithRDB(p), redistest.WithArgs("--sanitize-dump-payload", "yes",
		"--hash-max-listpack-entries", "1000", "--hash-max-listpack-value", "100000"))
	c := srv.Client(t)
	ctx := t.Context()
	h, err := c.HGetAll(ctx, "hash").Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range members {
		if h[m] != fmt.Sprint(i) {
			t.Errorf("hash field %.20q = %q, want %d", m, h[m], i)
		}
	}
	if len(h) != len(members) {
		t.Errorf("hash has %d fields, want %d", len(h), len(members))
	}
	xs, err := c.XRange(ctx, "stream", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != len(streamKey.Stream.Entries) {
		t.Fatalf("XRANGE: %d entries, want %d", len(xs), len(streamKey.Stream.Entries))
	}
	for i, x := range xs {
		w := streamKey.Stream.Entries[i]
		if x.ID != w.ID.String() {
			t.Errorf("entry %d: id %s, want %s", i, x.ID, w.ID)
		}
		for j := 0; j < len(w.Fields); j += 2 {
			if fmt.Sprint(x.Values[w.Fields[j]]) != w.Fields[j+1] {
				t.Errorf("entry %s field %s = %v, want %q", x.ID, w.Fields[j], x.Values[w.Fields[j]], w.Fields[j+1])
			}
		}
	}
	groups, err := c.XInfoGroups(ctx, "stream").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Name != "g1" || groups[0].Pending != 3 || groups[0].Consumers != 3 ||
		groups[0].EntriesRead != 5 || groups[1].Name != "g2" {
		t.Errorf("XINFO GROUPS: %+v", groups)
	}
}
