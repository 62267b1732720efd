package ingest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxNodes is the reference's fixed node list, 0..29 (quirk 12).
const MaxNodes = 30

// nodeStatusFields is the number of fields status_node() writes; a node
// counts only when its status:node hash has at least that many.
const nodeStatusFields = 18

type nodeStatus struct {
	n   int
	key string
	h   map[string]string
}

// selectNodes reads status:node:0..29 once per group and keeps the nodes
// with a full hash (hera-mc.md §3.10).
func (g *gctx) selectNodes(table string) ([]nodeStatus, error) {
	keys := make([]string, MaxNodes)
	for i := range keys {
		keys[i] = fmt.Sprintf("status:node:%d", i)
	}
	hs, err := g.hgetallMany(table, keys)
	if err != nil {
		return nil, err
	}
	var out []nodeStatus
	for i, k := range keys {
		h, ok := hs[k]
		if !ok || len(h) == 0 {
			continue
		}
		if len(h) < nodeStatusFields {
			g.skip(table, k, "", fmt.Sprintf("%d fields, a node status has %d", len(h), nodeStatusFields))
			continue
		}
		out = append(out, nodeStatus{i, k, h})
	}
	return out, nil
}

// nodeTime is floor(gps(float(timestamp))) of a node hash.
func nodeTime(h map[string]string) (int64, string, error) {
	ts, ok := h["timestamp"]
	if !ok {
		return 0, "timestamp", fmt.Errorf("field missing")
	}
	u, err := ParsePyFloat(ts)
	if err != nil {
		return 0, "timestamp", err
	}
	t, err := FloorGPS(u)
	return t, "timestamp", err
}

func runNodeSensor(g *gctx) error {
	const table = "node_sensor"
	nodes, err := g.selectNodes(table)
	if err != nil {
		return err
	}
	rows := newRows(table, "time", "node", "top_sensor_temp", "middle_sensor_temp", "bottom_sensor_temp",
		"humidity_sensor_temp", "humidity")
	for _, nd := range nodes {
		t, field, err := nodeTime(nd.h)
		if err != nil {
			g.skip(table, nd.key, field, err.Error())
			continue
		}
		f := &fields{g: g, table: table, key: nd.key, h: nd.h}
		rows.add(t, int32(nd.n), f.float("temp_top"), f.float("temp_mid"), f.float("temp_bot"),
			f.float("temp_humid"), f.float("humid"))
	}
	return g.writeAll(rows)
}

// nodePowerFields maps node_power_status columns to status:node fields.
var nodePowerFields = [][2]string{
	{"snap_relay_powered", "power_snap_relay"}, {"snap0_powered", "power_snap_0"}, {"snap1_powered", "power_snap_1"},
	{"snap2_powered", "power_snap_2"}, {"snap3_powered", "power_snap_3"}, {"fem_powered", "power_fem"},
	{"pam_powered", "power_pam"},
}

func runNodePowerStatus(g *gctx) error {
	const table = "node_power_status"
	nodes, err := g.selectNodes(table)
	if err != nil {
		return err
	}
	cols := []string{"time", "node"}
	for _, c := range nodePowerFields {
		cols = append(cols, c[0])
	}
	rows := newRows(table, cols...)
nodes:
	for _, nd := range nodes {
		t, field, err := nodeTime(nd.h)
		if err != nil {
			// The original fails the whole command (quirk 8).
			g.skip(table, nd.key, field, err.Error())
			continue
		}
		vals := []any{t, int32(nd.n)}
		for _, c := range nodePowerFields {
			v, ok := nd.h[c[1]]
			if !ok {
				g.skip(table, nd.key, c[1], "field missing")
				continue nodes
			}
			if !isText(v) {
				// The columns are NOT NULL: the record is skipped (the
				// original's decoding client fails the command), not
				// stored as false.
				g.skip(table, nd.key, c[1], notText)
				continue nodes
			}
			vals = append(vals, BoolIsOne(v))
		}
		rows.add(vals...)
	}
	return g.writeAll(rows)
}

