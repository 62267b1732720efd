package ingest

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// s8Skipped reports whether rep holds a skip of key (and field, when not
// empty) with the given action.
func s8Skipped(rep *Report, key, field, action string) bool {
	for _, s := range rep.Skipped {
		if s.Key == key && (field == "" || s.Field == field) && s.Action == action {
			return true
		}
	}
	return false
}

func s8F64s(v ...float64) string {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return string(b)
}

// TestQAS8SnapHostile: hostile values in the SNAP half (wrong Redis
// types, huge numbers, NaN/Inf, empty strings, wrong-length arrays, a
// timestamp that is None) each lose only their own record or column
// (issue 7), and a second pass adds nothing.
func TestQAS8SnapHostile(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	ts := "2026-11-20T12:00:00"
	m.HSet("corr:map", "ant_to_snap", `{"1": {"e": {"host": "heraNode1Snap0", "channel": 0}, "n": {"host": "heraNode1Snap0", "channel": 1}},
		"2": {"e": {"host": "heraNode1Snap1", "channel": 2}}, "3": {"e": {"host": "heraNode1Snap2", "channel": 0}},
		"4": {"n": {"host": "heraNode1Snap3", "channel": 5}}}`,
		"snap_to_serial", `{"heraNode1Snap0": "S0", "heraNode1Snap1": "S1", "heraNode1Snap2": "S2", "heraNode1Snap3": "S3"}`)
	// Snap0: good, with hostile numbers.
	m.HSet("status:snap:heraNode1Snap0", "timestamp", ts, "serial", "S0", "pps_count", "99999999999999999999",
		"temp", "nan", "uptime", "inf", "sample_rate", "1e400", "pmb_alert", "", "is_programmed", "null",
		"adc_is_configured", "1", "input", "adc,noise-same,adc,adc,adc,adc,adc",
		"stream0_mean", "NaN", "stream0_rms", "-inf", "stream0_power", "", "stream0_eq_coeffs", s8F64s(1, 0.1)[:12],
		"stream0_hist", "1234567", "stream1_eq_coeffs", s8F64s(1e-5, 123456789), "pam0_atten_e", "4294967296",
		"pam0_atten_n", " 7 ", "fem0_switch", "", "fem0_id", "[1, 2, 3]", "fft_overflow", "True")
	// Snap1: timestamp None: no snap_status, snap_input or antenna rows.
	m.HSet("status:snap:heraNode1Snap1", "timestamp", "None", "serial", "S1", "stream2_mean", "1.0", "stream2_rms", "2.0")
	// Snap2: the wrong Redis type.
	m.Set("status:snap:heraNode1Snap2", "x")
	// Snap3: only empty values.
	m.HSet("status:snap:heraNode1Snap3", "timestamp", ts, "serial", "", "input", "", "stream5_mean", "", "pam2_id", "")

	rep := runAt(t, rc, db, testNow, "snap_status", "antenna_status")
	for _, g := range rep.Groups {
		if g.Status != "good" {
			t.Fatalf("group %s: %s %s", g.Name, g.Status, g.Error)
		}
	}
	gps := s8GPS(t, ts)
	eq := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	st := rowMaps(t, db, `SELECT * FROM snap_status ORDER BY hostname`)
	if len(st) != 2 || st[0]["hostname"] != "heraNode1Snap0" || st[1]["hostname"] != "heraNode1Snap3" {
		t.Fatalf("snap_status rows %v, want heraNode1Snap0 and heraNode1Snap3", st)
	}
	s0 := st[0]
	eq("time", s0["time"], gps)
	eq("node", s0["node"], 1)
	eq("snap_loc_num", s0["snap_loc_num"], 0)
	eq("pps_count (int64 overflow)", s0["pps_count"], nil)
	eq("fpga_temp (float('nan'), no clean-up in snap_status)", s0["fpga_temp"], math.NaN())
	eq("uptime_cycles (int('inf'))", s0["uptime_cycles"], nil)
	eq("sample_rate (float('1e400'))", s0["sample_rate"], math.Inf(1))
	eq("psu_alert (bool(int('')))", s0["psu_alert"], nil)
	eq("is_programmed ('null' == 'True')", s0["is_programmed"], false)
	eq("adc_is_configured", s0["adc_is_configured"], true)
	eq("is_initialized (missing)", s0["is_initialized"], nil)
	eq("Snap3 serial ('' passes through)", st[1]["serial_number"], "")
	eq("Snap3 node (serial not in corr:map)", st[1]["node"], nil)
	for _, k := range []struct{ key, field, action string }{
		{"status:snap:heraNode1Snap0", "pps_count", "null"},
		{"status:snap:heraNode1Snap0", "uptime", "null"},
		{"status:snap:heraNode1Snap0", "input", "skipped"},
		{"status:snap:heraNode1Snap1", "timestamp", "skipped"},
		{"status:snap:heraNode1Snap2", "", "skipped"},
		{"status:snap:heraNode1Snap0", "pam0_atten_e", "null"},
		{"status:snap:heraNode1Snap0", "stream0_eq_coeffs", "null"},
		{"status:snap:heraNode1Snap0", "stream0_hist", "null"},
	} {
		if !s8Skipped(rep, k.key, k.field, k.action) {
			t.Errorf("%s %s not reported %s: %+v", k.key, k.field, k.action, rep.Skipped)
		}
	}
	for _, s := range rep.Skipped {
		if s.Field == "pmb_alert" || s.Field == "stream0_power" || s.Field == "fem0_switch" {
			t.Errorf("a writer's empty value is reported: %+v", s)
		}
	}

	// snap_input: seven inputs lose the host's inputs (the original fails
	// the command); an empty input is one '' row, as "".split(",") gives.
	in := rowMaps(t, db, `SELECT * FROM snap_input ORDER BY hostname, snap_channel_number`)
	if len(in) != 1 || in[0]["hostname"] != "heraNode1Snap3" || in[0]["snap_input"] != "" || in[0]["snap_channel_number"] != int32(0) ||
		in[0]["antenna_number"] != nil {
		t.Errorf("snap_input rows %v, want one '' row of heraNode1Snap3 channel 0", in)
	}

	ants := rowMaps(t, db, `SELECT * FROM antenna_status ORDER BY antenna_number, antenna_feed_pol`)
	if len(ants) != 2 {
		t.Fatalf("antenna_status rows %v, want 1e and 1n", ants)
	}
	a, b := ants[0], ants[1]
	eq("1e time", a["time"], gps)
	eq("1e adc_mean (NaN clean-up)", a["adc_mean"], nil)
	eq("1e adc_rms", a["adc_rms"], math.Inf(-1))
	eq("1e adc_power ('')", a["adc_power"], nil)
	eq("1e eq_coeffs (12 bytes)", a["eq_coeffs"], nil)
	eq("1e histogram (7 bytes)", a["histogram"], nil)
	eq("1e pam_atten (int4 overflow)", a["pam_atten"], nil)
	eq("1e fem_switch ('')", a["fem_switch"], nil)
	eq("1e fem_id", a["fem_id"], "1:2:3")
	eq("1e fft_overflow", a["fft_overflow"], true)
	eq("1e fem_lna_power (missing)", a["fem_lna_power"], nil)
	eq("1n snap_channel_number", b["snap_channel_number"], 1)
	eq("1n eq_coeffs", b["eq_coeffs"], "[1e-05,123456790.0]")
	eq("1n pam_atten (' 7 ')", b["pam_atten"], 7)
	if !strings.Contains(fmt.Sprint(rep.Skipped), "antenna 4n: only 1 fields convert") {
		t.Errorf("antenna 4n (one conversion) not dropped: %+v", rep.Skipped)
	}

	rep2 := runAt(t, rc, db, testNow, "snap_status", "antenna_status")
	for _, tb := range []string{"snap_status", "snap_input", "antenna_status"} {
		if n := rep2.Rows(tb); n != 0 {
			t.Errorf("second pass wrote %d rows to %s", n, tb)
		}
	}
}

