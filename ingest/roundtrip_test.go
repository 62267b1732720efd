package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rdbtool/rdbtool/fixture"
	"github.com/rdbtool/rdbtool/fixture/pgfixture"
	"github.com/rdbtool/rdbtool/internal/sitegen/site"
	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"
)

// The checks below compute what each table must hold from the Redis the
// pass read, with their own simple arithmetic (post-2017 GPS = Unix −
// 315964782), never from the ingest's output.

const dumpPath = "../testdata/dump.rdb"

// testNow is the ingest clock of the round-trip tests: a minute after the
// site's clock.
var testNow = site.DefaultNow.Add(time.Minute)

func fixedNow() time.Time { return testNow }

// siteDump returns the path of the site dump: testdata/dump.rdb when it is
// the site-shaped dump, else a dump written from the generator (no fpg:*,
// no TTLs: what rdbtool refresh leaves).
func siteDump(t testing.TB) string {
	if b, err := os.ReadFile(dumpPath); err == nil && bytes.Contains(b, []byte("corr:map")) {
		return dumpPath
	}
	p := filepath.Join(t.TempDir(), "dump.rdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Build(site.Small()).WriteRDB(f, site.WriteOptions{NoIgnored: true, NoTTLs: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadSite(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	return fixture.Load(t, siteDump(t))
}

func gpsOf(u float64) int64 { return int64(math.Floor(u)) - 315964782 }

func pyF(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("test data: %q: %v", s, err)
	}
	return f
}

func isoGPS(s string) (int64, bool) {
	tt, err := time.Parse("2006-01-02T15:04:05.999999", s)
	if err != nil {
		return 0, false
	}
	return tt.Unix() - 315964782, true
}

