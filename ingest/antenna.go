package ingest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// runAntennaStatus ingests antenna_status (hera-mc.md §3.9): for every
// antenna and polarisation of corr:map whose SNAP has a status:snap: hash.
func runAntennaStatus(g *gctx) error {
	const table = "antenna_status"
	cm, err := g.loadCorrMap(table)
	if err != nil || cm == nil {
		return err
	}
	hostSet := map[string]bool{}
	var keys []string
	for _, a := range cm.ants {
		if !hostSet[a.host] {
			hostSet[a.host] = true
			keys = append(keys, "status:snap:"+a.host)
		}
	}
	hs := map[string]map[string]string{}
	var toRead []string
	for _, k := range keys {
		if h, ok := g.snapHashes[k]; ok {
			hs[k] = h
		} else {
			toRead = append(toRead, k)
		}
	}
	read, err := g.hgetallMany(table, toRead)
	if err != nil {
		return err
	}
	for k, h := range read {
		hs[k] = h
	}
	rows := newRows(table, "time", "antenna_number", "antenna_feed_pol", "snap_hostname", "snap_channel_number",
		"adc_mean", "adc_rms", "adc_power", "pam_atten", "pam_power", "eq_coeffs", "fem_current", "fem_id", "fem_temp",
		"fem_voltage", "histogram", "pam_current", "pam_id", "pam_voltage", "fem_imu_phi", "fem_imu_theta",
		"fem_lna_power", "fem_switch", "fft_overflow")
	// A SNAP's timestamp, parsed once for its six rows.
	type snapT struct {
		t   int64
		err error
	}
	times := map[string]snapT{}
	for _, a := range cm.ants {
		key := "status:snap:" + a.host
		h := hs[key]
		if len(h) == 0 {
			continue // no status for this SNAP: nothing, as in hera_corr_cm
		}
		f := &fields{g: g, table: table, key: key, h: h}
		st, seen := times[key]
		if !seen {
			st.t, st.err = snapTime(h)
			times[key] = st
			if st.err != nil {
				// The original fails the whole command (quirk 8).
				g.skip(table, key, "timestamp", st.err.Error())
			}
		}
		if st.err != nil {
			continue
		}
		t := st.t
		f.ok++ // the timestamp conversion counts for the drop rule
		pol := a.pol
		// Field names: stream<channel>_..., pam<channel/2>_..., fem<channel/2>_...
		sn, pn := strconv.Itoa(a.channel), strconv.Itoa(a.channel/2)
		sf := func(name string) string { return "stream" + sn + "_" + name }
		pam := func(name string) string { return "pam" + pn + "_" + name }
		fem := func(name string) string { return "fem" + pn + "_" + name }

		adcMean, adcRMS, adcPower := f.floatNoNaN(sf("mean")), f.floatNoNaN(sf("rms")), f.floatNoNaN(sf("power"))
		pamAtten := f.int32(pam("atten_" + pol))
		pamPower := f.floatNoNaN(pam("power_" + pol))
		pamVoltage, pamCurrent := f.floatNoNaN(pam("voltage")), f.floatNoNaN(pam("current"))
		pamID := f.id(pam("id"))
		femVoltage, femCurrent, femTemp := f.floatNoNaN(fem("voltage")), f.floatNoNaN(fem("current")), f.floatNoNaN(fem("temp"))
		femID := f.id(fem("id"))
		femSwitch := f.str(fem("switch"))
		femLNA := f.boolTrue(fem("lna_power_" + pol))
		theta, phi := f.floatNoNaN(fem("imu_theta")), f.floatNoNaN(fem("imu_phi"))
		fft := f.boolTrue("fft_overflow")
		eq := f.eqCoeffs(sf("eq_coeffs"))
		hist := f.histogram(sf("hist"))
		// Converted by hera_corr_cm but not stored: they count for the drop rule.
		if v, has := h[sf("autocorr")]; has {
			if _, err := Float64sLE([]byte(v)); err == nil {
				f.ok++
			}
		}
		for _, n := range []string{fem("pressure"), fem("humidity")} {
			if v, has := h[n]; has {
				if _, err := ParsePyFloat(v); err == nil {
					f.ok++
				}
			}
		}
		if v, has := h["eq_clip_count"]; has {
			if _, err := ParsePyInt(v); err == nil {
				f.ok++
			}
		}
		if f.ok < 3 {
			g.skip(table, key, "", fmt.Sprintf("antenna %d%s: only %d fields convert (hera_corr_cm drops fewer than 3)", a.ant, pol, f.ok))
			continue
		}
		if sw, ok := femSwitch.(string); ok {
			switch sw {
			case "antenna", "load", "noise":
			default:
				if !silentNull(sw) && sw != "failed" {
					g.null(table, key, fem("switch"), fmt.Sprintf("unknown FEM switch state %q", clip(sw)))
				}
				femSwitch = nil
			}
		}
		rows.add(t, a.ant, pol, a.host, int32(a.channel), adcMean, adcRMS, adcPower, pamAtten, pamPower, eq,
			femCurrent, femID, femTemp, femVoltage, hist, pamCurrent, pamID, pamVoltage, phi, theta, femLNA, femSwitch, fft)
	}
	return g.writeAll(rows)
}

