package main

import (
	"bytes"
	"context"
	bin "encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// A key whose stored expiry is negative (a flipped sign bit in a dump
// written with rdbchecksum no; Redis loads the file and drops the key, as
// one whose expiry has passed): persist must make it stay, check --no-ttl
// must see an expiry, and import(export) must load as the file does.
func TestQAConfigsNegativeExpiryCLI(t *testing.T) {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 10)
	for _, k := range []string{"neg", "plain"} {
		e, err := rdb.NewEntry(0, []byte(k), &rdb.Value{Kind: "string", String: []byte("v")}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if k == "neg" {
			e.ExpireMs = 4102444800000
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	at := bytes.IndexByte(data, rdb.OpExpireTimeMs)
	data[at+8] |= 0x80                                // the sign bit of the 8-byte expiry
	bin.LittleEndian.PutUint64(data[len(data)-8:], 0) // as rdbchecksum no writes it
	dir := t.TempDir()
	in := filepath.Join(dir, "neg.rdb")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	keys := func(path string) []string {
		c, done, err := shared.load(t, path)
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		ks, err := c.Keys(context.Background(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if ttl, _ := c.PTTL(context.Background(), k).Result(); ttl >= 0 {
				t.Errorf("%s: key %q loaded with a TTL (%v)", filepath.Base(path), k, ttl)
			}
		}
		return ks
	}
	if got := keys(in); len(got) != 1 || got[0] != "plain" {
		t.Fatalf("redis-server loads %v from the file, want only plain (neg expired)", got)
	}
	persisted := filepath.Join(dir, "p.rdb")
	mustRun(t, 0, nil, "persist", in, "-o", persisted)
	if got := keys(persisted); len(got) != 2 {
		t.Errorf("after persist redis-server loads %v, want neg and plain", got)
	}
	if r := mustRun(t, 1, nil, "check", "--no-ttl", in); !strings.Contains(r.stdout, "neg") {
		t.Errorf("check --no-ttl: %s", r.stdout)
	}
	exp := mustRun(t, 0, nil, "export", in).stdout
	imp := filepath.Join(dir, "imp.rdb")
	mustRun(t, 0, strings.NewReader(exp), "import", "-", "-o", imp)
	if got := keys(imp); len(got) != 1 || got[0] != "plain" {
		t.Errorf("import(export) loads %v, want only plain", got)
	}
	mustRun(t, 0, nil, "rewrite", in, "-o", filepath.Join(dir, "v2.rdb"), "--rdb-version", "2")
	if got := keys(filepath.Join(dir, "v2.rdb")); len(got) != 1 || got[0] != "plain" {
		t.Errorf("rewrite --rdb-version 2 loads %v, want only plain", got)
	}
}