// nodeCommandParts maps commands:node fields to node_power_command.part.
var nodeCommandParts = [][2]string{
	{"power_snap_relay_cmd", "snap_relay"}, {"power_snap_0_cmd", "snap0"}, {"power_snap_1_cmd", "snap1"},
	{"power_snap_2_cmd", "snap2"}, {"power_snap_3_cmd", "snap3"}, {"power_fem_cmd", "fem"},
	{"power_pam_cmd", "pam"}, {"reset", "reset"},
}

func runNodePowerCommand(g *gctx) error {
	const table = "node_power_command"
	nodes, err := g.selectNodes(table)
	if err != nil {
		return err
	}
	keys := make([]string, len(nodes))
	for i, nd := range nodes {
		keys[i] = fmt.Sprintf("commands:node:%d", nd.n)
	}
	hs, err := g.hgetallMany(table, keys)
	if err != nil {
		return err
	}
	rows := newRows(table, "time", "node", "part", "command")
	for i, nd := range nodes {
		h := hs[keys[i]]
		for _, fp := range nodeCommandParts {
			v, ok := h[fp[0]]
			if !ok {
				continue
			}
			parts := strings.Split(v, "|")
			u := -99.0 // no '|': node_control's default timestamp
			if len(parts) > 1 {
				x, err := ParsePyFloat(parts[1])
				if err != nil {
					g.skip(table, keys[i], fp[0], "timestamp: "+err.Error())
					continue
				}
				u = x
			}
			t, err := FloorGPS(u)
			if err != nil {
				g.skip(table, keys[i], fp[0], err.Error())
				continue
			}
			if !isText(parts[0]) {
				g.skip(table, keys[i], fp[0], "command "+notText)
				continue
			}
			rows.add(t, int32(nd.n), fp[1], parts[0])
		}
	}
	return g.writeAll(rows)
}

// wrPortFields maps node_white_rabbit_status port columns (after
// "port{i}_") to status:wr fields (after "wr{i}_") and their kind.
var wrPortFields = []struct{ col, field, kind string }{
	{"ad", "ad", "int"}, {"link_asymmetry_ps", "asym", "int"}, {"manual_phase_ps", "aux", "int"},
	{"clock_offset_ps", "cko", "int"}, {"cable_rt_delay_ps", "crtt", "int"}, {"master_slave_delay_ps", "dms", "int"},
	{"master_rx_phy_delay_ps", "drxm", "int"}, {"slave_rx_phy_delay_ps", "drxs", "int"},
	{"master_tx_phy_delay_ps", "dtxm", "int"}, {"slave_tx_phy_delay_ps", "dtxs", "int"}, {"hd", "hd", "int"},
	{"link", "lnk", "bool"}, {"lock", "lock", "bool"}, {"md", "md", "int"}, {"rt_time_ps", "mu", "int"},
	{"nsec", "nsec", "int"}, {"packets_received", "rx", "int"}, {"phase_setpoint_ps", "setp", "int"},
	{"servo_state", "ss", "str"}, {"sv", "sv", "int"}, {"sync_source", "syncs", "str"}, {"packets_sent", "tx", "int"},
	{"update_counter", "ucnt", "int"}, {"time", "sec", "bigint"},
}

