package inspect_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rdbtool/rdbtool/inspect"
)

// Read gathers the statistics of a dump in one pass. A fixed Now makes
// "already expired" reproducible; by default it is the time of the call.
func ExampleRead() {
	f, err := os.Open("../testdata/corpus/all.rdb")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	st, err := inspect.Read(f, inspect.Options{
		Top:      3,
		Prefixes: 3,
		Now:      time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("RDB version:", st.Version, "checksum:", st.Checksum.Status)
	fmt.Println("keys:", st.Keys, "with an expiry:", st.Expiring, "expired at Now:", st.Expired)
	for _, d := range st.Databases {
		fmt.Printf("db%d: %d keys\n", d.DB, d.Keys)
	}
	for _, p := range st.Prefixes {
		fmt.Printf("%s: %d keys\n", p.Prefix, p.Keys)
	}
	fmt.Printf("largest: %s (%s)\n", st.Largest.Key, st.Largest.Type)
	// Output:
	// RDB version: 10 checksum: ok
	// keys: 131 with an expiry: 37 expired at Now: 0
	// db0: 127 keys
	// db1: 2 keys
	// db2: 2 keys
	// user: 60 keys
	// session: 30 keys
	// fpg: 12 keys
	// largest: fpg:0010 (string)
}
