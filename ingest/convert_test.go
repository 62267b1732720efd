package ingest

import (
	"encoding/binary"
	"math"
	"math/rand"
	"slices"
	"testing"
	"time"
)

// The examples are the reference's own (shared/docs/hera-mc.md §1, §3).

func TestGPSPost2017IsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		u := 1483228800 + math.Round(r.Float64()*3e8*1000)/1000
		g, err := GPSFromUnix(u)
		if err != nil || math.Float64bits(g) != math.Float64bits(u-315964782.0) {
			t.Fatalf("GPSFromUnix(%v) = %v, want %v", u, g, u-315964782.0)
		}
	}
	tt := time.Date(2023, 5, 1, 12, 0, 0, 123456000, time.UTC)
	if g, _ := GPSFromUnix(timeUnix(tt)); g != 1366977618.123456 {
		t.Errorf("2023-05-01T12:00:00.123456 -> %v, want 1366977618.123456", g)
	}
}

func TestGPSLeapSecondBoundaries(t *testing.T) {
	// effective date (unix at 00:00:00 UTC) -> GPS seconds at that instant (§1.1 table)
	table := [][2]int64{
		{362793600, 46828801}, {394329600, 78364802}, {425865600, 109900803}, {489024000, 173059204},
		{567993600, 252028805}, {631152000, 315187206}, {662688000, 346723207}, {709948800, 393984008},
		{741484800, 425520009}, {773020800, 457056010}, {820454400, 504489611}, {867715200, 551750412},
		{915148800, 599184013}, {1136073600, 820108814}, {1230768000, 914803215}, {1341100800, 1025136016},
		{1435708800, 1119744017}, {1483228800, 1167264018},
	}
	for _, row := range table {
		if g, err := FloorGPS(float64(row[0])); err != nil || g != row[1] {
			t.Errorf("FloorGPS(%d) = %d, %v; want %d", row[0], g, err, row[1])
		}
		if g, _ := FloorGPSTime(time.Unix(row[0], 0)); g != row[1] {
			t.Errorf("FloorGPSTime(%d) = %d, want %d", row[0], g, row[1])
		}
		// The second before the leap second was inserted is two GPS seconds earlier.
		if g, _ := FloorGPS(float64(row[0] - 1)); g != row[1]-2 {
			t.Errorf("FloorGPS(%d) = %d, want %d", row[0]-1, g, row[1]-2)
		}
		if g, _ := FloorGPSTime(time.Unix(row[0]-1, 0)); g != row[1]-2 {
			t.Errorf("FloorGPSTime(%d) = %d, want %d", row[0]-1, g, row[1]-2)
		}
	}
	// astropy stretches the day of a leap second (§1.1).
	if g, _ := GPSFromUnix(1483228799); g != 1167264016.9999884 {
		t.Errorf("GPSFromUnix(1483228799) = %v, want 1167264016.9999884", g)
	}
	if g, _ := GPSFromUnix(0 + gpsEpochUnix); g != 0 {
		t.Errorf("GPS epoch -> %v", g)
	}
	// node_control's missing-timestamp default: unix -99 -> -315964910.
	if g, _ := FloorGPS(-99); g != -315964910 {
		t.Errorf("FloorGPS(-99) = %d, want -315964910", g)
	}
	if _, err := FloorGPS(-1e10); err == nil {
		t.Error("a time before the table gave no error")
	}
	if _, err := GPSFromUnix(math.NaN()); err == nil {
		t.Error("NaN gave no error")
	}
}

func TestJD(t *testing.T) {
	jd := 2460999.25
	g, _ := GPSFromJD(jd)
	if g != (jd-2440587.5)*86400-315964782 {
		t.Errorf("GPSFromJD = %v", g)
	}
	// daemon_status.jd rolls over at 12:00 UTC.
	if d := JDDay(time.Date(2026, 11, 20, 11, 59, 59, 0, time.UTC)); d != 2461364 {
		t.Errorf("JDDay before noon = %d", d)
	}
	if d := JDDay(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)); d != 2461365 {
		t.Errorf("JDDay at noon = %d", d)
	}
}

