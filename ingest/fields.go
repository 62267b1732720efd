package ingest

import "math"

// fields converts the fields of one hash record the way the reference's
// converters do: a missing field or a failed conversion gives NULL (nil). A
// failed conversion of a value that is not one of the writers' "no value"
// markers is reported. ok counts the conversions that succeeded.
type fields struct {
	g     *gctx
	table string
	key   string
	h     map[string]string
	ok    int
	// scratch, when set, is a buffer kept between records for formatting.
	scratch *[]byte
}

func (f *fields) bad(name, reason string) {
	if !silentNull(f.h[name]) {
		f.g.null(f.table, f.key, name, reason)
	}
}

// value is a field's text: ok is false when it is missing, or when it is
// not text PostgreSQL can store (reported; hera_corr_cm's .decode() fails
// there too, giving None).
func (f *fields) value(name string) (string, bool) {
	v, ok := f.h[name]
	if !ok {
		return "", false
	}
	if !isText(v) {
		f.g.null(f.table, f.key, name, notText)
		return "", false
	}
	return v, true
}

// str passes the text through (the literal 'None'/'null' included).
func (f *fields) str(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	f.ok++
	return v
}

func (f *fields) float(name string) any {
	v, ok := f.value(name)
	if !ok || silentNull(v) { // no float() reads those: NULL, not reported
		return nil
	}
	x, err := ParsePyFloat(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return x
}

// floatNoNaN is float with NaN as NULL (hera_mc's clean-up).
func (f *fields) floatNoNaN(name string) any {
	x := f.float(name)
	if v, ok := x.(float64); ok && math.IsNaN(v) {
		return nil
	}
	return x
}

func (f *fields) int64(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	x, err := ParsePyInt(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return x
}

func (f *fields) int32(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	x, err := ParsePyInt32(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return x
}

// isoGPS is floor(gps(dateutil.parse(x))).
func (f *fields) isoGPS(name string) any { return f.prefixedISOGPS(name, "") }

// prefixedISOGPS is floor(gps(dateutil.parse(prefix + x))).
func (f *fields) prefixedISOGPS(name, prefix string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	t, err := ParseISOTime(prefix + v)
	if err == nil {
		var g int64
		if g, err = FloorGPSTime(t); err == nil {
			f.ok++
			return g
		}
	}
	f.bad(name, err.Error())
	return nil
}

// boolTrue is x == 'True' (present but odd values give false).
func (f *fields) boolTrue(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	f.ok++
	return BoolIsTrue(v)
}

// boolOne is x == '1'.
func (f *fields) boolOne(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	f.ok++
	return BoolIsOne(v)
}

// boolInt is bool(int(x)).
func (f *fields) boolInt(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	b, err := BoolFromInt(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return b
}

// boolMeaning parses the flag by what it says ('0' is false).
func (f *fields) boolMeaning(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	b, err := BoolMeaning(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return b
}
