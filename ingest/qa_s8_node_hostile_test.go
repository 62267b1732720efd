package ingest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8NodeHostile: hostile values in the node half (wrong Redis types,
// short hashes, NaN/Inf and huge numbers, empty and non-UTF-8 values, a
// JSON alias list holding a NUL) each lose only their own record or
// column (issue 7 and 8: one bad record never loses the others; hera-mc.md
// §3.10-3.13 for what is a NULL and what a skipped record), every group
// commits, and a second pass, at the same or a later time, adds nothing.
func TestQAS8NodeHostile(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	const ts = "1763640000.5"
	gps := gpsOf(1763640000.5)
	const iso = "2026-11-20T12:00:00"
	wrGPS := s8GPS(t, iso)

	// Node 0: a good node.
	nodeHash(m, 0, ts)
	m.HSet("commands:node:0", "power_fem_cmd", "on|1763640000", "unknown_cmd", "on|1")
	m.HSet("status:wr:heraNode0wr", "timestamp", iso, "aliases", `["x", "y"]`, "temp", "45.5", "wr0_ss", "'TRACK_PHASE'",
		"wr0_lnk", "1", "wr0_lock", "0", "wr0_sec", "1763640037", "wr1_ucnt", "12")
	// Node 1: hostile values, each a NULL or one lost command.
	nodeHash(m, 1, ts)
	m.HSet("status:node:1", "temp_top", "nan", "temp_mid", "-inf", "temp_bot", "", "temp_humid", "2\xff", "humid", "1e400",
		"power_snap_1", " 1", "power_fem", "True")
	m.HSet("commands:node:1", "power_fem_cmd", "on|nan", "power_pam_cmd", "off|1e30", "power_snap_0_cmd", "on",
		"power_snap_1_cmd", "on|", "power_snap_2_cmd", "\xff|1763640000", "reset", "reset|1763640001.9|x")
	m.HSet("status:wr:heraNode1wr", "timestamp", iso, "aliases", `["a\u0000b", "c"]`, "temp", "nan", "ip", "10.0.0.1",
		"wr0_ad", "99999999999", "wr0_sec", "99999999999999999999", "wr0_lnk", "0", "wr1_lnk", "", "wr1_lock", "maybe",
		"wr0_crtt", " 1_000 ", "wr0_ucnt", "1.0", "sw_build_date", "not a date", "wr_gw_date", "19-09-25")
	// Node 2: timestamp NaN: no sensor or power status row; its commands
	// are still read (the selection only counts fields); status:wr of the
	// wrong type.
	nodeHash(m, 2, "nan")
	m.HSet("commands:node:2", "power_pam_cmd", "on|1763640000")
	m.Set("status:wr:heraNode2wr", "x")
	// Node 3: status:node of the wrong type; node 4: a short hash.
	m.Set("status:node:3", "x")
	m.HSet("status:node:4", "timestamp", ts, "temp_top", "1")
	m.HSet("commands:node:4", "power_pam_cmd", "on|1763640000")
	// Node 5: a timestamp beyond a bigint; commands of the wrong type; a
	// WR timestamp that does not parse.
	nodeHash(m, 5, "1e300")
	m.Set("commands:node:5", "x")
	m.HSet("status:wr:heraNode5wr", "timestamp", "garbage", "ip", "10.0.0.5")
	// Node 6: 18 fields but one power field missing; aliases a JSON string.
	nodeHash(m, 6, ts)
	m.HDel("status:node:6", "power_pam")
	m.HSet("status:node:6", "udp_status", "connected")
	m.HSet("status:wr:heraNode6wr", "timestamp", iso, "aliases", `"ab"`)
	// Node 7: a power field that is not UTF-8 text: no power status row
	// (NOT NULL columns), not a guessed false; its sensor row stays.
	nodeHash(m, 7, ts)
	m.HSet("status:node:7", "power_snap_0", "1\xff")

	check := func(rep *Report) {
		t.Helper()
		for _, g := range rep.Groups {
			if g.Status != "good" {
				t.Fatalf("group %s: %s %s", g.Name, g.Status, g.Error)
			}
		}
	}
	rep := runAt(t, rc, db, testNow, "nodes")
	check(rep)
	eq := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	// node_sensor: nodes 0, 1, 6, 7.
	ns := rowMaps(t, db, `SELECT * FROM node_sensor ORDER BY node`)
	if len(ns) != 4 || ns[0]["node"] != int32(0) || ns[1]["node"] != int32(1) || ns[2]["node"] != int32(6) || ns[3]["node"] != int32(7) {
		t.Fatalf("node_sensor rows %v, want nodes 0, 1, 6, 7", ns)
	}
	for _, r := range ns {
		eq(fmt.Sprintf("node %v time", r["node"]), r["time"], gps)
	}
	n1 := ns[1]
	if v, ok := n1["top_sensor_temp"].(float64); !ok || !math.IsNaN(v) {
		t.Errorf("node 1 top_sensor_temp %v, want NaN (float('nan'), kept in node_sensor)", n1["top_sensor_temp"])
	}
	eq("node 1 middle_sensor_temp", n1["middle_sensor_temp"], math.Inf(-1))
	eq("node 1 bottom_sensor_temp", n1["bottom_sensor_temp"], nil)
	eq("node 1 humidity_sensor_temp", n1["humidity_sensor_temp"], nil)
	eq("node 1 humidity", n1["humidity"], math.Inf(1))
	if !s8Skipped(rep, "status:node:1", "temp_humid", "null") {
		t.Errorf("non-UTF-8 temp_humid not reported: %v", rep.Skipped)
	}
	for _, k := range []string{"status:node:2", "status:node:5"} {
		if !s8Skipped(rep, k, "timestamp", "skipped") {
			t.Errorf("%s: bad timestamp not reported as a skip: %v", k, rep.Skipped)
		}
	}
	for _, k := range []string{"status:node:3", "status:node:4"} {
		if !s8Skipped(rep, k, "", "skipped") {
			t.Errorf("%s not reported: %v", k, rep.Skipped)
		}
	}

	// node_power_status: nodes 0 and 1; x == '1' only.
	ps := rowMaps(t, db, `SELECT * FROM node_power_status ORDER BY node`)
	if len(ps) != 2 || ps[0]["node"] != int32(0) || ps[1]["node"] != int32(1) {
		t.Fatalf("node_power_status rows %v, want nodes 0 and 1", ps)
	}
	eq("node 1 snap0_powered", ps[1]["snap0_powered"], true)
	eq("node 1 snap1_powered", ps[1]["snap1_powered"], false)
	eq("node 1 fem_powered", ps[1]["fem_powered"], false)
	eq("node 1 snap_relay_powered", ps[1]["snap_relay_powered"], true)
	eq("node 1 time", ps[1]["time"], gps)
	if !s8Skipped(rep, "status:node:6", "power_pam", "skipped") {
		t.Errorf("node 6 missing power field not reported: %v", rep.Skipped)
	}
	if !s8Skipped(rep, "status:node:7", "power_snap_0", "skipped") {
		t.Errorf("node 7 non-UTF-8 power field not reported: %v", rep.Skipped)
	}

	// node_power_command.
	pc := rowMaps(t, db, `SELECT node, part, time, command FROM node_power_command ORDER BY node, part`)
	want := []string{
		fmt.Sprintf("0 fem %d on", gpsOf(1763640000)),
		"1 reset " + fmt.Sprint(gpsOf(1763640001.9)) + " reset",
		"1 snap0 -315964910 on",
		fmt.Sprintf("2 pam %d on", gpsOf(1763640000)),
	}
	var got []string
	for _, r := range pc {
		got = append(got, fmt.Sprint(r["node"], " ", r["part"], " ", r["time"], " ", r["command"]))
	}
	eq("node_power_command", got, want)
	for _, f := range []string{"power_fem_cmd", "power_pam_cmd", "power_snap_1_cmd", "power_snap_2_cmd"} {
		if !s8Skipped(rep, "commands:node:1", f, "skipped") {
			t.Errorf("commands:node:1 %s not reported: %v", f, rep.Skipped)
		}
	}
	if !s8Skipped(rep, "commands:node:5", "", "skipped") {
		t.Errorf("commands:node:5 of the wrong type not reported: %v", rep.Skipped)
	}

	// node_white_rabbit_status: nodes 0, 1, 6.
	wr := rowMaps(t, db, `SELECT * FROM node_white_rabbit_status ORDER BY node`)
	if len(wr) != 3 || wr[0]["node"] != int32(0) || wr[1]["node"] != int32(1) || wr[2]["node"] != int32(6) {
		t.Fatalf("node_white_rabbit_status rows %v, want nodes 0, 1, 6", wr)
	}
	w0, w1, w6 := wr[0], wr[1], wr[2]
	eq("node 0 node_time", w0["node_time"], wrGPS)
	eq("node 0 aliases", w0["aliases"], "x, y")
	eq("node 0 temperature", w0["temperature"], 45.5)
	eq("node 0 port0_servo_state", w0["port0_servo_state"], "'TRACK_PHASE'")
	eq("node 0 port0_link", w0["port0_link"], true)
	eq("node 0 port0_lock", w0["port0_lock"], false)
	eq("node 0 port0_time", w0["port0_time"], 1763640037)
	eq("node 0 port1_update_counter", w0["port1_update_counter"], 12)
	eq("node 1 aliases (a NUL PostgreSQL refuses)", w1["aliases"], nil)
	eq("node 1 temperature", w1["temperature"], nil)
	eq("node 1 ip", w1["ip"], "10.0.0.1")
	eq("node 1 port0_ad", w1["port0_ad"], nil)
	eq("node 1 port0_time", w1["port0_time"], nil)
	eq("node 1 port0_link", w1["port0_link"], false)
	eq("node 1 port1_link", w1["port1_link"], nil)
	eq("node 1 port1_lock", w1["port1_lock"], nil)
	eq("node 1 port0_cable_rt_delay_ps", w1["port0_cable_rt_delay_ps"], 1000)
	eq("node 1 port0_update_counter", w1["port0_update_counter"], nil)
	eq("node 1 build_date", w1["build_date"], nil)
	eq("node 1 gw_date", w1["gw_date"], s8GPS(t, "2019-09-25T00:00:00"))
	eq("node 6 aliases", w6["aliases"], "a, b")
	if !s8Skipped(rep, "status:wr:heraNode1wr", "aliases", "null") {
		t.Errorf("alias with a NUL not reported: %v", rep.Skipped)
	}
	if !s8Skipped(rep, "status:wr:heraNode2wr", "", "skipped") {
		t.Errorf("status:wr of the wrong type not reported: %v", rep.Skipped)
	}
	if !s8Skipped(rep, "status:wr:heraNode5wr", "timestamp", "skipped") {
		t.Errorf("unparseable WR timestamp not reported: %v", rep.Skipped)
	}
	// A skipped record is not also reported as a NULL column.
	if s8Skipped(rep, "status:wr:heraNode5wr", "timestamp", "null") {
		t.Errorf("the skipped WR record's timestamp is also reported as a NULL column: %v", rep.Skipped)
	}

	// A second pass, at the same time and a minute later, adds nothing.
	tables := []string{"node_sensor", "node_power_status", "node_power_command", "node_white_rabbit_status"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = count(t, db, `SELECT count(*) FROM `+tb)
	}
	for _, at := range []time.Time{testNow, testNow.Add(time.Minute)} {
		rep2 := runAt(t, rc, db, at, "nodes")
		check(rep2)
		for _, tb := range tables {
			if n := rep2.Rows(tb); n != 0 {
				t.Errorf("pass at %v: %d new %s rows", at, n, tb)
			}
			if n := count(t, db, `SELECT count(*) FROM `+tb); n != before[tb] {
				t.Errorf("pass at %v: %s has %d rows, had %d", at, tb, n, before[tb])
			}
		}
	}
}
