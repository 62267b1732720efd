package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// GPS time and leap seconds (hera-mc.md §1.1)

// leapSecond is one row of the TAI−UTC table: from Unix time Unix on (an
// instant at 00:00:00 UTC), TAI−UTC is TAIMinusUTC seconds.
type leapSecond struct {
	Unix        int64
	TAIMinusUTC int64
}

// leapSeconds is the shipped table (IERS / erfa.dat), 1972 onwards. Keep it up
// to date with IERS Bulletin C: no leap second is known after 2016-12-31.
var leapSeconds = []leapSecond{
	{63072000, 10},   // 1972-01-01
	{78796800, 11},   // 1972-07-01
	{94694400, 12},   // 1973-01-01
	{126230400, 13},  // 1974-01-01
	{157766400, 14},  // 1975-01-01
	{189302400, 15},  // 1976-01-01
	{220924800, 16},  // 1977-01-01
	{252460800, 17},  // 1978-01-01
	{283996800, 18},  // 1979-01-01
	{315532800, 19},  // 1980-01-01
	{362793600, 20},  // 1981-07-01
	{394329600, 21},  // 1982-07-01
	{425865600, 22},  // 1983-07-01
	{489024000, 23},  // 1985-07-01
	{567993600, 24},  // 1988-01-01
	{631152000, 25},  // 1990-01-01
	{662688000, 26},  // 1991-01-01
	{709948800, 27},  // 1992-07-01
	{741484800, 28},  // 1993-07-01
	{773020800, 29},  // 1994-07-01
	{820454400, 30},  // 1996-01-01
	{867715200, 31},  // 1997-07-01
	{915148800, 32},  // 1999-01-01
	{1136073600, 33}, // 2006-01-01
	{1230768000, 34}, // 2009-01-01
	{1341100800, 35}, // 2012-07-01
	{1435708800, 36}, // 2015-07-01
	{1483228800, 37}, // 2017-01-01
}

const (
	gpsEpochUnix = 315964800 // 1980-01-06T00:00:00Z
	// rubber-second era (erfa.dat row for 1968-02-01): TAI−UTC = 4.21317 + (MJD − 39126) × 0.002592
	rubberStartUnix = -60480000 // 1968-02-01
)

// errTimeRange is returned for instants the leap-second table does not cover.
var errTimeRange = errors.New("time before 1968-02-01 is outside the leap-second table")

// gpsMinusUTC is GPS−UTC in whole seconds at Unix time u, which is not
// before the table's first row (a float: u may be far beyond int64).
func gpsMinusUTC(u float64) int64 {
	i := sort.Search(len(leapSeconds), func(i int) bool { return float64(leapSeconds[i].Unix) > u }) - 1
	return leapSeconds[i].TAIMinusUTC - 19
}

// endsInLeapSecond reports whether the UTC day ending at Unix time
// midnight ends in a leap second (a row after the table's first starts
// at midnight).
func endsInLeapSecond(midnight int64) bool {
	i := sort.Search(len(leapSeconds), func(i int) bool { return leapSeconds[i].Unix >= midnight })
	return i > 0 && i < len(leapSeconds) && leapSeconds[i].Unix == midnight
}

// GPSFromUnix converts Unix seconds (UTC) to GPS seconds the way astropy's
// Time(u, format='unix').gps does, bit-identical to u − 315964782 since 2017.
// On a UTC day that ends in a leap second astropy stretches the day to
// 86401 s, so an input at time-of-day s gets s/86400 added. NaN, ±Inf and
// times before 1968-02-01 (the start of the leap-second table) are errors.
func GPSFromUnix(u float64) (float64, error) {
	if math.IsNaN(u) || math.IsInf(u, 0) {
		return 0, fmt.Errorf("time %v is not finite", u)
	}
	if u < rubberStartUnix {
		return 0, errTimeRange
	}
	if u < float64(leapSeconds[0].Unix) {
		mjd := u/86400 + 40587
		return u - gpsEpochUnix + (4.2131700 + (mjd-39126)*0.002592 - 19), nil
	}
	g := u - float64(gpsEpochUnix-gpsMinusUTC(u))
	// Stretched day: the day containing u ends in a leap second.
	day := math.Floor(u / 86400)
	if endsInLeapSecond(int64(day+1) * 86400) {
		g += (u - day*86400) / 86400
	}
	return g, nil
}

