package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/rdbtool/rdbtool/rdb"
)

// refresh --prune 'fpg:*' drops the big FPGA bitfiles without holding them
// (filter.UnseenDropper): the output is the one the pass that reads every
// value writes (--larger-than 1 selects the same keys, but needs each
// value's size, so it reads them), redis-check-rdb accepts it, and the
// pruned value costs far less memory than its size.

// lazyDropDump writes an RDB 10 dump (redis-check-rdb 7.0 reads it) with
// small keys, expiring ones, and fpg: values, one of them big.
func lazyDropDump(t *testing.T, bigSize int) []byte {
	t.Helper()
	const v = 10
	var out bytes.Buffer
	w := rdb.NewWriter(&out, v)
	add := func(db int, key string, val *rdb.Value, expire int64) {
		t.Helper()
		e, err := rdb.NewEntry(db, []byte(key), val, v)
		if err != nil {
			t.Fatal(err)
		}
		e.ExpireMs = expire
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *rdb.Value { return &rdb.Value{Kind: "string", String: []byte(s)} }
	big := make([]byte, bigSize)
	rand.New(rand.NewSource(8)).Read(big)
	const future = 4_000_000_000_000
	for i := 0; i < 200; i++ {
		add(0, fmt.Sprintf("user:%d", i), str(fmt.Sprintf("value %d", i)), -1)
	}
	add(0, "session:1", str("s"), future)
	add(0, "fpg:snap_fengine_2020-07-16_1253.fpg", &rdb.Value{Kind: "string", String: big}, -1)
	add(0, "fpg:snap_fengine_2020-07-09_1253.fpg", &rdb.Value{Kind: "string", String: big[:bigSize/8]}, future)
	add(0, "fpg:list", &rdb.Value{Kind: "list", List: [][]byte{big[:5000], []byte("x")}}, -1)
	add(0, "user:last", &rdb.Value{Kind: "hash", Hash: []rdb.HashField{{Field: []byte("f"), Value: []byte("v"), ExpireMs: -1}}}, -1)
	add(1, "fpg:db1", str(strings.Repeat("bitfile", 1000)), -1)
	add(1, "other", str("o"), -1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// lazyDropRun runs refresh in-process and returns the output, the --json
// report's prune counts and the bytes allocated.
func lazyDropRun(t *testing.T, stdin io.Reader, args ...string) ([]byte, string, uint64) {
	t.Helper()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	r := mustRun(t, 0, stdin, append([]string{"refresh"}, append(args, "--json")...)...)
	runtime.ReadMemStats(&ms1)
	var rep struct {
		Prune struct {
			Removed      int   `json:"removed"`
			RemovedBytes int64 `json:"removed_value_bytes"`
			Spared       int   `json:"spared"`
		} `json:"prune"`
		KeysIn  int64 `json:"keys_in"`
		KeysOut int64 `json:"keys_out"`
		Persist struct {
			Persisted int `json:"persisted"`
			PastKept  int `json:"past_kept"`
		} `json:"persist"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("refresh --json: %v\n%s", err, r.stdout)
	}
	var out []byte
	for i, a := range args {
		if a == "-o" {
			b, err := os.ReadFile(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			out = b
		}
	}
	return out, fmt.Sprintf("prune %+v persist %+v keys %d -> %d", rep.Prune, rep.Persist, rep.KeysIn, rep.KeysOut), ms1.TotalAlloc - ms0.TotalAlloc
}

func TestQAS8RefreshPruneDropsUnseen(t *testing.T) {
	const size = 32 << 20
	dir := t.TempDir()
	data := lazyDropDump(t, size)
	dump := filepath.Join(dir, "site.rdb")
	if err := os.WriteFile(dump, data, 0o644); err != nil {
		t.Fatal(err)
	}
	lazy, eager := filepath.Join(dir, "lazy.rdb"), filepath.Join(dir, "eager.rdb")
	got, rep, alloc := lazyDropRun(t, nil, dump, "-o", lazy, "--prune", "fpg:*")
	want, wrep, walloc := lazyDropRun(t, nil, dump, "-o", eager, "--prune", "fpg:*", "--larger-than", "1")
	t.Logf("allocated %d bytes pruning unseen, %d reading the values; %s", alloc, walloc, rep)
	if !bytes.Equal(got, want) {
		t.Fatalf("refresh --prune wrote %d bytes, the pass reading every value %d", len(got), len(want))
	}
	wantRep := fmt.Sprintf("prune {Removed:4 RemovedBytes:%d Spared:0} persist {Persisted:1 PastKept:0} keys 207 -> 203", lazyDropBytes(t, data))
	if rep != wantRep || rep != wrep {
		t.Fatalf("report %s, the pass reading every value: %s", rep, wrep)
	}
	if alloc > size/2 {
		t.Errorf("refresh --prune allocated %d bytes for a %d-byte pruned value", alloc, size)
	}
	if walloc < size {
		t.Errorf("the pass reading every value allocated only %d bytes: the measure does not see the value", walloc)
	}

	// from stdin too (size unknown: the Reader's background feeder)
	piped := filepath.Join(dir, "piped.rdb")
	got, rep, _ = lazyDropRun(t, bytes.NewReader(data), "-", "-o", piped, "--prune", "fpg:*")
	if !bytes.Equal(got, want) || rep != wrep {
		t.Fatalf("refresh - --prune: %d bytes, %s; want %d bytes, %s", len(got), rep, len(want), wrep)
	}

	// what is left: every key but fpg:*, none with an expiry
	rd := rdb.NewReader(bytes.NewReader(got))
	var keys []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*rdb.Entry); ok {
			if strings.HasPrefix(string(e.Key), "fpg:") || e.HasExpiry() || e.Value == nil {
				t.Fatalf("output holds %q (expiry %d, %d value bytes)", e.Key, e.ExpireMs, len(e.Value))
			}
			keys = append(keys, fmt.Sprintf("db%d %s", e.DB, e.Key))
		}
	}
	if len(keys) != 203 || keys[200] != "db0 session:1" || keys[202] != "db1 other" {
		t.Fatalf("%d keys written: %v", len(keys), keys[min(len(keys), 199):])
	}

	check := redistest.Binary(t, "redis-check-rdb")
	outb, err := exec.Command(check, lazy).CombinedOutput()
	if err != nil || !strings.Contains(string(outb), "RDB looks OK") || !strings.Contains(string(outb), "203 keys read") {
		t.Fatalf("redis-check-rdb %s: %v\n%s", lazy, err, outb)
	}
}

// lazyDropBytes sums the value bytes of the fpg: keys, read whole.
func lazyDropBytes(t *testing.T, data []byte) int64 {
	t.Helper()
	rd := rdb.NewReader(bytes.NewReader(data))
	var n int64
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := rec.(*rdb.Entry); ok && strings.HasPrefix(string(e.Key), "fpg:") {
			n += int64(len(e.Value))
		}
	}
}