func runNodeWhiteRabbit(g *gctx) error {
	const table = "node_white_rabbit_status"
	nodes, err := g.selectNodes(table)
	if err != nil {
		return err
	}
	keys := make([]string, len(nodes))
	for i, nd := range nodes {
		keys[i] = fmt.Sprintf("status:wr:heraNode%dwr", nd.n)
	}
	hs, err := g.hgetallMany(table, keys)
	if err != nil {
		return err
	}
	cols := []string{"node_time", "node", "board_info_str", "aliases", "ip", "mode", "serial", "temperature",
		"build_date", "gw_date", "gw_version", "gw_id", "build_hash", "manufacture_tag", "manufacture_device",
		"manufacture_date", "manufacture_partnum", "manufacture_serial", "manufacture_vendor"}
	for i := 0; i < 2; i++ {
		for _, p := range wrPortFields {
			cols = append(cols, fmt.Sprintf("port%d_%s", i, p.col))
		}
	}
	rows := newRows(table, cols...)
	for i, nd := range nodes {
		key := keys[i]
		h, ok := hs[key]
		if !ok {
			continue // wrong type, reported
		}
		if len(h) == 0 {
			// The original's NULL node_time fails the whole command (quirk 8).
			g.skip(table, key, "", "key missing for a node with a full status")
			continue
		}
		nt, err := wrNodeTime(h)
		if err != nil {
			// The record is skipped: not also reported as a NULL column.
			g.skip(table, key, "timestamp", err.Error())
			continue
		}
		f := &fields{g: g, table: table, key: key, h: h}
		vals := []any{nt, int32(nd.n), f.str("board_info_str"), f.aliases("aliases"), f.str("ip"), f.str("mode"),
			f.str("serial"), f.floatNoNaN("temp"), f.isoGPS("sw_build_date"), f.gwDate("wr_gw_date"),
			f.str("wr_gw_version"), f.str("wr_gw_id"), f.str("wr_build"), f.str("wr_fru_custom"), f.str("wr_fru_device"),
			f.isoGPS("wr_fru_fid"), f.str("wr_fru_partnum"), f.str("wr_fru_serial"), f.str("wr_fru_vendor")}
		for p := 0; p < 2; p++ {
			for _, c := range wrPortFields {
				name := fmt.Sprintf("wr%d_%s", p, c.field)
				switch c.kind {
				case "int":
					vals = append(vals, f.int32(name))
				case "bigint":
					vals = append(vals, f.int64(name))
				case "bool":
					// Deviation (quirk 5): '0' is false, not bool('0').
					vals = append(vals, f.boolMeaning(name))
				default:
					vals = append(vals, f.str(name))
				}
			}
		}
		rows.add(vals...)
	}
	return g.writeAll(rows)
}

// wrNodeTime is node_white_rabbit_status.node_time:
// floor(gps(dateutil.parse(timestamp))).
func wrNodeTime(h map[string]string) (int64, error) {
	v, ok := h["timestamp"]
	switch {
	case !ok:
		return 0, fmt.Errorf("field missing")
	case !isText(v):
		return 0, fmt.Errorf("%s", notText)
	}
	t, err := ParseISOTime(v)
	if err != nil {
		return 0, fmt.Errorf("unparseable timestamp %q: %v", clip(v), err)
	}
	return FloorGPSTime(t)
}

// aliases is ", ".join(json.loads(x)); an empty list is NULL.
func (f *fields) aliases(name string) any {
	v, ok := f.value(name)
	if !ok {
		return nil
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err != nil {
		f.bad(name, "malformed JSON: "+err.Error())
		return nil
	}
	var parts []string
	switch a := x.(type) {
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				f.bad(name, "alias list holds a non-string")
				return nil
			}
			parts = append(parts, s)
		}
	case string:
		for _, r := range a {
			parts = append(parts, string(r))
		}
	case nil:
		return nil
	default:
		f.bad(name, "aliases is not a list")
		return nil
	}
	if len(parts) == 0 {
		return nil
	}
	joined := strings.Join(parts, ", ")
	if !isText(joined) {
		// A \u0000 escape decodes to a NUL, which PostgreSQL refuses:
		// it would fail the whole group's write.
		f.g.null(f.table, f.key, name, "alias "+notText)
		return nil
	}
	f.ok++
	return joined
}

// gwDate is floor(gps(dateutil.parse('20' + x))).
func (f *fields) gwDate(name string) any { return f.prefixedISOGPS(name, "20") }
