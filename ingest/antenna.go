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
			keys = append(keys, a.key)
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
	return g.writeAll(antennaRows(g, cm, hs))
}

// antennaRows converts the antenna_status rows of corr:map's antennas from
// their SNAPs' status:snap: hashes hs, reporting what it cannot use.
func antennaRows(g *gctx, cm *corrMap, hs map[string]map[string]string) *tableRows {
	const table = "antenna_status"
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
	var scratch []byte // the histograms' formatting buffer
	for _, a := range cm.ants {
		key := a.key
		h := hs[key]
		if len(h) == 0 {
			continue // no status for this SNAP: nothing, as in hera_corr_cm
		}
		f := &fields{g: g, table: table, key: key, h: h, scratch: &scratch}
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
		n := &antFields[a.channel][polIndex(pol)]

		adcMean, adcRMS, adcPower := f.floatNoNaN(n.mean), f.floatNoNaN(n.rms), f.floatNoNaN(n.power)
		pamAtten := f.int32(n.pamAtten)
		pamPower := f.floatNoNaN(n.pamPower)
		pamVoltage, pamCurrent := f.floatNoNaN(n.pamVoltage), f.floatNoNaN(n.pamCurrent)
		pamID := f.id(n.pamID)
		femVoltage, femCurrent, femTemp := f.floatNoNaN(n.femVoltage), f.floatNoNaN(n.femCurrent), f.floatNoNaN(n.femTemp)
		femID := f.id(n.femID)
		femSwitch := f.str(n.femSwitch)
		femLNA := f.boolTrue(n.femLNA)
		theta, phi := f.floatNoNaN(n.femTheta), f.floatNoNaN(n.femPhi)
		fft := f.boolTrue("fft_overflow")
		eq := f.eqCoeffs(n.eqCoeffs)
		hist := f.histogram(n.hist)
		// Converted by hera_corr_cm but not stored: they count for the drop
		// rule. np.frombuffer(x, float) succeeds on whole float64 values.
		if v, has := h[n.autocorr]; has && len(v)%8 == 0 {
			f.ok++
		}
		for _, name := range [...]string{n.femPressure, n.femHumidity} {
			if v, has := h[name]; has {
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
					g.null(table, key, n.femSwitch, fmt.Sprintf("unknown FEM switch state %q", clip(sw)))
				}
				femSwitch = nil
			}
		}
		rows.add(t, a.ant, pol, a.host, int32(a.channel), adcMean, adcRMS, adcPower, pamAtten, pamPower, eq,
			femCurrent, femID, femTemp, femVoltage, hist, pamCurrent, pamID, pamVoltage, phi, theta, femLNA, femSwitch, fft)
	}
	return rows
}

// antFieldNames are the status:snap: fields of one antenna-pol: stream<s>_*
// of its channel s, pam<p>_* and fem<p>_* of its PAM/FEM p = s/2, the
// per-pol ones ending _e or _n (hera-mc.md §3.9).
type antFieldNames struct {
	mean, rms, power, eqCoeffs, hist, autocorr                string
	pamAtten, pamPower, pamVoltage, pamCurrent, pamID         string
	femVoltage, femCurrent, femTemp, femID, femSwitch, femLNA string
	femTheta, femPhi, femPressure, femHumidity                string
}

// antFields holds the names per channel (0-5, as decodeCorrMap accepts)
// and polarisation (polIndex), built once instead of per row.
var antFields = func() (t [6][2]antFieldNames) {
	for ch := range t {
		for pi, pol := range []string{"e", "n"} {
			s := "stream" + strconv.Itoa(ch) + "_"
			pam := "pam" + strconv.Itoa(ch/2) + "_"
			fem := "fem" + strconv.Itoa(ch/2) + "_"
			t[ch][pi] = antFieldNames{
				mean: s + "mean", rms: s + "rms", power: s + "power", eqCoeffs: s + "eq_coeffs", hist: s + "hist",
				autocorr: s + "autocorr",
				pamAtten: pam + "atten_" + pol, pamPower: pam + "power_" + pol, pamVoltage: pam + "voltage",
				pamCurrent: pam + "current", pamID: pam + "id",
				femVoltage: fem + "voltage", femCurrent: fem + "current", femTemp: fem + "temp", femID: fem + "id",
				femSwitch: fem + "switch", femLNA: fem + "lna_power_" + pol, femTheta: fem + "imu_theta",
				femPhi: fem + "imu_phi", femPressure: fem + "pressure", femHumidity: fem + "humidity",
			}
		}
	}
	return t
}()

// polIndex is antFields' index of a polarisation, "e" or "n".
func polIndex(pol string) int {
	if pol == "n" {
		return 1
	}
	return 0
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
	if f.scratch == nil {
		f.scratch = new([]byte)
	}
	s, err := int64ListLE(v, f.scratch)
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
