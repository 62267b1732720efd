package ingest

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestQAS8PyNumbersUnicodeDigits: Python's float() and int() read any
// Unicode decimal digit and Unicode whitespace (hera-mc.md §1.3: the port
// copies Python's acceptance). Expected values from python3.11:
// float('١٢') = 12.0, int('𝟏𝟐') = 12, float('٣e٢') = 300.0, int(' ٣.٥ ')
// raises, float('\x1c\xa05') raises.
func TestQAS8PyNumbersUnicodeDigits(t *testing.T) {
	floats := map[string]float64{"١٢": 12, "１２": 12, " ٣.٥ ": 3.5, "\u00a0٤\u3000": 4, "١_٢": 12, "٣e٢": 300, "-١": -1,
		"١٢.٥": 12.5, "𝟏𝟐": 12, "१२३": 123}
	for s, want := range floats {
		if got, err := ParsePyFloat(s); err != nil || got != want {
			t.Errorf("float(%q) = %v, %v; Python gives %v", s, got, err, want)
		}
	}
	ints := map[string]int64{"١٢": 12, "１２": 12, "\u00a0٤\u3000": 4, "١_٢": 12, "-١": -1, "𝟏𝟐": 12, "१२३": 123}
	for s, want := range ints {
		if got, err := ParsePyInt(s); err != nil || got != want {
			t.Errorf("int(%q) = %v, %v; Python gives %v", s, got, err, want)
		}
	}
	for _, s := range []string{" ٣.٥ ", "٣e٢", "١٢.٥", "\x1c\u00a05", "١\u200b٢", "½", "²", "x١"} {
		if got, err := ParsePyInt(s); err == nil {
			t.Errorf("int(%q) = %v, Python raises", s, got)
		}
	}
	for _, s := range []string{"\x1c\u00a05", "½", "²", "١\xff"} {
		if got, err := ParsePyFloat(s); err == nil {
			t.Errorf("float(%q) = %v, Python raises", s, got)
		}
	}
}

// TestQAS8BoolFromIntBig: psu_alert is bool(int(x)) (hera-mc.md §3.7), and
// Python's int has no range: bool(int('99999999999999999999')) is True.
func TestQAS8BoolFromIntBig(t *testing.T) {
	for s, want := range map[string]bool{"99999999999999999999": true, " -1_000_000_000_000_000_000_000 ": true, "-0": false, "00": false} {
		if got, err := BoolFromInt(s); err != nil || got != want {
			t.Errorf("bool(int(%q)) = %v, %v; Python gives %v", s, got, err, want)
		}
	}
	if _, err := BoolFromInt("1e30"); err == nil {
		t.Error("bool(int('1e30')) accepted")
	}
}

// TestQAS8HistogramText: the histogram text (hera-mc.md §3.9: "[" +
// ",".join(str(int)) + "]" of the int64 LE array) of int64ListLE's
// two-digit formatting is strconv's, at every digit count and sign, with
// the scratch buffer reused between records of different lengths.
func TestQAS8HistogramText(t *testing.T) {
	var vals []int64
	for p := int64(1); p > 0 && p <= math.MaxInt64/10; p *= 10 {
		vals = append(vals, p-1, p, p+1, -p, 2*p+7)
	}
	vals = append(vals, 0, 99999999, 100000000, math.MaxInt64, math.MinInt64, -1)
	var scratch []byte
	for n := len(vals); n >= 0; n -= 7 {
		b := make([]byte, 8*n)
		parts := make([]string, n)
		for i, v := range vals[:n] {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
			parts[i] = strconv.FormatInt(v, 10)
		}
		want := "[" + strings.Join(parts, ",") + "]"
		got, err := int64ListLE(string(b), &scratch)
		if err != nil || got != want {
			t.Errorf("%d values: %q, %v; want %q", n, got, err, want)
		}
		if s, _ := int64ListLE(string(b), new([]byte)); s != want {
			t.Errorf("fresh scratch: %q, want %q", s, want)
		}
	}
	if _, err := int64ListLE("1234567", &scratch); err == nil {
		t.Error("7 bytes accepted")
	}
}

// TestQAS8FloorGPSRange: floor(gps) goes to bigint columns; beyond int64 it
// is an error (Go's conversion would give -9223372036854775808), just
// inside it is the value. The autos' JD time the same through GPSFromJD.
func TestQAS8FloorGPSRange(t *testing.T) {
	u := 9.2e18
	if g, err := FloorGPS(u); err != nil || g != int64(u-315964782) { // float64 arithmetic, as astropy's
		t.Errorf("FloorGPS(9.2e18) = %d, %v", g, err)
	}
	for _, u := range []float64{9.3e18, 1e300, math.MaxFloat64} {
		if g, err := FloorGPS(u); err == nil {
			t.Errorf("FloorGPS(%g) = %d, want an error", u, g)
		}
	}
	if _, err := GPSFromJD(1e300); err == nil {
		t.Error("GPSFromJD(1e300) accepted")
	}
	if g, err := GPSFromJD(2461000.5); err != nil || math.Floor(g) != float64((2461000.5-2440587.5)*86400-315964782) {
		t.Errorf("GPSFromJD(2461000.5) = %v, %v", g, err)
	}
}