// FloorGPS is math.floor(Time(u, format='unix').gps). A floor beyond
// int64 is an error: Python's int would hold it, but no bigint column
// does (hera_mc's insert fails), and Go's conversion would wrap it.
func FloorGPS(u float64) (int64, error) {
	g, err := GPSFromUnix(u)
	if err != nil {
		return 0, err
	}
	return floorInt64(g)
}

// floorInt64 is floor(g) as an int64, an error beyond its range.
func floorInt64(g float64) (int64, error) {
	f := math.Floor(g)
	if !(f >= math.MinInt64 && f < math.MaxInt64) { // MaxInt64 rounds up to 2^63
		return 0, fmt.Errorf("GPS time %g is beyond a bigint", g)
	}
	return int64(f), nil
}

// timeUnix returns t as float Unix seconds with microsecond resolution, the
// resolution of the Python datetime values hera_mc feeds to astropy.
func timeUnix(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond()/1000)/1e6
}

// FloorGPSTime is floor(Time(t, format='datetime').gps), which is also
// floor(Time(s, scale='utc').gps) of an ISO string s: astropy reads both
// through erfa.dtf2d, which counts a leap-second day's seconds as SI
// seconds, so unlike GPSFromUnix (and GPSFromJD) nothing is stretched, and
// the floor is that of the whole seconds whatever the fraction.
func FloorGPSTime(t time.Time) (int64, error) {
	sec := t.Unix()
	if sec < rubberStartUnix || sec < leapSeconds[0].Unix {
		return FloorGPS(timeUnix(t))
	}
	return sec - gpsEpochUnix + gpsMinusUTC(float64(sec)), nil
}

// gpsFromTime is Time(t, format='datetime').gps, unfloored, which is what
// Time.now().gps is (astropy's now() is a datetime): as in FloorGPSTime, a
// leap-second day is not stretched; otherwise it is GPSFromUnix.
func gpsFromTime(t time.Time) (float64, error) {
	u, sec := timeUnix(t), t.Unix()
	if sec < rubberStartUnix || sec < leapSeconds[0].Unix {
		return GPSFromUnix(u)
	}
	return u - float64(gpsEpochUnix-gpsMinusUTC(float64(sec))), nil
}

// GPSFromJD converts a UTC Julian Date as Time(jd, format='jd').gps does.
// Its one use (hera_autos.time) is floored into a bigint, so a JD whose
// GPS time is beyond one is an error.
func GPSFromJD(jd float64) (float64, error) {
	g, err := GPSFromUnix((jd - 2440587.5) * 86400)
	if err == nil {
		_, err = floorInt64(g)
	}
	return g, err
}

// JDDay is daemon_status.jd: floor of the UTC Julian Date, changing at
// 12:00 UTC. astropy reads Time.now()'s datetime through erfa.dtf2d,
// which gives a day that ends in a leap second 86401 s: on such a day the
// JD changes at 12:00:00.5.
func JDDay(t time.Time) int64 {
	u := timeUnix(t)
	day := math.Floor(u / 86400)
	length := 86400.0
	if endsInLeapSecond(int64(day+1) * 86400) {
		length = 86401
	}
	return int64(day) + 2440587 + int64(math.Floor((u-day*86400)/length+0.5))
}

// UTCFromTimestamp rounds float Unix seconds to microseconds, half to even,
// as Python's datetime.utcfromtimestamp does. Like it, a result outside
// the years 1-9999 a datetime holds is an error ("year 33658 is out of
// range" for 1e12).
func UTCFromTimestamp(u float64) (time.Time, error) {
	if math.IsNaN(u) || math.IsInf(u, 0) || math.Abs(u) > 1e13 {
		return time.Time{}, fmt.Errorf("timestamp %v out of range", u)
	}
	sec := math.Floor(u)
	us := math.RoundToEven((u - sec) * 1e6)
	if us >= 1e6 {
		sec++
		us -= 1e6
	}
	t := time.Unix(int64(sec), int64(us)*1000).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("timestamp %v: year %d is out of range (1-9999)", u, y)
	}
	return t, nil
}

// ---------------------------------------------------------------------------
// ISO date strings (dateutil.parser.parse / astropy ISO), restricted to the
// forms the site's writers produce: YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z|±HH[:MM]].
// Naive values are UTC (hera-mc.md §1.1, quirk 11).

var isoRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$`)

// ParseISOTime parses the ISO timestamps the site writes:
// YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:MM]], the fraction cut to
// microseconds as dateutil does. A time without a zone
// is UTC; the result is in UTC.
func ParseISOTime(s string) (time.Time, error) {
	m := isoRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, fmt.Errorf("not an ISO time: %q", clip(s))
	}
	atoi := func(x string) int {
		if x == "" {
			return 0
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
	h, mi, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("not a valid date/time: %q", clip(s))
	}
	ns := 0
	if m[7] != "" {
		f := (m[7] + "000000000")[:9]
		ns = atoi(f)
		// datetime keeps microseconds: dateutil truncates extra digits.
		ns = ns / 1000 * 1000
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d {
		return time.Time{}, fmt.Errorf("not a valid date: %q", clip(s))
	}
	if z := m[8]; z != "" && z != "Z" {
		sign := 1
		if z[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(z[1:], ":", "")
		oh := atoi(digits[:2])
		om := 0
		if len(digits) >= 4 {
			om = atoi(digits[2:4])
		}
		if oh > 23 || om > 59 {
			return time.Time{}, fmt.Errorf("bad UTC offset in %q", clip(s))
		}
		t = t.Add(-time.Duration(sign*(oh*3600+om*60)) * time.Second)
	}
	// Python's datetime holds years 1-9999 only: year 0 is a ValueError,
	// and an offset that moves the time out of that range an OverflowError.
	if y < 1 || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("year out of range (1-9999) in %q", clip(s))
	}
	return t, nil
}

// ---------------------------------------------------------------------------
// Python-compatible number parsing (hera-mc.md §1.3)

// stripPy trims the whitespace Python's float()/int() ignore.
func stripPy(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// removeUnderscores applies Python's rule: an underscore is allowed only
// between two digits.
func removeUnderscores(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", false
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// pyFloatSyntax reports whether t (stripped, underscores removed) is
// what Python's float() reads: ^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?
// |inf|infinity|nan)$ with the words in any case, scanned by hand (the
// regexp was most of the conversion's time). nan says it is a NaN.
func pyFloatSyntax(t string) (ok, nan bool) {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(t) && (t[i] == '.' || t[i] >= '0' && t[i] <= '9') {
		n := digits()
		if i < len(t) && t[i] == '.' {
			i++
			n += digits()
		}
		if n == 0 { // "." alone
			return false, false
		}
		if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
			i++
			if i < len(t) && (t[i] == '+' || t[i] == '-') {
				i++
			}
			if digits() == 0 {
				return false, false
			}
		}
		return i == len(t), false
	}
	switch w := t[i:]; {
	case strings.EqualFold(w, "nan"):
		return true, true
	case strings.EqualFold(w, "inf"), strings.EqualFold(w, "infinity"):
		return true, false
	}
	return false, false
}

// ParsePyFloat is Python's float(str): surrounding whitespace, a sign,
// underscores between digits, "inf", "nan" and exponents are accepted, and
// a value out of range gives ±Inf (or 0) as Python does. Anything else is
// an error ("could not convert string to float: ...").
func ParsePyFloat(s string) (float64, error) {
	t := stripPy(s)
	t, ok := removeUnderscores(t)
	var nan bool
	if ok {
		ok, nan = pyFloatSyntax(t)
	}
	if !ok {
		if a, ok := pyDecimalASCII(s); ok {
			return ParsePyFloat(a)
		}
		return 0, fmt.Errorf("could not convert string to float: %q", clip(s))
	}
	if nan {
		// strconv takes no sign before nan; Python does (and keeps it).
		if t[0] == '-' {
			return math.Copysign(math.NaN(), -1), nil
		}
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, nil // Python gives ±inf (or 0) too
		}
		return 0, fmt.Errorf("could not convert string to float: %q", clip(s))
	}
	return f, nil
}

// ParsePyInt is Python's int(str) limited to int64 (larger values could not
// be stored in any column).
func ParsePyInt(s string) (int64, error) {
	n, _, err := parsePyInt(s)
	return n, err
}

// parsePyInt is ParsePyInt; big reports a literal Python's int() reads
// whose value is outside int64. strconv.ParseInt in base 10 takes exactly
// Python's [+-]digits once whitespace and underscores are dealt with.
func parsePyInt(s string) (n int64, big bool, err error) {
	if t, ok := removeUnderscores(stripPy(s)); ok {
		n, err := strconv.ParseInt(t, 10, 64)
		if err == nil {
			return n, false, nil
		}
		if errors.Is(err, strconv.ErrRange) {
			return 0, true, fmt.Errorf("integer %q out of range", clip(s))
		}
	}
	if a, ok := pyDecimalASCII(s); ok {
		return parsePyInt(a)
	}
	return 0, false, fmt.Errorf("invalid literal for int(): %q", clip(s))
}

// pyDecimalASCII is what Python's float() and int() make of a string that
// is not ASCII before they parse it: every Unicode decimal digit becomes
// its ASCII digit ('١٢' is 12) and Unicode whitespace a space. ok is false
// for an ASCII string (nothing to change), invalid UTF-8, or any other
// non-ASCII character (which Python refuses). Only failed parses get here.
func pyDecimalASCII(s string) (string, bool) {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) || !utf8.ValidString(s) {
		return "", false
	}
	b := []byte(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			b = append(b, byte(r))
		case unicode.IsSpace(r):
			b = append(b, ' ')
		case unicode.Is(unicode.Nd, r):
			// Decimal digits come in runs of ten from their zero
			// (a Unicode stability rule); adjacent runs are
			// each ten long.
			zero := r
			for unicode.Is(unicode.Nd, zero-1) {
				zero--
			}
			b = append(b, byte('0'+(r-zero)%10))
		default:
			return "", false
		}
	}
	return string(b), true
}

// ParsePyInt32 is ParsePyInt for integer (int4) columns; values outside
// int32 are an error.
func ParsePyInt32(s string) (int32, error) {
	n, err := ParsePyInt(s)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("integer %q out of range for an integer column", clip(s))
	}
	return int32(n), nil
}

// ---------------------------------------------------------------------------
// Booleans (hera-mc.md §1.3, quirk 5)

// BoolIsTrue is `x == 'True'`.
func BoolIsTrue(x string) bool { return x == "True" }

// BoolIsOne is `x == '1'`.
func BoolIsOne(x string) bool { return x == "1" }

// BoolFromInt is `bool(int(x))`: Python's int has no range, so a literal
// beyond int64 is true.
func BoolFromInt(x string) (bool, error) {
	n, big, err := parsePyInt(x)
	if big {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return n != 0, nil
}

// PyBool is Python's bool(str): true for any non-empty string, '0' included.
// The ingest does not use it (see doc.go: white-rabbit flags use BoolMeaning).
func PyBool(x string) bool { return x != "" }

// BoolMeaning parses a flag by what it says: "1", "True", "true", "TRUE",
// "yes" are true; "0", "False", "false", "FALSE", "no" are false (surrounding
// whitespace ignored); anything else is an error.
func BoolMeaning(x string) (bool, error) {
	switch stripPy(x) {
	case "1", "True", "true", "TRUE", "yes":
		return true, nil
	case "0", "False", "false", "FALSE", "no":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", clip(x))
}

// ---------------------------------------------------------------------------
// Little-endian arrays

// wholeValues reports a length of b that is not a whole number of
// size-byte values of the named type.
func wholeValues(b []byte, size int, name string) error {
	if len(b)%size != 0 {
		return fmt.Errorf("%d bytes is not a whole number of %s values", len(b), name)
	}
	return nil
}

// Float32sLE decodes a raw little-endian C float array. A length that is
// not a multiple of 4 is an error.
func Float32sLE(b []byte) ([]float32, error) {
	if err := wholeValues(b, 4, "float32"); err != nil {
		return nil, err
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// Float64sLE decodes a raw little-endian C double array. A length that is
// not a multiple of 8 is an error.
func Float64sLE(b []byte) ([]float64, error) {
	if err := wholeValues(b, 8, "float64"); err != nil {
		return nil, err
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out, nil
}

// Int64sLE decodes a raw little-endian int64 array. A length that is not a
// multiple of 8 is an error.
func Int64sLE(b []byte) ([]int64, error) {
	if err := wholeValues(b, 8, "int64"); err != nil {
		return nil, err
	}
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Python / numpy float text

// PyFloatString formats f as Python's repr(float) (bitSize 64) or numpy's
// str(np.float32) (bitSize 32): the shortest digits that round-trip at that
// size, positional with at least one decimal when 1e-4 <= |x| < 1e16 (or x is
// zero), scientific otherwise with no '.0' on whole mantissas and at least
// two exponent digits.
func PyFloatString(f float64, bitSize int) string {
	var buf [32]byte
	return string(appendPyFloatText(buf[:0], f, bitSize))
}

// appendPyFloatText appends PyFloatString(f, bitSize) to dst.
func appendPyFloatText(dst []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	if bitSize == 32 {
		f = float64(float32(f))
	}
	if math.Signbit(f) {
		dst = append(dst, '-')
		f = -f
	}
	if f == 0 {
		return append(dst, "0.0"...)
	}
	// The shortest digits, from strconv's d.ddde±XX form.
	var eb [32]byte
	e := strconv.AppendFloat(eb[:0], f, 'e', -1, bitSize)
	var db [24]byte
	digits := append(db[:0], e[0])
	i := 1
	if e[1] == '.' {
		for i = 2; e[i] != 'e'; i++ {
			digits = append(digits, e[i])
		}
	}
	exp := 0
	for _, c := range e[i+2:] {
		exp = 10*exp + int(c-'0')
	}
	if e[i+1] == '-' {
		exp = -exp
	}
	if f >= 1e-4 && f < 1e16 {
		switch {
		case exp < 0:
			dst = append(dst, "0."...)
			for k := 0; k < -exp-1; k++ {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		case len(digits) <= exp+1:
			dst = append(dst, digits...)
			for k := len(digits); k < exp+1; k++ {
				dst = append(dst, '0')
			}
			return append(dst, ".0"...)
		default:
			dst = append(dst, digits[:exp+1]...)
			dst = append(dst, '.')
			return append(dst, digits[exp+1:]...)
		}
	}
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	} else {
		dst = append(dst, '+')
	}
	if exp < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// Float32ListString is "[" + ",".join(str(np.float32(x))) + "]".
func Float32ListString(v []float32) string {
	b := make([]byte, 0, 2+12*len(v))
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPyFloatText(b, float64(x), 32)
	}
	return string(append(b, ']'))
}

// Int64ListString is "[" + ",".join(str(int(x))) + "]".
func Int64ListString(v []int64) string {
	b := make([]byte, 0, 2+8*len(v))
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return string(append(b, ']'))
}

// int64ListLE is Int64ListString(Int64sLE([]byte(b))) without the copies
// between, formatting in *scratch, which it keeps for the next call: the
// string returned is the only allocation.
func int64ListLE(b string, scratch *[]byte) (string, error) {
	if len(b)%8 != 0 {
		return "", fmt.Errorf("%d bytes is not a whole number of int64 values", len(b))
	}
	out := append((*scratch)[:0], '[')
	for i := 0; i+8 <= len(b); i += 8 {
		if i > 0 {
			out = append(out, ',')
		}
		x := int64(uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56)
		if x < 0 || x >= 1e8 {
			out = strconv.AppendInt(out, x, 10)
			continue
		}
		// A histogram count: two digits a step, written backwards into
		// d (about twice AppendInt's speed for these).
		var d [8]byte
		p, u := len(d), uint32(x)
		for u >= 100 {
			q := u / 100
			r := 2 * (u - 100*q)
			p -= 2
			d[p], d[p+1] = digitPairs[r], digitPairs[r+1]
			u = q
		}
		if u >= 10 {
			p -= 2
			d[p], d[p+1] = digitPairs[2*u], digitPairs[2*u+1]
		} else {
			p--
			d[p] = byte('0' + u)
		}
		out = append(out, d[p:]...)
	}
	out = append(out, ']')
	*scratch = out
	return string(out), nil
}

// digitPairs holds "00" to "99".
const digitPairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// ---------------------------------------------------------------------------
// float32 median (np.median of a float32 array)

// MedianFloat32 computes np.median in float32: NaN if empty or any NaN; for
// an even count, float32(float32(a+b)/2) of the two middle values. It
// selects the middle values (as numpy's partition does) instead of sorting.
func MedianFloat32(v []float32) float32 {
	keys := make([]uint32, len(v))
	for i, x := range v {
		keys[i] = orderedKey(math.Float32bits(x))
	}
	return medianKeys(keys, make([]uint32, len(v)))
}

// orderedKey maps the bits of a float32 to a uint32 that sorts as the
// float does (negative values flipped whole, positive ones above them):
// the median is then a radix selection, with no comparisons to mispredict.
// -0 sorts just below +0, which are equal as floats, so either is a
// correct middle value.
func orderedKey(bits uint32) uint32 { return bits ^ (uint32(int32(bits)>>31) | 1<<31) }

// keyFloat is the float32 whose orderedKey is key.
func keyFloat(key uint32) float32 {
	return math.Float32frombits(key ^ (uint32(int32(^key)>>31) | 1<<31))
}

// The orderedKeys of the infinities: NaNs lie outside them.
var (
	keyNegInf = orderedKey(math.Float32bits(float32(math.Inf(-1))))
	keyPosInf = orderedKey(math.Float32bits(float32(math.Inf(1))))
)

// medianKeys is MedianFloat32 of the values whose orderedKeys are keys;
// tmp is scratch space of len(keys). keys is left as it was.
func medianKeys(keys, tmp []uint32) float32 {
	var hist [2048]uint32
	for _, x := range keys {
		hist[x>>21]++
	}
	return medianHist(keys, tmp, &hist)
}

// medianLE is MedianFloat32 of the little-endian float32 values in b,
// using keys and tmp (each of len(b)/4) as scratch: the keys and the first
// histogram are made in one pass over b.
func medianLE(b []byte, keys, tmp []uint32) float32 {
	var hist [2048]uint32
	for j := range keys {
		x := orderedKey(binary.LittleEndian.Uint32(b[4*j:]))
		keys[j] = x
		hist[x>>21]++
	}
	return medianHist(keys, tmp, &hist)
}

// medianHist finishes medianKeys given the histogram of the keys' top 11
// bits. It is a radix selection of the upper middle key over 11, 11 and 10
// bits, each pass keeping one bucket's keys (in tmp) and noting the
// largest key below that bucket, which is the lower middle value when the
// upper one is the first of its bucket. Two passes over all the keys, the
// rest over ever fewer.
func medianHist(keys, tmp []uint32, hist *[2048]uint32) float32 {
	n := len(keys)
	if n == 0 {
		return float32(math.NaN())
	}
	// Buckets 0-3 hold -Inf and the negative NaNs, 0x7fc-0x7ff +Inf and
	// the positive ones: only then look at the keys themselves.
	if hist[0]|hist[1]|hist[2]|hist[3]|hist[0x7fc]|hist[0x7fd]|hist[0x7fe]|hist[0x7ff] != 0 {
		for _, x := range keys {
			if x < keyNegInf || x > keyPosInf {
				return float32(math.NaN())
			}
		}
	}
	b1, r1 := bucketOf(hist[:], n/2)
	cand, below1 := narrowBelow(keys, tmp, 21, 0x7ff, b1)

	*hist = [2048]uint32{}
	for _, x := range cand {
		hist[x>>10&0x7ff]++
	}
	b2, r2 := bucketOf(hist[:], r1)
	cand, below2 := narrowBelow(cand, cand, 10, 0x7ff, b2)

	var last [1024]uint32
	for _, x := range cand {
		last[x&0x3ff]++
	}
	b3, r3 := bucketOf(last[:], r2)
	hi := b1<<21 | b2<<10 | b3
	if n%2 == 1 {
		return keyFloat(hi)
	}
	// The lower middle value: hi again, or the largest key below hi's
	// bucket at the deepest level that has keys below it.
	lo := hi
	switch {
	case r3 > 0:
	case r2 > 0:
		j := b3 - 1
		for last[j] == 0 {
			j--
		}
		lo = b1<<21 | b2<<10 | j
	case r1 > 0:
		lo = below2
	default:
		lo = below1
	}
	sum := float32(keyFloat(lo) + keyFloat(hi)) // explicit conversions: no fused or wider arithmetic
	return float32(sum / 2)
}

// bucketOf finds the bucket of hist holding the k-th value and k's rank
// within it.
func bucketOf(hist []uint32, k int) (uint32, int) {
	for b, c := range hist {
		if k < int(c) {
			return uint32(b), k
		}
		k -= int(c)
	}
	panic("ingest: radix select past the last bucket")
}

// narrowBelow copies the keys of src whose bucket (x>>shift&mask) is b to
// the front of dst (which may be src itself) and returns them, with the
// largest key of a lower bucket (0 if none). Without branches: which
// bucket a key falls in is as good as random.
func narrowBelow(src, dst []uint32, shift, mask, b uint32) (kept []uint32, below uint32) {
	m := 0
	for _, x := range src {
		dst[m] = x
		bucket := x >> shift & mask
		in := 0
		if bucket == b {
			in = 1
		}
		m += in
		lower := uint32(0)
		if bucket < b {
			lower = x
		}
		below = max(below, lower)
	}
	return dst[:m], below
}

// clip shortens a value for error messages.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