func count(t *testing.T, db *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// rowMaps returns every row of a query as column -> value.
func rowMaps(t *testing.T, db *pgxpool.Pool, sql string, args ...any) []map[string]any {
	t.Helper()
	rows, err := db.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToMap)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, rc := loadSite(t)
	db := pgfixture.DB(t)
	rep, err := Run(ctx, rc, db, Options{Now: fixedNow, Hostname: "mc-test"})
	if err != nil {
		t.Fatalf("pass: %v", err)
	}
	nowGPS := gpsOf(float64(testNow.Unix()))

	t.Run("bad records", func(t *testing.T) {
		want := site.Build(site.Small()).Bad
		got := map[string]Skip{}
		for _, s := range rep.Skipped {
			got[s.Table+"|"+s.Key+"|"+s.Field] = s
		}
		for _, b := range want {
			s, ok := got[b.Table+"|"+b.Key+"|"+b.Field]
			if !ok {
				t.Errorf("bad record %s %s %q (%s) not reported", b.Table, b.Key, b.Field, b.Why)
				continue
			}
			if s.Action != b.Action {
				t.Errorf("%s %s %q: action %s, want %s", b.Table, b.Key, b.Field, s.Action, b.Action)
			}
			if s.Reason == "" {
				t.Errorf("%s %s: no reason", b.Table, b.Key)
			}
		}
		if len(rep.Skipped) != len(want) {
			t.Errorf("%d skips reported, the dump has %d bad records: %+v", len(rep.Skipped), len(want), rep.Skipped)
		}
	})

	t.Run("array_signal_source", func(t *testing.T) {
		in := rc.HGetAll(ctx, "corr:status:input").Val()
		fem := rc.HGetAll(ctx, "corr:fem_switch_state").Val()
		if in["source"] != "adc" {
			t.Fatalf("test expects source adc, dump has %q", in["source"])
		}
		want := gpsOf(math.Max(pyF(t, in["time"]), pyF(t, fem["time"])))
		rows := rowMaps(t, db, `SELECT time, source FROM array_signal_source`)
		if len(rows) != 1 || rows[0]["time"] != want || rows[0]["source"] != fem["state"] {
			t.Errorf("rows %v, want time %d source %s", rows, want, fem["state"])
		}
	})

	t.Run("correlator_component_event_time", func(t *testing.T) {
		ms := pyF(t, rc.Get(ctx, "corr:feng_sync_time").Val())
		sync := float64(ms*1e-3) - 315964782
		h := rc.HGetAll(ctx, "corr:is_taking_data").Val()
		catcher := pyF(t, h["time"]) - 315964782
		rows := rowMaps(t, db, `SELECT component, event, time FROM correlator_component_event_time ORDER BY component`)
		if len(rows) != 2 {
			t.Fatalf("rows %v", rows)
		}
		wantEvent := "stop"
		if h["state"] == "True" {
			wantEvent = "start"
		}
		if rows[0]["component"] != "catcher" || rows[0]["event"] != wantEvent || rows[0]["time"] != catcher {
			t.Errorf("catcher row %v, want %s %v", rows[0], wantEvent, catcher)
		}
		if rows[1]["component"] != "f_engine" || rows[1]["event"] != "sync" || rows[1]["time"] != sync {
			t.Errorf("f_engine row %v, want time %v (bit-identical)", rows[1], sync)
		}
	})

	t.Run("correlator_catcher_file", func(t *testing.T) {
		h := rc.HGetAll(ctx, "corr:current_file").Val()
		rows := rowMaps(t, db, `SELECT time, filename FROM correlator_catcher_file`)
		if len(rows) != 1 || rows[0]["time"] != gpsOf(pyF(t, h["time"])) || rows[0]["filename"] != h["filename"] {
			t.Errorf("rows %v, want %v", rows, h)
		}
	})

	t.Run("correlator_file_queues", func(t *testing.T) {
		rows := rowMaps(t, db, `SELECT time, queue, length, oldest_entry, newest_entry FROM correlator_file_queues`)
		byQueue := map[string]map[string]any{}
		for _, r := range rows {
			if r["time"] != nowGPS {
				t.Errorf("queue row time %v, want %d", r["time"], nowGPS)
			}
			byQueue[r["queue"].(string)] = r
		}
		written := 0
		for _, q := range FileQueues {
			typ := rc.Type(ctx, q.Key).Val()
			wantType := "list"
			if q.Hash {
				wantType = "hash"
			}
			r, ok := byQueue[q.Queue]
			if typ != wantType && typ != "none" {
				if ok {
					t.Errorf("queue %s of wrong type %s written: %v", q.Queue, typ, r)
				}
				continue
			}
			written++
			if !ok {
				t.Errorf("queue %s missing", q.Queue)
				continue
			}
			var n int
			var oldest, newest any
			if q.Hash {
				fs := rc.HKeys(ctx, q.Key).Val()
				sort.Strings(fs)
				n = len(fs)
				if n > 0 {
					oldest, newest = fs[0], fs[n-1]
				}
			} else {
				l := rc.LRange(ctx, q.Key, 0, -1).Val()
				n = len(l)
				if n > 0 {
					oldest, newest = l[0], l[n-1]
				}
			}
			if r["length"] != int32(n) || r["oldest_entry"] != oldest || r["newest_entry"] != newest {
				t.Errorf("queue %s: %v, want %d %v %v", q.Queue, r, n, oldest, newest)
			}
		}
		if len(rows) != written {
			t.Errorf("%d queue rows, want %d", len(rows), written)
		}
	})

	t.Run("correlator_file_eod", func(t *testing.T) {
		h := rc.HGetAll(ctx, "corr:files:jds").Val()
		rows := rowMaps(t, db, `SELECT * FROM correlator_file_eod`)
		if len(rows) != len(h) {
			t.Fatalf("%d rows for %d JDs", len(rows), len(h))
		}
		col := map[string]string{"0": "time_start", "1": "time_converted", "2": "time_uploaded", "-1": "time_launch_failed"}
		for _, r := range rows {
			st := h[fmt.Sprint(r["jd"])]
			for _, c := range []string{"time_start", "time_converted", "time_uploaded", "time_launch_failed"} {
				if c == col[st] && r[c] != nowGPS || c != col[st] && r[c] != nil {
					t.Errorf("jd %v status %s: %s = %v", r["jd"], st, c, r[c])
				}
			}
		}
	})

	t.Run("correlator config", func(t *testing.T) {
		h := rc.HGetAll(ctx, "snap_configuration").Val()
		var cfg struct {
			FFTShift int                       `yaml:"fft_shift"`
			Fpgfile  string                    `yaml:"fpgfile"`
			Feng     map[string]map[string]any `yaml:"fengines"`
			Xeng     map[int]map[string]any    `yaml:"xengines"`
		}
		if err := yaml.Unmarshal([]byte(h["config"]), &cfg); err != nil {
			t.Fatal(err)
		}
		want := gpsOf(pyF(t, h["upload_time"]))
		files := rowMaps(t, db, `SELECT f.config_hash, f.filename, y.yaml FROM correlator_config_file f JOIN correlator_config_yaml y USING (config_hash)`)
		if len(files) != 1 || files[0]["config_hash"] != h["md5"] || files[0]["filename"] != fmt.Sprintf("correlator_config_%d.yaml", want) || files[0]["yaml"] != h["config"] {
			t.Errorf("config file rows %v", files)
		}
		st := rowMaps(t, db, `SELECT time, config_hash FROM correlator_config_status`)
		if len(st) != 1 || st[0]["time"] != want || st[0]["config_hash"] != h["md5"] {
			t.Errorf("config status %v, want %d", st, want)
		}
		params := map[string]string{}
		for _, r := range rowMaps(t, db, `SELECT parameter, value FROM correlator_config_params`) {
			params[r["parameter"].(string)] = r["value"].(string)
		}
		hosts := make([]string, 0, len(cfg.Feng))
		for k := range cfg.Feng {
			hosts = append(hosts, k)
		}
		sort.Strings(hosts)
		if params["fft_shift"] != strconv.Itoa(cfg.FFTShift) || params["fpgfile"] != cfg.Fpgfile || params["fengines"] != strings.Join(hosts, ",") {
			t.Errorf("params %v", params)
		}
		if len(params) != 8+5*len(cfg.Xeng) {
			t.Errorf("%d params for %d xengines", len(params), len(cfg.Xeng))
		}
		x0 := cfg.Xeng[0]
		even := x0["even"].(map[string]any)
		cr := x0["chan_range"].([]any)
		if params["x0:even:mac"] != fmt.Sprint(even["mac"]) || params["x0:even:ip"] != even["ip"] || params["x0:chan_range"] != fmt.Sprintf("%v,%v", cr[0], cr[1]) {
			t.Errorf("x0 params: %q %q %q", params["x0:even:mac"], params["x0:even:ip"], params["x0:chan_range"])
		}
		if n := count(t, db, `SELECT count(*) FROM correlator_config_active_snap`); n != len(hosts) {
			t.Errorf("%d active snaps, want %d", n, len(hosts))
		}
		nin, npsi := 0, 0
		for _, host := range hosts {
			ants := cfg.Feng[host]["ants"].([]any)
			psi := cfg.Feng[host]["phase_switch_index"].([]any)
			nin += len(ants)
			npsi += len(psi)
			for i, a := range ants {
				if n := count(t, db, `SELECT count(*) FROM correlator_config_input_index WHERE correlator_index = $1 AND hostname = $2 AND antenna_index_position = $3`, a, host, i); n != 1 {
					t.Errorf("input index %v of %s missing", a, host)
				}
			}
			for i, p := range psi {
				if n := count(t, db, `SELECT count(*) FROM correlator_config_phase_switch_index WHERE hostname = $1 AND phase_switch_index = $2 AND antpol_index_position = $3`, host, p, i); n != 1 {
					t.Errorf("phase switch index %v of %s missing", p, host)
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM correlator_config_input_index`); n != nin {
			t.Errorf("%d input rows, want %d", n, nin)
		}
		if n := count(t, db, `SELECT count(*) FROM correlator_config_phase_switch_index`); n != npsi {
			t.Errorf("%d psi rows, want %d", n, npsi)
		}
	})

	snapRE := regexp.MustCompile(`^heraNode(\d+)Snap(\d+)$`)
	var cm struct {
		AntToSnap map[string]map[string]struct {
			Host    string
			Channel int
		} `json:"-"`
		SnapToSerial map[string]string
	}
	cmh := rc.HGetAll(ctx, "corr:map").Val()
	if err := json.Unmarshal([]byte(cmh["ant_to_snap"]), &cm.AntToSnap); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cmh["snap_to_serial"]), &cm.SnapToSerial); err != nil {
		t.Fatal(err)
	}
	// good SNAP hashes: a hash with an ISO timestamp
	goodSnaps := map[string]map[string]string{}
	for _, k := range rc.Keys(ctx, "status:snap:*").Val() {
		if rc.Type(ctx, k).Val() != "hash" {
			continue
		}
		h := rc.HGetAll(ctx, k).Val()
		if _, ok := isoGPS(h["timestamp"]); ok {
			goodSnaps[strings.TrimPrefix(k, "status:snap:")] = h
		}
	}

	t.Run("snap_status", func(t *testing.T) {
		rows := rowMaps(t, db, `SELECT * FROM snap_status`)
		if len(rows) != len(goodSnaps) {
			t.Errorf("%d rows, want %d", len(rows), len(goodSnaps))
		}
		for _, r := range rows {
			host := r["hostname"].(string)
			h, ok := goodSnaps[host]
			if !ok {
				t.Errorf("unexpected host %s", host)
				continue
			}
			tm, _ := isoGPS(h["timestamp"])
			m := snapRE.FindStringSubmatch(host)
			node, _ := strconv.Atoi(m[1])
			loc, _ := strconv.Atoi(m[2])
			var wantNode, wantLoc any
			if cm.SnapToSerial[host] == h["serial"] {
				wantNode, wantLoc = int32(node), int32(loc)
			}
			pps, _ := strconv.ParseInt(h["pps_count"], 10, 64)
			var temp any
			if f, err := strconv.ParseFloat(h["temp"], 64); err == nil {
				temp = f
			}
			if r["time"] != tm || r["node"] != wantNode || r["snap_loc_num"] != wantLoc || r["serial_number"] != h["serial"] ||
				r["pps_count"] != pps || r["fpga_temp"] != temp || r["is_programmed"] != (h["is_programmed"] == "True") ||
				r["adc_is_configured"] != (h["adc_is_configured"] == "1") || r["version"] != h["version"] ||
				r["is_initialized"] != (h["is_initialized"] == "1") || r["dest_is_configured"] != (h["dest_is_configured"] == "1") ||
				r["uptime_cycles"] != pyInt(h["uptime"]) ||
				r["sample_rate"] != pyF(t, h["sample_rate"]) || r["psu_alert"] != nil || r["last_programmed_time"] != nil {
				t.Errorf("%s: row %v\nfrom %v", host, r, h)
			}
		}
	})

	t.Run("snap_input", func(t *testing.T) {
		byHostChan := map[string][2]any{}
		for ant, pols := range cm.AntToSnap {
			a, _ := strconv.Atoi(ant)
			for pol, v := range pols {
				byHostChan[fmt.Sprintf("%s/%d", v.Host, v.Channel)] = [2]any{int32(a), pol}
			}
		}
		rows := rowMaps(t, db, `SELECT * FROM snap_input`)
		if len(rows) != 6*len(goodSnaps) {
			t.Errorf("%d rows, want %d", len(rows), 6*len(goodSnaps))
		}
		for _, r := range rows {
			host := r["hostname"].(string)
			ch := r["snap_channel_number"].(int32)
			var want any // no input field: NULL
			if in, ok := goodSnaps[host]["input"]; ok {
				want = strings.Split(in, ",")[ch]
			}
			ap := byHostChan[fmt.Sprintf("%s/%d", host, ch)]
			if r["antenna_number"] != ap[0] || r["antenna_feed_pol"] != ap[1] || r["snap_input"] != want {
				t.Errorf("snap_input %v, want %v %v", r, ap, want)
			}
		}
	})

	t.Run("snap_feng_init_status", func(t *testing.T) {
		h := rc.HGetAll(ctx, "snap_log").Val()
		want := map[string]string{}
		for f, v := range h {
			if strings.Contains(f, "time") || v == "" {
				continue
			}
			for _, host := range strings.Split(v, ",") {
				want[host] = f
			}
		}
		tm, _ := isoGPS(h["log_time_stop"])
		rows := rowMaps(t, db, `SELECT * FROM snap_feng_init_status`)
		if len(rows) != len(want) {
			t.Errorf("%d rows, want %d", len(rows), len(want))
		}
		for _, r := range rows {
			if r["time"] != tm || r["status"] != want[r["hostname"].(string)] {
				t.Errorf("row %v", r)
			}
		}
	})

	t.Run("versions", func(t *testing.T) {
		want := 0
		for _, k := range rc.Keys(ctx, "version:*").Val() {
			h := rc.HGetAll(ctx, k).Val()
			tm, ok := isoGPS(h["timestamp"])
			if !ok {
				continue
			}
			want++
			pkg := k[len("version:"):]
			if n := count(t, db, `SELECT count(*) FROM correlator_software_versions WHERE package = $1 AND version = $2 AND time = $3`, pkg, h["version"], tm); n != 1 {
				t.Errorf("version row for %s missing", k)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM correlator_software_versions`); n != want {
			t.Errorf("%d version rows, want %d", n, want)
		}
		if n := count(t, db, `SELECT count(*) FROM correlator_software_versions WHERE package = 'node_control:hera_node_receiver.py'`); n != 1 {
			t.Errorf("node_control package name not kept whole")
		}
		init := rc.HGetAll(ctx, "init_configuration").Val()
		rows := rowMaps(t, db, `SELECT * FROM snap_config_version`)
		if len(rows) != 1 || rows[0]["init_time"] != gpsOf(pyF(t, init["init_time"])) || rows[0]["version"] != init["hera_corr_f_version"] ||
			rows[0]["init_args"] != init["init_args"] || rows[0]["config_hash"] != init["md5"] {
			t.Errorf("snap_config_version %v", rows)
		}
	})

	t.Run("antenna_status", func(t *testing.T) {
		want := 0
		for ant, pols := range cm.AntToSnap {
			for pol, v := range pols {
				h, ok := goodSnaps[v.Host]
				if !ok {
					continue
				}
				want++
				s, p := v.Channel, v.Channel/2
				rows := rowMaps(t, db, `SELECT * FROM antenna_status WHERE antenna_number = $1 AND antenna_feed_pol = $2`, ant, pol)
				if len(rows) != 1 {
					t.Errorf("antenna %s%s: %d rows", ant, pol, len(rows))
					continue
				}
				r := rows[0]
				tm, _ := isoGPS(h["timestamp"])
				fl := func(f string) any {
					x, err := strconv.ParseFloat(h[f], 64)
					if err != nil || math.IsNaN(x) {
						return nil
					}
					return x
				}
				hist := h[fmt.Sprintf("stream%d_hist", s)]
				counts := make([]string, len(hist)/8)
				for i := range counts {
					counts[i] = strconv.FormatInt(int64(binary.LittleEndian.Uint64([]byte(hist[8*i:]))), 10)
				}
				// eq_coeffs: the float64s read from Redis, each cast to
				// float32, must come back from the stored text bit for bit,
				// each element in numpy's str(float32) form.
				eqRaw, hasEq := h[fmt.Sprintf("stream%d_eq_coeffs", s)]
				if hasEq && len(eqRaw)%8 == 0 {
					checkEqCoeffs(t, ant+pol, []byte(eqRaw), r["eq_coeffs"])
				} else if r["eq_coeffs"] != nil {
					t.Errorf("antenna %s%s eq_coeffs = %v, want NULL", ant, pol, r["eq_coeffs"])
				}
				// ids: a JSON list of ints joined with ':'; the dump's other
				// ids (null, UNKNOWN, a malformed list) are NULL.
				intList := func(f string) any {
					var l []int
					if json.Unmarshal([]byte(h[f]), &l) != nil || l == nil {
						return nil
					}
					parts := make([]string, len(l))
					for i, x := range l {
						parts[i] = strconv.Itoa(x)
					}
					return strings.Join(parts, ":")
				}
				pamID, femID := intList(fmt.Sprintf("pam%d_id", p)), intList(fmt.Sprintf("fem%d_id", p))
				var sw any
				if x := h[fmt.Sprintf("fem%d_switch", p)]; x == "antenna" || x == "load" || x == "noise" {
					sw = x
				}
				var atten any
				if x, err := strconv.Atoi(h[fmt.Sprintf("pam%d_atten_%s", p, pol)]); err == nil {
					atten = int32(x)
				}
				checks := map[string]any{
					"time": tm, "snap_hostname": v.Host, "snap_channel_number": int32(s),
					"adc_mean": fl(fmt.Sprintf("stream%d_mean", s)), "adc_rms": fl(fmt.Sprintf("stream%d_rms", s)),
					"adc_power": fl(fmt.Sprintf("stream%d_power", s)), "pam_atten": atten,
					"pam_power": fl(fmt.Sprintf("pam%d_power_%s", p, pol)), "pam_voltage": fl(fmt.Sprintf("pam%d_voltage", p)),
					"fem_temp": fl(fmt.Sprintf("fem%d_temp", p)), "fem_imu_phi": fl(fmt.Sprintf("fem%d_imu_phi", p)),
					"histogram": "[" + strings.Join(counts, ",") + "]", "pam_id": pamID, "fem_id": femID, "fem_switch": sw,
					"pam_current": fl(fmt.Sprintf("pam%d_current", p)), "fem_voltage": fl(fmt.Sprintf("fem%d_voltage", p)),
					"fem_current": fl(fmt.Sprintf("fem%d_current", p)), "fem_imu_theta": fl(fmt.Sprintf("fem%d_imu_theta", p)),
					"fem_lna_power": h[fmt.Sprintf("fem%d_lna_power_%s", p, pol)] == "True", "fft_overflow": h["fft_overflow"] == "True",
				}
				for c, w := range checks {
					if r[c] != w {
						t.Errorf("antenna %s%s %s = %#v, want %#v", ant, pol, c, r[c], w)
					}
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM antenna_status`); n != want {
			t.Errorf("%d antenna rows, want %d", n, want)
		}
	})

	t.Run("autos", func(t *testing.T) {
		ts := []byte(rc.Get(ctx, "auto:timestamp").Val())
		jd := math.Float64frombits(binary.LittleEndian.Uint64(ts))
		tm := int64(math.Floor((jd-2440587.5)*86400 - 315964782))
		want := 0
		for _, k := range rc.Keys(ctx, "auto:*").Val() {
			m := regexp.MustCompile(`^auto:(\d+)([en])$`).FindStringSubmatch(k)
			b := []byte(rc.Get(ctx, k).Val())
			if m == nil || len(b)%4 != 0 {
				continue
			}
			want++
			v := make([]float32, len(b)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			s := append([]float32(nil), v...)
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
			var med float32
			if n := len(s); n%2 == 1 {
				med = s[n/2]
			} else {
				sum := s[n/2-1] + s[n/2]
				med = sum / 2
			}
			var value float64
			var spec []float32
			err := db.QueryRow(ctx, `SELECT a.value, s.spectrum FROM hera_autos a JOIN hera_auto_spectrum s USING (time, antenna_number, antenna_feed_pol)
				WHERE a.time = $1 AND a.antenna_number = $2 AND a.antenna_feed_pol = $3 AND a.measurement_type = 'median'`, tm, m[1], m[2]).Scan(&value, &spec)
			if err != nil {
				t.Errorf("%s: %v", k, err)
				continue
			}
			if value != float64(med) || len(spec) != len(v) {
				t.Errorf("%s: median %v want %v, %d channels want %d", k, value, med, len(spec), len(v))
			}
			for i := range v {
				if math.Float32bits(spec[i]) != math.Float32bits(v[i]) {
					t.Errorf("%s channel %d: %v want %v", k, i, spec[i], v[i])
					break
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM hera_autos`); n != want {
			t.Errorf("%d autos, want %d", n, want)
		}
	})

	// nodes with a full status hash
	type node struct {
		n int
		h map[string]string
	}
	var nodes []node
	for n := 0; n < 30; n++ {
		h := rc.HGetAll(ctx, fmt.Sprintf("status:node:%d", n)).Val()
		if len(h) >= 18 {
			nodes = append(nodes, node{n, h})
		}
	}
	if len(nodes) < 4 {
		t.Fatalf("dump has %d nodes", len(nodes))
	}

	t.Run("node_sensor and node_power_status", func(t *testing.T) {
		want := 0
		for _, nd := range nodes {
			u, err := strconv.ParseFloat(nd.h["timestamp"], 64)
			if err != nil {
				continue
			}
			want++
			rows := rowMaps(t, db, `SELECT * FROM node_sensor s JOIN node_power_status p USING (time, node) WHERE node = $1`, nd.n)
			if len(rows) != 1 {
				t.Errorf("node %d: %d rows", nd.n, len(rows))
				continue
			}
			r := rows[0]
			fl := func(f string) any {
				x, err := strconv.ParseFloat(nd.h[f], 64)
				if err != nil {
					return nil
				}
				return x
			}
			checks := map[string]any{"time": gpsOf(u), "top_sensor_temp": fl("temp_top"), "middle_sensor_temp": fl("temp_mid"),
				"bottom_sensor_temp": fl("temp_bot"), "humidity_sensor_temp": fl("temp_humid"), "humidity": fl("humid"),
				"snap_relay_powered": nd.h["power_snap_relay"] == "1", "snap3_powered": nd.h["power_snap_3"] == "1",
				"pam_powered": nd.h["power_pam"] == "1", "fem_powered": nd.h["power_fem"] == "1"}
			for c, w := range checks {
				if r[c] != w {
					t.Errorf("node %d %s = %#v, want %#v", nd.n, c, r[c], w)
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM node_sensor`); n != want {
			t.Errorf("%d node_sensor rows, want %d", n, want)
		}
		if n := count(t, db, `SELECT count(*) FROM node_power_status`); n != want {
			t.Errorf("%d node_power_status rows, want %d", n, want)
		}
	})

	t.Run("node_power_command", func(t *testing.T) {
		parts := map[string]string{"power_snap_relay_cmd": "snap_relay", "power_snap_0_cmd": "snap0", "power_snap_1_cmd": "snap1",
			"power_snap_2_cmd": "snap2", "power_snap_3_cmd": "snap3", "power_fem_cmd": "fem", "power_pam_cmd": "pam", "reset": "reset"}
		want := 0
		for _, nd := range nodes {
			for f, v := range rc.HGetAll(ctx, fmt.Sprintf("commands:node:%d", nd.n)).Val() {
				part, ok := parts[f]
				if !ok {
					continue
				}
				cmd, ts, has := strings.Cut(v, "|")
				tm := int64(-315964910) // no '|': unix -99
				if has {
					u, err := strconv.ParseFloat(ts, 64)
					if err != nil {
						continue
					}
					tm = gpsOf(u)
				}
				want++
				if n := count(t, db, `SELECT count(*) FROM node_power_command WHERE time = $1 AND node = $2 AND part = $3 AND command = $4`, tm, nd.n, part, cmd); n != 1 {
					t.Errorf("command %d %s %q missing (time %d)", nd.n, f, v, tm)
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM node_power_command`); n != want {
			t.Errorf("%d commands, want %d", n, want)
		}
	})

	t.Run("node_white_rabbit_status", func(t *testing.T) {
		want := 0
		for _, nd := range nodes {
			h := rc.HGetAll(ctx, fmt.Sprintf("status:wr:heraNode%dwr", nd.n)).Val()
			tm, ok := isoGPS(h["timestamp"])
			if !ok {
				continue
			}
			want++
			rows := rowMaps(t, db, `SELECT * FROM node_white_rabbit_status WHERE node = $1`, nd.n)
			if len(rows) != 1 {
				t.Errorf("node %d: %d rows", nd.n, len(rows))
				continue
			}
			r := rows[0]
			var aliases any
			var al []string
			if json.Unmarshal([]byte(h["aliases"]), &al) == nil && len(al) > 0 {
				aliases = strings.Join(al, ", ")
			}
			flag := func(f string) any {
				switch h[f] {
				case "1":
					return true
				case "0":
					return false
				}
				return nil
			}
			i32 := func(f string) any {
				x, err := strconv.ParseInt(h[f], 10, 32)
				if err != nil {
					return nil
				}
				return int32(x)
			}
			sec, _ := strconv.ParseInt(h["wr0_sec"], 10, 64)
			checks := map[string]any{"node_time": tm, "aliases": aliases, "ip": h["ip"], "mode": h["mode"], "serial": h["serial"],
				"temperature": pyF(t, h["temp"]), "port0_link": flag("wr0_lnk"), "port1_link": flag("wr1_lnk"),
				"port0_lock": flag("wr0_lock"), "port1_lock": flag("wr1_lock"), "port0_servo_state": h["wr0_ss"],
				"port0_time": sec, "port1_cable_rt_delay_ps": i32("wr1_crtt"), "port0_update_counter": i32("wr0_ucnt"),
				"board_info_str": nil, "gw_date": nil}
			for c, w := range checks {
				if r[c] != w {
					t.Errorf("wr node %d %s = %#v, want %#v", nd.n, c, r[c], w)
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM node_white_rabbit_status`); n != want {
			t.Errorf("%d wr rows, want %d", n, want)
		}
	})

	t.Run("daemon_status", func(t *testing.T) {
		jd := int64(math.Floor(float64(testNow.Unix())/86400 + 2440587.5))
		keys := rc.Keys(ctx, "status:script:*").Val()
		want := 0
		for _, name := range LivenessDaemons {
			hosts := map[string]bool{}
			for _, k := range keys {
				if strings.HasSuffix(k, name) {
					hosts[strings.Split(k, ":")[2]] = true
				}
			}
			if len(hosts) == 0 {
				hosts["unknown"] = false
			}
			for h, alive := range hosts {
				want++
				st := "errored"
				if alive {
					st = "good"
				}
				if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = $1 AND hostname = $2 AND jd = $3 AND time = $4 AND status = $5`,
					name, h, jd, nowGPS, st); n != 1 {
					t.Errorf("daemon_status %s on %s (%s) missing", name, h, st)
				}
			}
		}
		for _, d := range []string{DaemonCorrelator, DaemonNodes, DaemonDaemons} {
			want++
			if n := count(t, db, `SELECT count(*) FROM daemon_status WHERE name = $1 AND hostname = 'mc-test' AND status = 'good'`, d); n != 1 {
				t.Errorf("daemon_status for the pass (%s) missing", d)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM daemon_status`); n != want {
			t.Errorf("%d daemon_status rows, want %d", n, want)
		}
		if n := count(t, db, `SELECT count(*) FROM subsystem_error`); n != 0 {
			t.Errorf("%d subsystem errors after a clean pass", n)
		}
	})

	t.Run("report counts", func(t *testing.T) {
		for _, tc := range rep.Tables {
			var n int64
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tc.Table}.Sanitize()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != tc.Rows {
				t.Errorf("report says %d rows in %s, table has %d", tc.Rows, tc.Table, n)
			}
		}
	})

	t.Run("second pass is idempotent", func(t *testing.T) {
		later := testNow.Add(time.Minute)
		rep2, err := Run(ctx, rc, db, Options{Now: func() time.Time { return later }, Hostname: "mc-test"})
		if err != nil {
			t.Fatal(err)
		}
		// Only the rows the reference stamps with the current time are new:
		// the file queues, and the daemon_status upserts (same rows, updated).
		for _, tc := range rep2.Tables {
			switch tc.Table {
			case "correlator_file_queues":
				if tc.Rows != rep.Rows(tc.Table) {
					t.Errorf("file queues: %d new rows, want %d", tc.Rows, rep.Rows(tc.Table))
				}
			case "daemon_status":
			default:
				if tc.Rows != 0 {
					t.Errorf("second pass wrote %d rows to %s", tc.Rows, tc.Table)
				}
			}
		}
		if n := count(t, db, `SELECT count(*) FROM daemon_status`); int64(n) != rep.Rows("daemon_status") {
			t.Errorf("daemon_status grew to %d rows on the same JD day", n)
		}
	})
}

// numpyFloat32Text is the form of numpy's str(np.float32): positional with a
// decimal point, or a mantissa and an exponent of at least two digits, or
// nan/inf.
var numpyFloat32Text = regexp.MustCompile(`^-?(?:\d+\.\d+|\d(?:\.\d+)?e[+-]\d{2,}|nan|inf)$`)

// checkEqCoeffs checks a stored eq_coeffs text against the raw float64 LE
// bytes read from Redis: one element per value, each parsing back to the
// value cast to float32, in numpy's text form.
func checkEqCoeffs(t *testing.T, antpol string, raw []byte, got any) {
	t.Helper()
	text, ok := got.(string)
	if !ok || !strings.HasPrefix(text, "[") || !strings.HasSuffix(text, "]") {
		t.Errorf("antenna %s eq_coeffs = %#v, want a list", antpol, got)
		return
	}
	elems := strings.Split(text[1:len(text)-1], ",")
	if text == "[]" {
		elems = nil
	}
	if len(elems) != len(raw)/8 {
		t.Errorf("antenna %s eq_coeffs has %d elements, Redis %d values", antpol, len(elems), len(raw)/8)
		return
	}
	for i, e := range elems {
		want := float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		back, err := strconv.ParseFloat(e, 32)
		if err != nil || math.Float32bits(float32(back)) != math.Float32bits(want) || !numpyFloat32Text.MatchString(e) {
			t.Errorf("antenna %s eq_coeffs[%d] = %q, want float32 %v in numpy text form", antpol, i, e, want)
		}
	}
}

// pyInt is the int64 of a decimal field, or nil.
func pyInt(s string) any {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return n
}
