// Command corpusgen regenerates the RDB test corpus in testdata/corpus.
//
//	go run ./internal/corpusgen -out testdata/corpus
//
// Most files are written by a real redis-server (7.0, RDB 10): the generator
// starts one server per file with the settings the file needs, fills it with
// commands, SAVEs and copies the dump. The rest, for what Redis 7.0 cannot
// write (RDB 11 and 12 types, module values, slot info), are assembled byte
// by byte by package internal/corpusgen/handmade. README.md in the output
// directory describes every file.
//
// Generated content is deterministic (fixed seeds and stream IDs); aux fields
// (ctime, used-mem), LRU/LFU clocks, stream delivery times and relative TTLs
// vary between runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/corpusgen/handmade"
	"github.com/rdbtool/rdbtool/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// spec describes one Redis-written corpus file.
type spec struct {
	name string
	args []string // extra redis-server arguments
	fill func(g *filler) error
}

var specs = []spec{
	{name: "strings.rdb", fill: fillStrings},
	{name: "lists.rdb", fill: fillLists},
	{name: "sets.rdb", fill: fillSets},
	{name: "zsets.rdb", fill: fillZSets},
	{name: "hashes.rdb", fill: fillHashes},
	{name: "streams.rdb", args: []string{"--stream-node-max-entries", "5"}, fill: fillStreams},
	{name: "misc.rdb", fill: fillMisc},
	{name: "multidb_expiry.rdb", fill: fillMultiDBExpiry},
	{name: "lru.rdb", args: []string{"--maxmemory-policy", "allkeys-lru"}, fill: fillLRU},
	{name: "lfu.rdb", args: []string{"--maxmemory-policy", "allkeys-lfu"}, fill: fillLFU},
	{name: "nocrc_nocompress.rdb", args: []string{"--rdbchecksum", "no", "--rdbcompression", "no"}, fill: fillNoCRC},
	{name: "all.rdb", fill: fillAll},
}

func main() {
	out := flag.String("out", "testdata/corpus", "output directory")
	only := flag.String("only", "", "comma-separated file names to regenerate (default: all)")
	flag.Parse()
	if err := run(*out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
}

func run(out, only string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	for _, sp := range specs {
		if len(want) > 0 && !want[sp.name] {
			continue
		}
		start := time.Now()
		if err := generate(out, sp); err != nil {
			return fmt.Errorf("%s: %w", sp.name, err)
		}
		st, _ := os.Stat(filepath.Join(out, sp.name))
		fmt.Printf("%-24s %8d bytes  %v\n", sp.name, st.Size(), time.Since(start).Round(time.Millisecond))
	}
	for _, f := range handmade.Files() {
		if len(want) > 0 && !want[f.Name] {
			continue
		}
		if err := writeFile(filepath.Join(out, f.Name), f.Data); err != nil {
			return err
		}
		fmt.Printf("%-24s %8d bytes  (hand-built)\n", f.Name, len(f.Data))
	}
	return nil
}

func generate(out string, sp spec) error {
	dir, err := os.MkdirTemp("", "corpusgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := redistest.Launch(dir, redistest.WithArgs(sp.args...))
	if err != nil {
		return err
	}
	defer s.Stop()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2, PoolSize: 1})
	defer c.Close()
	g := &filler{ctx: context.Background(), c: c, seed: uint64(len(sp.name))}
	if err := sp.fill(g); err != nil {
		return fmt.Errorf("%w\nserver log:\n%s", err, s.Log())
	}
	if err := c.Do(g.ctx, "SAVE").Err(); err != nil {
		return fmt.Errorf("SAVE: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, redistest.DumpName))
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(out, sp.name), data)
}

// writeFile writes through a temp file and a rename so a failed run never
// leaves a half-written corpus file.
func writeFile(path string, data []byte) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}
