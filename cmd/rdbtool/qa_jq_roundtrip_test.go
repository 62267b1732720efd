package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rdbtool/rdbtool/internal/redistest"
)

// jqLike passes JSON lines through what jq 1.6 does to them: every
// number becomes a float64 and is printed again; strings and objects
// are rewritten (Go's escaping, not the exporter's).
func jqLike(t *testing.T, lines string) string {
	t.Helper()
	var out strings.Builder
	sc := bufio.NewScanner(strings.NewReader(lines))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var v any // numbers as float64, as jq holds them
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("export line is not JSON: %v\n%s", err, sc.Text())
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.String()
}

// tricky fills a server with the values a text round trip can get
// wrong: integer-looking strings past 2^53 and 2^64, scores such as 0.1,
// 1e300, -0, ±inf and the smallest subnormal, stream IDs past 2^53,
// binary keys and values, expiries, LFU counters.
func tricky(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	cmds := [][]any{
		{"SET", "int:2^53+1", "9007199254740993"},
		{"SET", "int:min", "-9223372036854775808"},
		{"SET", "int:2^64", "18446744073709551616"},
		{"SET", "int:small", "12"},
		{"SET", "int:lead0", "007"},
		{"SET", "int:neg0", "-0"},
		{"SET", "float:0.1", "0.1"},
		{"SET", "empty", ""},
		{"SET", "", "empty key"},
		{"SET", "bin:\xff\x00\n\"k", "\x00\x01\xfe\xff<&>\u2028"},
		{"SET", "exp", "x", "PXAT", "4102444800123"},
		{"RPUSH", "list", "1", "9007199254740993", "-0", "0.1", "\xff"},
		{"SADD", "set:int", "1", "9007199254740993", "-9223372036854775808"},
		{"SADD", "set:str", "99999999999999999999", "a", "\xfe"},
		{"ZADD", "z", "0.1", "a", "1e300", "b", "-0", "c", "inf", "d", "-inf", "e",
			"5e-324", "f", "1.7976931348623157e308", "g", "9007199254740993", "h", "0.30000000000000004", "i", "-1e-300", "j"},
		{"ZADD", "z:geo", "3471579339700058", "palermo"},
		{"HSET", "hash", "n", "12345678901234567890", "f", "0.1", "\xff", "\x00"},
		{"XADD", "stream:big", "18446744073709551614-18446744073709551615", "f", "v"},
		{"XADD", "stream", "9007199254740993-1", "a", "1"},
		{"XADD", "stream", "9007199254740993-2", "b", "2"},
		{"XADD", "stream", "9007199254740994-0", "c", "3"},
		{"XDEL", "stream", "9007199254740993-2"},
		{"XGROUP", "CREATE", "stream", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">"},
		{"XGROUP", "CREATECONSUMER", "stream", "g", "bob"},
		{"PEXPIREAT", "hash", "4102444800999"},
	}
	for _, cmd := range cmds {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	for i := 0; i < 300; i++ { // a big hash (hashtable) and a big list (several nodes)
		c.HSet(ctx, "hash:big", "field:"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strconv.Itoa(i), strconv.Itoa(i*7919))
		c.RPush(ctx, "list:big", strconv.Itoa(i*104729))
	}
	for i := 0; i < 5; i++ { // LFU counters above the initial 5
		c.Get(ctx, "int:small")
	}
}

// TestQAJQRoundTrip: export | jq | import gives back the same data, as a
// real redis-server 7.0 sees it (DEBUG DIGEST after loading each file),
// and the same export line for line, LFU counters included; with the
// real jq too when it is installed.
func TestQAJQRoundTrip(t *testing.T) {
	s := redistest.Start(t, redistest.WithArgs("--maxmemory-policy", "allkeys-lfu"))
	c := s.Client(t)
	ctx := context.Background()
	tricky(t, c)
	want := s.Digest(t)
	dump, err := os.ReadFile(s.Save(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.rdb")
	if err := os.WriteFile(orig, dump, 0o644); err != nil {
		t.Fatal(err)
	}
	exported := mustRun(t, 0, nil, "export", orig).stdout
	if !strings.Contains(exported, `"freq":`) {
		t.Fatalf("no LFU counters in the export:\n%s", exported)
	}
	filters := map[string]string{"float64": jqLike(t, exported)}
	if jq, err := exec.LookPath("jq"); err == nil {
		cmd := exec.Command(jq, "-c", ".")
		cmd.Stdin = strings.NewReader(exported)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("jq: %v", err)
		}
		filters["jq"] = string(out)
	}
	for name, text := range filters {
		out := filepath.Join(dir, name+".rdb")
		mustRun(t, 0, strings.NewReader(text), "import", "-", "-o", out)
		if got := mustRun(t, 0, nil, "export", out).stdout; got != exported {
			t.Errorf("%s: export | %s | import | export differs:\n%s\nwant:\n%s", name, name, got, exported)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.Dir, redistest.DumpName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
			t.Fatalf("%s: redis-server refused the imported file: %v", name, err)
		}
		if got := s.Digest(t); got != want {
			t.Errorf("%s: DEBUG DIGEST %s after the round trip, %s before", name, got, want)
		}
		if got, _ := c.Do(ctx, "OBJECT", "FREQ", "int:small").Int(); got <= 5 {
			t.Errorf("%s: OBJECT FREQ int:small %d after the round trip, want the counter kept (> 5)", name, got)
		}
	}
	// and what the file holds is what Redis says
	if got, _ := c.ZScore(ctx, "z", "a").Result(); got != 0.1 {
		t.Errorf("ZSCORE z a = %v", got)
	}
	if got, _ := c.XRange(ctx, "stream", "-", "+").Result(); len(got) != 2 || got[1].ID != "9007199254740994-0" {
		t.Errorf("XRANGE stream = %v", got)
	}
	if got, _ := c.Get(ctx, "int:2^53+1").Result(); got != "9007199254740993" {
		t.Errorf("GET int:2^53+1 = %q", got)
	}
	if got, _ := c.PExpireTime(ctx, "exp").Result(); got.Milliseconds() != 4102444800123 {
		t.Errorf("PEXPIRETIME exp = %v", got)
	}
	if !bytes.Contains([]byte(exported), []byte(`"id":"18446744073709551614-18446744073709551615"`)) {
		t.Errorf("stream IDs are not strings in the export")
	}
}

// TestQAJQRoundTripCorpus: every corpus file (hash field expiries, module
// values and aux data, Valkey, old encodings, LRU idle times) survives
// export | (float64 JSON tool) | import: the export of the result is the
// export of the file, line for line.
func TestQAJQRoundTripCorpus(t *testing.T) {
	dir := t.TempDir()
	for _, f := range corpusFiles(t) {
		exported := mustRun(t, 0, nil, "export", f).stdout
		out := filepath.Join(dir, filepath.Base(f))
		if r := run(t, strings.NewReader(jqLike(t, exported)), "import", "-", "-o", out); r.code != 0 {
			t.Errorf("%s: import: %v", f, r.err)
			continue
		}
		if got := mustRun(t, 0, nil, "export", out).stdout; got != exported {
			t.Errorf("%s: export | float64 | import | export differs:\n%.3000s\nwant:\n%.3000s", f, got, exported)
		}
	}
}

// TestQAJQExportReadable: export writes <, > and & as they are, as jq
// does: HTML values and Lua code (if n > 0) read and edit as text, not
// as \u003cdiv\u003e, and jq -c . leaves such lines unchanged.
func TestQAJQExportReadable(t *testing.T) {
	in := `{"function":"#!lua name=lib\nredis.register_function('f', function(keys, args) if #args > 0 and args[1] < 'b' then return 1 end return 0 end)"}` + "\n" +
		`{"db":0,"key":"page:<home>&","type":"string","expire_ms":-1,"value":"<div class=\"a\">&amp;</div>"}` + "\n"
	out := filepath.Join(t.TempDir(), "x.rdb")
	mustRun(t, 0, strings.NewReader(in), "import", "-", "-o", out, "--rdb-version", "10")
	got := mustRun(t, 0, nil, "export", out).stdout
	if want := `{"rdb_version":10,"magic":"REDIS"}` + "\n" + in; got != want {
		t.Fatalf("export:\n%s\nwant:\n%s", got, want)
	}
}
