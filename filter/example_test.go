package filter_test

import (
	"fmt"

	"github.com/rdbtool/rdbtool/filter"
)

// Match follows Redis's KEYS/SCAN MATCH rules, byte for byte.
func ExampleMatchString() {
	fmt.Println(filter.MatchString("fpg:*", "fpg:snap_10.fpg"))
	fmt.Println(filter.MatchString("user:[0-9]?", "user:42"))
	fmt.Println(filter.MatchString("user:[^0-9]*", "user:42"))
	fmt.Println(filter.MatchString(`a\*`, "a*"))
	// Output:
	// true
	// true
	// false
	// true
}

// Globs matches when any pattern matches; an empty Globs matches every key.
func ExampleNewGlobs() {
	gs := filter.NewGlobs([]string{"fpg:*", "session:*"})
	for _, k := range []string{"fpg:1", "session:a", "user:1"} {
		fmt.Println(k, gs.Match([]byte(k)))
	}
	fmt.Println("empty:", filter.NewGlobs(nil).Match([]byte("anything")))
	// Output:
	// fpg:1 true
	// session:a true
	// user:1 false
	// empty: true
}

// ParseSize takes decimal (KB, MB) and binary (KiB, MiB) units; FormatSize
// prints binary units.
func ExampleParseSize() {
	for _, s := range []string{"1048576", "4 MB", "512KiB", "1.5GiB", "ten"} {
		n, err := filter.ParseSize(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(s, "=", n, "=", filter.FormatSize(n))
	}
	// Output:
	// 1048576 = 1048576 = 1.0 MiB
	// 4 MB = 4000000 = 3.8 MiB
	// 512KiB = 524288 = 512.0 KiB
	// 1.5GiB = 1610612736 = 1.5 GiB
	// error: invalid size "ten": use bytes or a number with a unit like 512KiB, 4MB, 1.5GiB
}

// NaturalLess sorts digit runs by their value, so snapshots sort by number.
func ExampleNaturalLess() {
	fmt.Println(filter.NaturalLess([]byte("snap_9"), []byte("snap_10")))
	fmt.Println(filter.NaturalLess([]byte("a1"), []byte("a01")))
	// Output:
	// true
	// true
}

// A policy file is YAML; unknown fields are errors.
func ExampleParsePolicy() {
	p, err := filter.ParsePolicy([]byte("prune: [\"fpg:*\"]\nmax-value-size: 1MiB\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Prune, int64(p.MaxValueSize), p.HasRules())
	_, err = filter.ParsePolicy([]byte("no-tll: true\n"))
	fmt.Println(err)
	// Output:
	// [fpg:*] 1048576 true
	// line 1: unknown field "no-tll" (the fields are prune, prune-larger-than, drop-expired, no-ttl, max-value-size, max-file-size, forbid, require)
}
