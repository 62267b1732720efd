package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/fixture/pgfixture"
)

// TestS8CorrConfigFileRowFirstWins: hera-mc.md §3.16 step 2 adds the parsed
// rows only when correlator_config_file has no row for the hash ("If
// correlator_config_file has no row for this hash: ... Plain add of every
// parsed row"). With no status row at or before now (an upload time ahead
// of the ingest's clock) but the file row present, a different YAML under
// the same md5 must not add its rows to the stored config.
func TestS8CorrConfigFileRowFirstWins(t *testing.T) {
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	base := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	up := base.Add(time.Hour).Unix() // ahead of the pass clock: no S
	m.HSet("snap_configuration", "config", testConfig, "md5", "m", "upload_time", fmt.Sprint(up))
	runAt(t, rc, db, base, "config")
	snapshot := func() string {
		var b strings.Builder
		for _, q := range []string{
			`SELECT parameter || '=' || value FROM correlator_config_params WHERE config_hash = 'm' ORDER BY 1`,
			`SELECT hostname FROM correlator_config_active_snap WHERE config_hash = 'm' ORDER BY 1`,
			`SELECT correlator_index || hostname || antenna_index_position FROM correlator_config_input_index WHERE config_hash = 'm' ORDER BY 1`,
			`SELECT hostname || phase_switch_index || ':' || antpol_index_position FROM correlator_config_phase_switch_index WHERE config_hash = 'm' ORDER BY 1`,
		} {
			for _, r := range rowMaps(t, db, q) {
				for _, v := range r {
					fmt.Fprintf(&b, "%v\n", v)
				}
			}
		}
		return b.String()
	}
	before := snapshot()
	if !strings.Contains(before, "heraNode2Snap1") {
		t.Fatalf("first config not stored:\n%s", before)
	}
	other := strings.Replace(testConfig, "fengines:\n", "fengines:\n  heraNode3Snap0: {ants: [20, 21, 22], phase_switch_index: [0, 1, 2, 3, 4, 5]}\n", 1)
	other = strings.Replace(other, "walsh_delay: 600", "walsh_delay: 601", 1)
	other += "  30: {chan_range: [0, 1], even: {ip: 10.0.0.9, mac: 9}, odd: {ip: 10.0.0.8, mac: 8}}\n"
	if _, err := parseCorrelatorConfig(other); err != nil {
		t.Fatal(err)
	}
	m.HSet("snap_configuration", "config", other)
	rep := runAt(t, rc, db, base.Add(time.Minute), "config")
	if after := snapshot(); after != before {
		t.Errorf("rows of a second YAML under hash m were added to the first:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, tb := range configTables {
		if n := rep.Rows(tb); n != 0 {
			t.Errorf("second pass wrote %d rows to %s", n, tb)
		}
	}
}

// TestS8CorrConfigDuplicateKeysLastWins: the reference loads the config
// with PyYAML (hera-mc.md §3.16: yaml.load(config, FullLoader)), which
// accepts a mapping key given twice and keeps the later value, as a dict
// assignment does. yaml.v3 refuses such a document, which skipped the
// whole config (and the snap_config_version row that needs it).
func TestS8CorrConfigDuplicateKeysLastWins(t *testing.T) {
	cfg := strings.Replace(testConfig, "fft_shift: 15086\n", "fft_shift: 1\nfft_shift: 15086\n", 1)
	cfg = strings.Replace(cfg, "fengines:\n", "fengines:\n  heraNode10Snap0: {ants: [90], phase_switch_index: [91]}\n", 1)
	cfg = strings.Replace(cfg, "even: {ip: 10.0.0.3, mac: 1}", "even: {ip: 10.0.0.7, mac: 1, ip: 10.0.0.3}", 1)
	c, err := parseCorrelatorConfig(cfg)
	if err != nil {
		t.Fatalf("config with repeated keys refused: %v", err)
	}
	want, err := parseCorrelatorConfig(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.params) != fmt.Sprint(want.params) || fmt.Sprint(c.active) != fmt.Sprint(want.active) ||
		fmt.Sprint(c.inputs) != fmt.Sprint(want.inputs) || fmt.Sprint(c.psi) != fmt.Sprint(want.psi) {
		t.Errorf("the later values do not win:\n%v %v %v %v\nwant\n%v %v %v %v", c.params, c.active, c.inputs, c.psi,
			want.params, want.active, want.inputs, want.psi)
	}
	// Two different keys stay two, whatever yaml.v3's own check compares.
	if _, err := parseCorrelatorConfig(strings.Replace(testConfig, "fpgfile: f.fpg\n", "fpgfile: f.fpg\n\"fpgfile \": g\n", 1)); err != nil {
		t.Errorf("distinct keys refused: %v", err)
	}
	m, rc := emptyRedis(t)
	db := pgfixture.DB(t)
	m.HSet("snap_configuration", "config", cfg, "md5", "dup", "upload_time", "1763636400")
	rep := runAt(t, rc, db, testNow, "config")
	if n := count(t, db, `SELECT count(*) FROM correlator_config_params WHERE config_hash = 'dup'`); n != len(want.params) || len(rep.Skipped) != 0 {
		t.Errorf("%d params stored, want %d; skipped %+v", n, len(want.params), rep.Skipped)
	}
}
