package filter

import (
	"sort"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1048576": 1048576, "512KiB": 512 << 10, "4MB": 4e6, "4 mb": 4e6, "1.5GiB": 3 << 29,
		"10B": 10, "2k": 2000, "1kib": 1024, "3MiB": 3 << 20, "1TB": 1e12, " 7 ": 7, "0.5KiB": 512,
	}
	for s, want := range good {
		got, err := ParseSize(s)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "MB", "-1", "4XB", "1.2.3MB", "1e3", "99999999999TB", "abc"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) succeeded", s)
		}
	}
	if FormatSize(1536) != "1.5 KiB" || FormatSize(12) != "12 B" || FormatSize(4<<20) != "4.0 MiB" {
		t.Error("FormatSize")
	}
}

func TestNaturalSort(t *testing.T) {
	names := []string{
		"fpg:snap_fengine_2020-07-16_1253.fpg",
		"fpg:snap_fengine_2019-12-01_0900.fpg",
		"fpg:snap_fengine_2020-07-09_1253.fpg",
		"snap_10", "snap_9", "snap_09", "snap_1", "snap", "snap_a",
	}
	sort.Slice(names, func(i, j int) bool { return NaturalLess([]byte(names[i]), []byte(names[j])) })
	want := []string{
		"fpg:snap_fengine_2019-12-01_0900.fpg",
		"fpg:snap_fengine_2020-07-09_1253.fpg",
		"fpg:snap_fengine_2020-07-16_1253.fpg",
		"snap", "snap_1", "snap_9", "snap_09", "snap_10", "snap_a",
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("order %q, want %q", names, want)
		}
	}
	if NaturalCompare([]byte("x12"), []byte("x12")) != 0 || NaturalCompare([]byte("x"), []byte("x0")) != -1 {
		t.Fatal("compare")
	}
}

// FuzzNatural checks that NaturalCompare is antisymmetric and only equal
// for equal strings (a total order).
func FuzzNatural(f *testing.F) {
	f.Add("a01", "a1")
	f.Add("snap_9", "snap_10")
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := NaturalCompare([]byte(a), []byte(b)), NaturalCompare([]byte(b), []byte(a))
		if x != -y {
			t.Fatalf("compare(%q,%q)=%d but reverse %d", a, b, x, y)
		}
		if (x == 0) != (a == b) {
			t.Fatalf("compare(%q,%q)=%d", a, b, x)
		}
	})
}