func TestFengSyncArithmetic(t *testing.T) {
	for _, v := range []string{"1700000000000", "1699999999123", "1499999999999"} {
		g, err := fengSyncGPS(v)
		ms, _ := ParsePyFloat(v)
		want := ms*1e-3 - 315964782
		if err != nil || math.Float64bits(g) != math.Float64bits(want) {
			t.Errorf("%s: %v, want %v", v, g, want)
		}
		// a divide by 1000 is not the same float for every value; the
		// reference multiplies.
	}
	if _, err := fengSyncGPS("None"); err == nil {
		t.Error("None parsed")
	}
}

func TestUTCFromTimestamp(t *testing.T) {
	tt, _ := UTCFromTimestamp(1700000000.9999996)
	if tt.Unix() != 1700000001 || tt.Nanosecond() != 0 {
		t.Errorf("rounding carry: %v", tt)
	}
	tt, _ = UTCFromTimestamp(1700000000.25)
	if tt.Nanosecond() != 250000000 {
		t.Errorf("%v", tt)
	}
}

func TestParseISOTime(t *testing.T) {
	cases := map[string]time.Time{
		"2022-08-01T17:20:37.941000":       time.Date(2022, 8, 1, 17, 20, 37, 941000000, time.UTC),
		"2022-08-01 17:20:37":              time.Date(2022, 8, 1, 17, 20, 37, 0, time.UTC),
		"2022-08-01T17:20:37+02:00":        time.Date(2022, 8, 1, 15, 20, 37, 0, time.UTC),
		"2022-08-01T17:20:37Z":             time.Date(2022, 8, 1, 17, 20, 37, 0, time.UTC),
		"2022-08-01":                       time.Date(2022, 8, 1, 0, 0, 0, 0, time.UTC),
		"2023-05-01T12:00:00.123456789":    time.Date(2023, 5, 1, 12, 0, 0, 123456000, time.UTC),
		"2019-11-21T10:00:00.5-0130":       time.Date(2019, 11, 21, 11, 30, 0, 500000000, time.UTC),
		" 2022-08-01T17:20:37.941000 \n":   time.Date(2022, 8, 1, 17, 20, 37, 941000000, time.UTC),
		"2020-02-29T00:00:00":              time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC),
		"2016-12-31T23:59:59.999999":       time.Date(2016, 12, 31, 23, 59, 59, 999999000, time.UTC),
		"2017-01-01T00:00:00.000001+00:00": time.Date(2017, 1, 1, 0, 0, 0, 1000, time.UTC),
		"0001-01-01T00:00:00-01:00":        time.Date(1, 1, 1, 1, 0, 0, 0, time.UTC),
		"9999-12-31T23:00:00+01:00":        time.Date(9999, 12, 31, 22, 0, 0, 0, time.UTC),
	}
	for s, want := range cases {
		got, err := ParseISOTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseISOTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	// Python's datetime holds years 1-9999, also after the UTC offset.
	for _, s := range []string{"Not found", "", "None", "2022-02-30T00:00:00", "yesterday", "2022-13-01", "1700000000",
		"0000-01-01", "0000-1-1+01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00"} {
		if _, err := ParseISOTime(s); err == nil {
			t.Errorf("ParseISOTime(%q) accepted", s)
		}
	}
	// Datetimes and ISO strings are not stretched on a leap-second day
	// (astropy reads them through erfa.dtf2d); only unix and jd inputs are.
	g, _ := FloorGPSTime(time.Date(2016, 12, 31, 23, 59, 59, 999999000, time.UTC))
	if g != 1167264016 {
		t.Errorf("leap-second day floor = %d, want 1167264016 (astropy 5.2.1)", g)
	}
}

