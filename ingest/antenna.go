package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	badTime := map[string]bool{}
	for _, a := range cm.ants {
		key := "status:snap:" + a.host
		h := hs[key]
		if len(h) == 0 {
			continue // no status for this SNAP: nothing, as in hera_corr_cm
		}
		f := &fields{g: g, table: table, key: key, h: h}
		t, terr := snapTime(h)
		if terr != nil {
			// The original fails the whole command (quirk 8).
			if !badTime[key] {
				badTime[key] = true
				g.skip(table, key, "timestamp", terr.Error())
			}
			continue
		}
		f.ok++ // the timestamp conversion counts for the drop rule
		s, p, pol := a.channel, a.channel/2, a.pol
		sf := func(name string) string { return fmt.Sprintf("stream%d_%s", s, name) }
		pam := func(name string) string { return fmt.Sprintf("pam%d_%s", p, name) }
		fem := func(name string) string { return fmt.Sprintf("fem%d_%s", p, name) }

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

// id converts a pam/fem id: JSON, a list joined with ':', a scalar as
// str(); ”, none and null (any case) and 'None' give NULL.
func (f *fields) id(name string) any {
	v, ok := f.h[name]
	if !ok {
		return nil
	}
	s, err := JSONIDString(v)
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	if s == nil || *s == "None" {
		return nil
	}
	return *s
}

// JSONIDString is hera_corr_cm's id conversion; nil means NULL.
func JSONIDString(v string) (*string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "none", "null":
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("malformed JSON id %q", clip(v))
	}
	if dec.More() {
		return nil, fmt.Errorf("malformed JSON id %q", clip(v))
	}
	var s string
	if l, ok := x.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = pyStr(jsonToPy(e))
		}
		s = strings.Join(parts, ":")
	} else {
		s = pyStr(jsonToPy(x))
	}
	return &s, nil
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
	a, err := Int64sLE([]byte(v))
	if err != nil {
		f.bad(name, err.Error())
		return nil
	}
	f.ok++
	return Int64ListString(a)
}