// s8GPS is floor(gps) of a naive ISO time after 2017 (GPS = Unix - 315964782).
func s8GPS(t *testing.T, iso string) int64 {
	tt, err := time.Parse("2006-01-02T15:04:05", iso)
	if err != nil {
		t.Fatal(err)
	}
	return tt.Unix() - 315964782
}

// TestQAS8AntennaNotText: a status:snap field that is not UTF-8 text is
// None in hera_corr_cm (its .decode() fails) and does not count for the
// drop rule; the antenna keeps its row with that column NULL, reported.
func TestQAS8AntennaNotText(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("corr:map", "ant_to_snap", `{"7": {"n": {"host": "heraNode2Snap3", "channel": 3}}}`)
	m.HSet("status:snap:heraNode2Snap3", "timestamp", "2026-11-20T12:00:00", "fft_overflow", "False",
		"stream3_mean", "\xff1", "stream3_rms", "3.5", "pam1_id", "[1, \"\xff\"]", "fem1_switch", "load\x00",
		"fem1_temp", "21.5", "fem1_lna_power_n", "True")
	rep := runAt(t, rc, db, testNow, "antenna_status")
	rows := rowMaps(t, db, `SELECT * FROM antenna_status`)
	if len(rows) != 1 {
		t.Fatalf("rows %v, want antenna 7n", rows)
	}
	r := rows[0]
	if r["adc_mean"] != nil || r["pam_id"] != nil || r["fem_switch"] != nil || r["adc_rms"] != 3.5 || r["fem_temp"] != 21.5 ||
		r["fem_lna_power"] != true || r["snap_channel_number"] != int32(3) {
		t.Errorf("row %v", r)
	}
	for _, f := range []string{"stream3_mean", "pam1_id", "fem1_switch"} {
		if !s8Skipped(rep, "status:snap:heraNode2Snap3", f, "null") {
			t.Errorf("%s not reported: %+v", f, rep.Skipped)
		}
	}
}
