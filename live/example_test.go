package live_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/rdbtool/rdbtool/live"
	"github.com/rdbtool/rdbtool/rdb"
)

// ParseURL reads a server URL; Redact makes one safe to print. Neither
// connects to anything.
func ExampleParseURL() {
	raw := "redis://app:s3cret@127.0.0.1:6380"
	o, err := live.ParseURL(raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Addr, o.Username, live.IsLoopback(o))
	fmt.Println(live.Redact(raw))
	fmt.Println(live.CheckDB(o) == nil)
	// Output:
	// 127.0.0.1:6380 app true
	// redis://app:xxxxx@127.0.0.1:6380
	// true
}

// Snapshot writes a running server's data as an RDB file (compile-only: it
// needs a server). Write to a temporary file and rename it on success: on
// error the output is incomplete.
func ExampleSnapshot() {
	ctx := context.Background()
	o, err := live.ParseURL("redis://localhost:6379")
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.Create("dump.rdb.tmp")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	stats, err := live.Snapshot(ctx, o, out, live.SnapshotOptions{
		Method: live.MethodScan,
		Prune:  []string{"fpg:*"},
	})
	if err != nil {
		log.Fatal(err) // a *live.Error names the server, never the password
	}
	fmt.Println(stats)
}

// Load restores a dump into a server (compile-only: it needs a server).
func ExampleLoad() {
	ctx := context.Background()
	o, err := live.ParseURL("redis://localhost:6379")
	if err != nil {
		log.Fatal(err)
	}
	in, err := os.Open("dump.rdb")
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	stats, err := live.Load(ctx, o, rdb.NewReader(in), live.LoadOptions{Replace: true})
	fmt.Println(stats) // also on error: what was and was not loaded
	if err != nil {
		log.Fatal(err)
	}
}
