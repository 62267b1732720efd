package ingest

import (
	"math"
	"testing"
)

// The ingest decodes text written by other programs; each parser must
// reject what it cannot read with an error, never a panic, and agree with
// its own formatter.

func FuzzParsePyNumbers(f *testing.F) {
	for _, s := range []string{"1", " -5 ", "1_000", "3.0", "1e3", "nan", "-inf", "Infinity", "0x10", "1__0", "+", "", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, ferr := ParsePyFloat(s)
		n, ierr := ParsePyInt(s)
		if ierr == nil {
			// Python's float() takes every string int() takes.
			if ferr != nil {
				t.Fatalf("int(%q) = %d but float() fails: %v", s, n, ferr)
			}
			if math.Abs(float64(n)) < 1<<53 && fl != float64(n) {
				t.Fatalf("float(%q) = %v, int() = %d", s, fl, n)
			}
		}
	})
}

func FuzzPyFloatString(f *testing.F) {
	for _, v := range []float32{0, 1, -1.5, 1e-5, 1e16, 3.4028235e38, 1.17549435e-38, 1.0000001} {
		f.Add(math.Float32bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		v := math.Float32frombits(bits)
		s := PyFloatString(float64(v), 32)
		back, err := ParsePyFloat(s)
		if err != nil {
			t.Fatalf("str(float32 %v) = %q does not parse: %v", v, s, err)
		}
		if math.IsNaN(float64(v)) {
			if !math.IsNaN(back) {
				t.Fatalf("%q: NaN did not round-trip", s)
			}
			return
		}
		if float32(back) != v || math.Signbit(back) != math.Signbit(float64(v)) {
			t.Fatalf("str(float32 %v) = %q reads back as %v", v, s, float32(back))
		}
	})
}

func FuzzParseISOTime(f *testing.F) {
	for _, s := range []string{"2022-08-01T17:20:37.941000", "2023-05-01 12:00:00", "2020-02-30", "2021-01-01T00:00:00+05:30", "2021-13-01", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseISOTime(s)
		if err != nil {
			return
		}
		again, err := ParseISOTime(tm.Format("2006-01-02T15:04:05.000000Z07:00"))
		if err != nil || !again.Equal(tm) {
			t.Fatalf("%q -> %v does not round-trip (%v, %v)", s, tm, again, err)
		}
	})
}

func FuzzJSONIDString(f *testing.F) {
	for _, s := range []string{"[112, 217, 32, 59, 1, 0, 0, 14]", "UNKNOWN", "null", "-1", "[1, 2", `"abc"`, "1.5e300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = JSONIDString(s)
	})
}