// id converts a pam/fem id as hera_corr_cm's json.loads and hera_mc's
// _pam_fem_id_to_string do (see jsonID). Only a value json.loads accepts
// counts for the drop rule: an empty value, 'None', 'none' or 'NULL'
// make json.loads raise, so they give NULL without counting.
func (f *fields) id(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	s, parsed, err := jsonID(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	if parsed {
		f.ok++
	}
	if s == nil {
		return nil
	}
	return *s
}

// JSONIDString is the pam/fem id conversion of hera_corr_cm and hera_mc;
// nil means NULL.
func JSONIDString(v string) (*string, error) {
	s, _, err := jsonID(v)
	return s, err
}

// jsonID is json.loads (parsed says it succeeded) followed by hera_mc's
// clean-up and _pam_fem_id_to_string: a list is joined with ':' (each
// element as str()); a string that itself holds a JSON list is joined the
// same way; any other value becomes str(), and a result that is empty or
// none/null in any case is NULL. A value json.loads refuses is NULL, and
// an error unless it is empty or none/null in any case (the writers' "no
// value").
func jsonID(v string) (s *string, parsed bool, err error) {
	if out, ok := intListID(v); ok {
		return &out, true, nil
	}
	if v == "null" { // json.loads gives None, whose str() is 'None': NULL
		return nil, true, nil
	}
	return jsonIDDecoded(v)
}

// jsonIDDecoded is jsonID through the JSON decoder, for every value.
func jsonIDDecoded(v string) (s *string, parsed bool, err error) {
	x, err := decodePyJSON(v)
	if err != nil {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "none", "null":
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("malformed JSON id %q", clip(v))
	}
	var out string
	switch y := x.(type) {
	case []any:
		out = joinID(y)
		return &out, true, nil // a list is returned without the none/null check
	case string:
		if inner, err := decodePyJSON(y); err == nil {
			if l, ok := inner.([]any); ok {
				out = joinID(l)
				return &out, true, nil
			}
		}
		out = y
	default:
		out = pyStr(y)
	}
	switch strings.ToLower(out) {
	case "", "none", "null":
		return nil, true, nil
	}
	return &out, true, nil
}

// joinID is ":".join(str(x) for x in l).
func joinID(l []any) string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = pyStr(e)
	}
	return strings.Join(parts, ":")
}

// decodePyJSON is json.loads of one value (surrounding whitespace allowed,
// nothing after it), numbers as Python gives them (see jsonToPy).
func decodePyJSON(v string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	if rest := strings.TrimLeft(v[dec.InputOffset():], " \t\n\r"); rest != "" {
		return nil, fmt.Errorf("extra data after the JSON value")
	}
	return jsonToPy(x), nil
}

// jsonToPy turns json.Number into the int or float Python's json gives.
func jsonToPy(v any) any {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			if n, err := x.Int64(); err == nil {
				return n
			}
			return string(x) // big integer: Python keeps every digit
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonToPy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonToPy(e)
		}
		return out
	}
	return v
}

// eqCoeffs is the float64 LE array cast to float32 and printed as numpy does.
func (f *fields) eqCoeffs(name string) any {
	v, ok := f.h[name]
	if !ok {
		return nil
	}
	a, err := Float64sLE([]byte(v))
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	c := make([]float32, len(a))
	for i, x := range a {
		c[i] = float32(x)
	}
	return Float32ListString(c)
}

// histogram is the int64 LE array printed as a list.
func (f *fields) histogram(name string) any {
	v, ok := f.h[name]
	if !ok {
		return nil
	}
	s, err := int64ListLE(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return s
}

// intListID is jsonID's common case read without a JSON decoder: a JSON
// list of plain integers ("[112, 217, 30, 59, 1, 0, 0, 5]") joined with
// ':'. ok is false for anything else, which jsonID then decodes: other
// values, other whitespace, a "-0", a number with a fraction, exponent or
// too many digits to be sure it fits an int64.
func intListID(v string) (string, bool) {
	if len(v) < 2 || v[0] != '[' || v[len(v)-1] != ']' {
		return "", false
	}
	body := v[1 : len(v)-1]
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i == len(body) {
			return string(out), len(out) == 0 && !strings.Contains(body, ",") // "[]", "[ ]"
		}
		if len(out) > 0 {
			out = append(out, ':')
		}
		start := i
		if body[i] == '-' {
			i++
		}
		d := i
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i++
		}
		n := i - d
		if n == 0 || n > 18 || (body[d] == '0' && n > 1) || body[start:i] == "-0" {
			return "", false
		}
		out = append(out, body[start:i]...)
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i < len(body) {
			if body[i] != ',' {
				return "", false
			}
			i++
			if strings.TrimLeft(body[i:], " ") == "" { // a trailing comma
				return "", false
			}
		}
	}
	return string(out), true
}
