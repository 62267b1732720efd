package ingest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/ingest"
	"github.com/redis/go-redis/v9"
)

// The conversion helpers reproduce the Python reference's parsing and
// formatting, so the rows match what hera_mc would write.
func ExampleParsePyFloat() {
	for _, s := range []string{" 1_000.5 ", "1e400", "-inf", "12,5"} {
		f, err := ingest.ParsePyFloat(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(ingest.PyFloatString(f, 64))
	}
	// numpy's str(np.float32(0.1)) is "0.1", not 0.10000000149011612
	fmt.Println(ingest.PyFloatString(float64(float32(0.1)), 32))
	// Output:
	// 1000.5
	// inf
	// -inf
	// error: could not convert string to float: "12,5"
	// 0.1
}

// GPSFromUnix converts Unix seconds to GPS seconds with the leap-second
// table, as astropy does.
func ExampleGPSFromUnix() {
	u := float64(time.Date(2020, 7, 16, 12, 0, 0, 0, time.UTC).Unix())
	g, err := ingest.GPSFromUnix(u)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.0f\n", g)
	fmt.Printf("%.0f\n", u-315964782) // the same since 2017
	// daemon_status.jd changes at 12:00 UTC
	fmt.Println(ingest.JDDay(time.Date(2020, 7, 16, 11, 59, 59, 0, time.UTC)))
	fmt.Println(ingest.JDDay(time.Date(2020, 7, 16, 12, 0, 0, 0, time.UTC)))
	// Output:
	// 1278936018
	// 1278936018
	// 2459046
	// 2459047
}

// Run does one ingest pass from Redis into the hera_mc tables
// (compile-only: it needs Redis and a migrated PostgreSQL database).
func ExampleRun() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	pool, err := pgxpool.New(ctx, "postgres://mc@localhost/hera_mc")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	rep, err := ingest.Run(ctx, rdb, pool, ingest.Options{Only: []string{"correlator"}})
	if rep != nil {
		rep.WriteText(os.Stderr) // there when the pass ran, even with failed groups
	}
	if err != nil {
		log.Fatal(err) // the failed groups' errors, joined
	}
	fmt.Println(rep.Total(), "rows,", len(rep.Skipped), "skipped")
}
