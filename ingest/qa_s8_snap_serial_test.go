package ingest

import (
	"testing"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestQAS8SerialLookupIgnoresCase: snap_status.node and snap_loc_num come
// from the SNAP's reported serial through CM (hera-mc.md §3.7, §4), and
// hera_mc's lookup (_get_node_snap_from_serial -> ActiveData.revs with
// exact_match) upper-cases both the serial and the CM part numbers. A SNAP
// reporting 'snpc000123' for CM's 'SNPC000123' therefore gets its node
// and location; two CM hosts whose serials differ only in case are two
// matches, NULL with a warning. The literal 'None' serial passes through
// with NULL node (quirk 6).
func TestQAS8SerialLookupIgnoresCase(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	ts := "2026-11-20T12:00:00"
	m.HSet("corr:map", "ant_to_snap", `{}`,
		"snap_to_serial", `{"heraNode3Snap2": "SNPC000123", "heraNode4Snap1": "SnpA7", "heraNode5Snap0": "snpa7"}`)
	m.HSet("status:snap:heraNode3Snap2", "timestamp", ts, "serial", "snpc000123")
	m.HSet("status:snap:heraNode4Snap1", "timestamp", ts, "serial", "SNPA7")
	m.HSet("status:snap:heraNode6Snap0", "timestamp", ts, "serial", "None", "version", "null", "input", "None")
	rep := runAt(t, rc, db, testNow, "snap_status")
	rows := rowMaps(t, db, `SELECT hostname, node, snap_loc_num, serial_number, version FROM snap_status ORDER BY hostname`)
	if len(rows) != 3 {
		t.Fatalf("rows %v", rows)
	}
	if rows[0]["node"] != int32(3) || rows[0]["snap_loc_num"] != int32(2) || rows[0]["serial_number"] != "snpc000123" {
		t.Errorf("heraNode3Snap2: %v, want node 3, location 2, serial as reported", rows[0])
	}
	if rows[1]["node"] != nil || rows[1]["snap_loc_num"] != nil || !s8Skipped(rep, "status:snap:heraNode4Snap1", "serial", "null") {
		t.Errorf("heraNode4Snap1 (serial of two CM hosts): %v, skips %+v; want NULL, reported", rows[1], rep.Skipped)
	}
	if rows[2]["node"] != nil || rows[2]["serial_number"] != "None" || rows[2]["version"] != "null" {
		t.Errorf("heraNode6Snap0: %v, want serial 'None', version 'null', node NULL", rows[2])
	}
	in := rowMaps(t, db, `SELECT snap_channel_number, snap_input FROM snap_input WHERE hostname = 'heraNode6Snap0'`)
	if len(in) != 1 || in[0]["snap_channel_number"] != int32(0) || in[0]["snap_input"] != "None" {
		t.Errorf("input 'None': %v, want one row, channel 0, 'None'", in)
	}
}

// TestQAS8CorrMapChannelClaimedTwice: snap_input's antenna comes from
// corr:map's ant_to_snap inverted (hera-mc.md §4). When two antennas claim
// the same SNAP channel (an inconsistent map) the choice must not depend
// on Go's map order, which differs from one run to the next: the lowest
// antenna number (then polarisation) keeps the channel and the conflict is
// reported.
func TestQAS8CorrMapChannelClaimedTwice(t *testing.T) {
	a2s := `{"30": {"e": {"host": "heraNode1Snap0", "channel": 1}}, "12": {"n": {"host": "heraNode1Snap0", "channel": 1}},
		"20": {"e": {"host": "heraNode1Snap0", "channel": 1}}, "5": {"e": {"host": "heraNode1Snap0", "channel": 2}}}`
	for i := 0; i < 50; i++ {
		m, notes := decodeCorrMap(a2s, "", false)
		if got := m.byHostChan[hostChan{"heraNode1Snap0", 1}]; got != (antPol{12, "n"}) {
			t.Fatalf("decode %d: channel 1 -> %v, want antenna 12n", i, got)
		}
		if got := m.byHostChan[hostChan{"heraNode1Snap0", 2}]; got != (antPol{5, "e"}) {
			t.Fatalf("decode %d: channel 2 -> %v", i, got)
		}
		if len(notes) != 2 {
			t.Fatalf("decode %d: notes %v, want one per antenna left out (20e, 30e)", i, notes)
		}
	}
}
