// Command sitegen writes the raw site-shaped Redis dump the ingest tests
// start from: every key the ingest reads, in the site writers' formats, the
// keys the site carries that the ingest ignores (fpg:* bitfiles,
// hashpipe://…/status, status:script:*, keys with TTLs) and a handful of
// deliberately bad records. Rerunnable and deterministic:
//
//	go run ./internal/sitegen -o raw.rdb                 # the small site (testdata)
//	go run ./internal/sitegen -size full -o full.rdb     # the benchmark's site
//	rdbtool refresh ... raw.rdb -> testdata/dump.rdb     # prune fpg:*, drop TTLs
//
// -clean writes what refresh would leave (no fpg:*, no TTLs) directly.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
)

func main() {
	out := flag.String("o", "raw.rdb", "output RDB file")
	size := flag.String("size", "small", "small (6 nodes, 1536-channel autos) or full (30 nodes, 350 antennas, 6144 channels)")
	now := flag.String("now", site.DefaultNow.Format(time.RFC3339), "the site clock (RFC 3339); TTLs expire relative to it")
	clean := flag.Bool("clean", false, "leave out fpg:* keys and TTLs (what rdbtool refresh makes of the raw dump)")
	flag.Parse()
	var o site.Options
	switch *size {
	case "small":
		o = site.Small()
	case "full":
		o = site.Full()
		o.Bad, o.Ignored, o.TTLs = true, true, true
	default:
		fmt.Fprintf(os.Stderr, "sitegen: unknown -size %q (small, full)\n", *size)
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, *now)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sitegen: -now: %v\n", err)
		os.Exit(2)
	}
	o.Now = t
	s := site.Build(o)
	if err := write(*out, s, site.WriteOptions{NoIgnored: *clean, NoTTLs: *clean}); err != nil {
		fmt.Fprintf(os.Stderr, "sitegen: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "sitegen: wrote %s: %d keys, %d bad records\n", *out, len(s.Keys), len(s.Bad))
}

func write(path string, s *site.Site, o site.WriteOptions) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := bufio.NewWriter(f)
	if err := s.WriteRDB(w, o); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Commit()
}
