package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestServeRestore: RESTORE with a payload from Redis's DUMP (what
// `rdbtool load`, redis-cli --pipe of RESTOREs and migration tools send)
// creates the value it holds, of every type, in the selected database.
// miniredis stored the payload's bytes as a string: `rdbtool load --to`
// a serve URL said "232 keys loaded" and every hash, list, set was a
// string of binary garbage.
func TestServeRestore(t *testing.T) {
	ctx := context.Background()
	var empty bytes.Buffer
	if err := fixture.Save(miniredis.NewMiniRedis(), &empty); err != nil {
		t.Fatal(err)
	}
	emptyDump := filepath.Join(t.TempDir(), "empty.rdb")
	if err := os.WriteFile(emptyDump, empty.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	srcURL, _ := serveURL(t, testDump, "--addr", "127.0.0.1:0", "--expiry", "persist")
	dstURL, _ := serveURL(t, emptyDump, "--addr", "127.0.0.1:0")
	if r := mustRun(t, 0, nil, "load", testDump, "--to", dstURL); r.err != nil {
		t.Fatal(r.err)
	}
	src, dst := serveClient(t, srcURL), serveClient(t, dstURL)
	keys := src.Keys(ctx, "*").Val()
	if got := dst.Keys(ctx, "*").Val(); len(keys) == 0 || !sameStrings(keys, got) {
		t.Fatalf("keys after load: %d, want the %d of the dump", len(got), len(keys))
	}
	types := map[string]int{}
	for _, k := range keys {
		typ := src.Type(ctx, k).Val()
		types[typ]++
		if got := dst.Type(ctx, k).Val(); got != typ {
			t.Fatalf("key %q: %s after load, %s in the dump", k, got, typ)
		}
		var a, b any
		switch typ {
		case "hash":
			a, b = src.HGetAll(ctx, k).Val(), dst.HGetAll(ctx, k).Val()
		case "list":
			a, b = src.LRange(ctx, k, 0, -1).Val(), dst.LRange(ctx, k, 0, -1).Val()
		case "string":
			a, b = src.Get(ctx, k).Val(), dst.Get(ctx, k).Val()
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("key %q (%s) differs after load", k, typ)
		}
	}
	if types["hash"] == 0 || types["list"] == 0 {
		t.Fatalf("the dump has no hash or no list: %v", types)
	}

	// A payload from a real redis-server, with a TTL, in database 2;
	// BUSYKEY without REPLACE.
	native := redistest.Start(t).Client(t)
	native.RPush(ctx, "l", "a", "b", "c")
	payload := native.Dump(ctx, "l").Val()
	addr := serveAddr(dstURL)
	req := func(args ...string) string {
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		for _, a := range args {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
		return b.String()
	}
	want := "+OK\r\n+OK\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n:"
	if got := rawExchange(t, addr, req("SELECT", "2")+req("RESTORE", "serve2:l", "60000", payload)+req("LRANGE", "serve2:l", "0", "-1")+req("PTTL", "serve2:l"), want, 200*time.Millisecond); !strings.HasPrefix(got, want) {
		t.Fatalf("RESTORE of a redis-server list payload in db 2: %q", got)
	}
	want = "-BUSYKEY Target key name already exists.\r\n"
	if got := rawExchange(t, addr, req("RESTORE", "cminfo", "0", payload), want, 200*time.Millisecond); got != want {
		t.Fatalf("RESTORE on an existing key: %q", got)
	}
	want = "+OK\r\n+list\r\n"
	if got := rawExchange(t, addr, req("RESTORE", "cminfo", "0", payload, "REPLACE")+req("TYPE", "cminfo"), want, 200*time.Millisecond); got != want {
		t.Fatalf("RESTORE REPLACE: %q", got)
	}
	// A payload of Redis's format (its checksum right) that does not
	// decode is an error, as on redis-server, not a string of its bytes.
	body := []byte(payload[:len(payload)-8])
	body[0] = 99                                      // no such type
	for crc, i := rdb.CRC64(0, body), 0; i < 8; i++ { // little-endian
		body = append(body, byte(crc>>(8*i)))
	}
	bad := string(body)
	if got := rawExchange(t, addr, req("RESTORE", "serve2:bad", "0", bad)+req("EXISTS", "serve2:bad"), "-ERR Bad data format", 200*time.Millisecond); !strings.HasPrefix(got, "-ERR Bad data format") || !strings.HasSuffix(got, "\r\n:0\r\n") {
		t.Fatalf("RESTORE of a payload that does not decode: %q", got)
	}
}

func sameStrings(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}