// TestClockLeapSecondDay: the pass's clock is Time.now(), a datetime, so
// on a day ending in a leap second its unfloored GPS time (event times,
// correlator_file_eod) is not stretched either, and floors to the time the
// other tables get.
func TestClockLeapSecondDay(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want float64
	}{
		{time.Date(2016, 12, 31, 23, 59, 59, 500000000, time.UTC), 1167264016.5},
		{time.Date(2016, 12, 31, 12, 0, 0, 250000000, time.UTC), 1167220817.25},
		{time.Date(2026, 11, 20, 12, 0, 0, 750000000, time.UTC), float64(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Unix()-315964782) + 0.75},
	} {
		p := &pass{}
		if err := p.setClock(Options{Now: func() time.Time { return c.at }, Hostname: "h"}); err != nil {
			t.Fatal(err)
		}
		if p.nowGPSF != c.want || int64(math.Floor(p.nowGPSF)) != p.nowGPS {
			t.Errorf("clock %v: gps %.6f (floor %d), want %.6f (floor %d)", c.at, p.nowGPSF, p.nowGPS, c.want, int64(math.Floor(c.want)))
		}
	}
}

func TestPythonNumbers(t *testing.T) {
	floats := map[string]float64{"nan": math.NaN(), "inf": math.Inf(1), "-Infinity": math.Inf(-1), " 1e3 ": 1000,
		"1_0": 10, "1.": 1, ".5": 0.5, "+2.5": 2.5, "1e400": math.Inf(1), "\t-0.0\n": math.Copysign(0, -1)}
	for s, want := range floats {
		got, err := ParsePyFloat(s)
		if err != nil || !(got == want || math.IsNaN(got) && math.IsNaN(want)) || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("float(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"None", "null", "", "1__0", "_1", "1_", "0x10", "1e", "1,5", "infinite", "True"} {
		if _, err := ParsePyFloat(s); err == nil {
			t.Errorf("float(%q) accepted", s)
		}
	}
	ints := map[string]int64{"+5": 5, " 5 ": 5, "1_000": 1000, "-7": -7, "007": 7}
	for s, want := range ints {
		if got, err := ParsePyInt(s); err != nil || got != want {
			t.Errorf("int(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"5.0", "3.0", "None", "", "1e3", "99999999999999999999", "0x5"} {
		if _, err := ParsePyInt(s); err == nil {
			t.Errorf("int(%q) accepted", s)
		}
	}
	if _, err := ParsePyInt32("2147483648"); err == nil {
		t.Error("int4 overflow accepted")
	}
}

func TestBooleans(t *testing.T) {
	if !BoolIsTrue("True") || BoolIsTrue("true") || BoolIsTrue("null") || BoolIsTrue("1") {
		t.Error("== 'True'")
	}
	if !BoolIsOne("1") || BoolIsOne("True") || BoolIsOne(" 1") {
		t.Error("== '1'")
	}
	if b, err := BoolFromInt("0"); err != nil || b {
		t.Error("bool(int('0'))")
	}
	if b, err := BoolFromInt(" 2 "); err != nil || !b {
		t.Error("bool(int('2'))")
	}
	if _, err := BoolFromInt("None"); err == nil {
		t.Error("bool(int('None')) accepted")
	}
	// Python's bool(str) is true for '0' (quirk 5): the reason the WR flags
	// use BoolMeaning instead.
	if !PyBool("0") || !PyBool("False") || PyBool("") {
		t.Error("bool(str)")
	}
	if b, err := BoolMeaning("0"); err != nil || b {
		t.Error("BoolMeaning('0')")
	}
	if b, err := BoolMeaning("True"); err != nil || !b {
		t.Error("BoolMeaning('True')")
	}
	if _, err := BoolMeaning("maybe"); err == nil {
		t.Error("BoolMeaning('maybe') accepted")
	}
}

func TestNumpyFloat32Str(t *testing.T) {
	cases := map[float32]string{
		1: "1.0", 56.921875: "56.921875", 0.1: "0.1", 0.00015: "0.00015", 123456789: "123456790.0",
		1e-05: "1e-05", 1e16: "1e+16", 0: "0.0", 1e-4: "1e-04", 1.5e-7: "1.5e-07", 3.4028235e38: "3.4028235e+38",
		-2.5: "-2.5", 1e15: "1e+15", 100: "100.0", 0.0001001: "0.0001001", 9999999: "9999999.0",
	}
	// 1e15 is below 1e16 but float32(1e15) = 999999986991104: positional.
	cases[1e15] = "1000000000000000.0"
	for f, want := range cases {
		if got := PyFloatString(float64(f), 32); got != want {
			t.Errorf("str(np.float32(%v)) = %q, want %q", f, got, want)
		}
	}
	if PyFloatString(math.NaN(), 32) != "nan" || PyFloatString(math.Inf(1), 32) != "inf" ||
		PyFloatString(math.Inf(-1), 32) != "-inf" || PyFloatString(math.Copysign(0, -1), 32) != "-0.0" {
		t.Error("special values")
	}
	// Python's repr(float) follows the same layout with float64 digits.
	if PyFloatString(0.1, 64) != "0.1" || PyFloatString(1e16, 64) != "1e+16" || PyFloatString(2207786215621, 64) != "2207786215621.0" {
		t.Error("repr(float)")
	}
	in := []float64{56.921875, 0.1, 1e-05, 123456789}
	c := make([]float32, len(in))
	for i, x := range in {
		c[i] = float32(x)
	}
	if s := Float32ListString(c); s != "[56.921875,0.1,1e-05,123456790.0]" {
		t.Errorf("eq_coeffs = %s", s)
	}
	if s := Int64ListString([]int64{0, 5, 1234567890123}); s != "[0,5,1234567890123]" {
		t.Errorf("histogram = %s", s)
	}
}

func TestMedianFloat32(t *testing.T) {
	m := MedianFloat32([]float32{1.0000001, 2.0000002, 3.3, 1e8 + 3})
	if float64(m) != 2.6500000953674316 {
		t.Errorf("median = %v, want 2.6500000953674316", float64(m))
	}
	if m := MedianFloat32([]float32{3, 1, 2}); m != 2 {
		t.Errorf("odd median = %v", m)
	}
	if m := MedianFloat32(nil); !math.IsNaN(float64(m)) {
		t.Error("empty median is not NaN")
	}
	if m := MedianFloat32([]float32{1, float32(math.NaN()), 3}); !math.IsNaN(float64(m)) {
		t.Error("median with NaN is not NaN")
	}
	// float32 overflow of a+b, as numpy computes it.
	if m := MedianFloat32([]float32{3e38, 3e38}); !math.IsInf(float64(m), 1) {
		t.Errorf("float32 sum overflow: %v", m)
	}
}

func TestArrays(t *testing.T) {
	if _, err := Float32sLE(make([]byte, 6)); err == nil {
		t.Error("6 bytes as float32")
	}
	if _, err := Float64sLE([]byte("null")); err == nil {
		t.Error("'null' as float64")
	}
	v, err := Int64sLE([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if err != nil || v[0] != 1 || v[1] != -1 {
		t.Errorf("int64 LE = %v %v", v, err)
	}
}

// TestJSONID: json.loads, then hera_mc's _pam_fem_id_to_string (hera-mc.md
// §3.9), which applies its empty/none/null (any case) check to str() of the
// parsed scalar, so a JSON string such as "NULL" is NULL too, and a JSON
// string that itself holds a JSON list is joined with ':' like a list.
func TestJSONID(t *testing.T) {
	cases := map[string]any{
		"[112, 217, 32, 59, 1, 0, 0, 14]": "112:217:32:59:1:0:0:14",
		"5":                               "5",
		"1.5":                             "1.5",
		`"abc"`:                           "abc",
		`["a", 1, 2.0, true, null]`:       "a:1:2.0:True:None",
		"null":                            nil,
		"NULL":                            nil,
		"":                                nil,
		"none":                            nil,
		`"NULL"`:                          nil,
		`"none"`:                          nil,
		`"None"`:                          nil,
		`""`:                              nil,
		`"[1, 2]"`:                        "1:2",
		`"x"`:                             "x",
		`[]`:                              "", // a list is joined without the check, as in hera_mc
	}
	for in, want := range cases {
		got, err := JSONIDString(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if (got == nil) != (want == nil) || got != nil && *got != want {
			t.Errorf("id(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"UNKNOWN", "[1, 2", "1 2", "1]"} { // json.loads refuses extra data
		if _, err := JSONIDString(in); err == nil {
			t.Errorf("id(%q) accepted", in)
		}
	}
}

func TestNames(t *testing.T) {
	// Quirk 4: real prefix strips.
	if p := versionPackage("version:node_control:hera_node_receiver.py"); p != "node_control:hera_node_receiver.py" {
		t.Errorf("package %q", p)
	}
	if h := snapHost("status:snap:snap-spare"); h != "snap-spare" {
		t.Errorf("host %q", h)
	}
	if h, ok := scriptKeyHost("status:script:hera-mc:/home/mc/mc_monitor_daemons.py", "mc_monitor_daemons.py"); !ok || h != "hera-mc" {
		t.Errorf("script host %q %v", h, ok)
	}
	if _, ok := scriptKeyHost("status:script:mc_monitor_daemons.py", "mc_monitor_daemons.py"); ok {
		t.Error("key without a host matched")
	}
}

// sortedMedian is the median by a plainly different algorithm: sort, then
// take the middle (NaN handled by the caller).
func sortedMedian(v []float32) float32 {
	s := append([]float32(nil), v...)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	sum := float32(s[n/2-1] + s[n/2])
	return float32(sum / 2)
}

func TestMedianMatchesSort(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32}
	for trial := 0; trial < 3000; trial++ {
		n := 1 + r.Intn(60)
		if trial%100 == 0 {
			n = 6144 + r.Intn(2) // full-size spectra, both parities
		}
		v := make([]float32, n)
		for i := range v {
			switch r.Intn(5) {
			case 0:
				v[i] = float32(r.Intn(5)) // duplicates
			case 1:
				v[i] = special[r.Intn(len(special))]
			default:
				v[i] = float32(r.NormFloat64() * 1e3)
			}
		}
		want := sortedMedian(v)
		orig := append([]float32(nil), v...)
		if got := MedianFloat32(v); got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
			t.Fatalf("median(%v) = %v, want %v", orig, got, want)
		}
		if !slices.Equal(v, orig) {
			t.Fatal("MedianFloat32 changed its input")
		}
	}
}

// FuzzMedianFloat32: the radix selection agrees with sorting for any
// float32 bits, NaNs and infinities included.
func FuzzMedianFloat32(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40})
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x3f})
	f.Add([]byte{0, 0, 0, 0x80, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Float32sLE(b[:len(b)/4*4])
		if err != nil {
			t.Fatal(err)
		}
		got := MedianFloat32(v)
		hasNaN := len(v) == 0 || slices.ContainsFunc(v, func(x float32) bool { return x != x })
		switch {
		case hasNaN:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("median(%v) = %v, want NaN", v, got)
			}
		case got != sortedMedian(v) && !(math.IsNaN(float64(got)) && math.IsNaN(float64(sortedMedian(v)))):
			t.Fatalf("median(%v) = %v, want %v", v, got, sortedMedian(v))
		}
	})
}

// TestMedianMiddlesApart: the two middle values of an even count found at
// every depth of the radix selection: equal, apart in the last 10 bits
// only, in the middle 11, in the top 11 (or across zero), with the other
// values on either side, and from MedianFloat32 and from raw bytes alike.
func TestMedianMiddlesApart(t *testing.T) {
	one := math.Float32bits(1)
	pairs := [][2]float32{
		{1, 1},
		{1, math.Float32frombits(one + 1)},         // last bits
		{1, math.Float32frombits(one + 1<<10)},     // middle bits
		{1, math.Float32frombits(one + 1<<10 + 5)}, // both
		{1, 2}, // top bits
		{-1, 1},
		{float32(math.Copysign(0, -1)), 0},
	}
	for _, p := range pairs {
		for _, extra := range []int{0, 1, 3} {
			v := []float32{p[1], p[0]}
			for i := range extra {
				v = append(v, -1e30-float32(i), 1e30+float32(i))
			}
			want := sortedMedian(v)
			if got := MedianFloat32(v); got != want {
				t.Errorf("MedianFloat32(%v) = %v, want %v", v, got, want)
			}
			b := make([]byte, 4*len(v))
			for i, x := range v {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
			}
			if got := medianLE(b, make([]uint32, len(v)), make([]uint32, len(v))); got != want {
				t.Errorf("medianLE(%v) = %v, want %v", v, got, want)
			}
		}
	}
}
