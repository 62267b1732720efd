// Package site builds the Redis content of a HERA-like telescope site: every
// key the ingest reads, in the formats the site's writers use
// (shared/docs/hera-mc.md §2-3), the keys the site carries that the ingest
// ignores (status:script:*, hashpipe://…/status, fpg:* bitfiles, keys with
// TTLs), and a handful of deliberately bad records (listed in Site.Bad).
//
// The content is deterministic for given Options. It can be written as an
// RDB file (WriteRDB) or applied to any Redis (Apply).
package site

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"time"
)

// Options size the site.
type Options struct {
	Nodes    int       // node numbers 1..Nodes (Nodes=30: 0..29)
	Snaps    int       // SNAPs per node (4)
	AntsSnap int       // antennas per SNAP (3)
	MaxAnts  int       // cap on the number of antennas (0: none)
	Channels int       // auto spectrum length
	Now      time.Time // the site's wall clock
	Bad      bool      // include the deliberately bad records
	Ignored  bool      // include keys the ingest ignores (fpg:*, hashpipe, cminfo)
	TTLs     bool      // give keys the TTLs the site gives them
	Seed     int64
}

// Small is the committed test dump's size: 6 nodes x 4 SNAPs x 3 antennas x
// 2 polarisations, 1536-channel autos.
func Small() Options {
	return Options{Nodes: 6, Snaps: 4, AntsSnap: 3, Channels: 1536, Now: DefaultNow, Bad: true, Ignored: true, TTLs: true, Seed: 1}
}

// Full is the benchmark's size: 30 nodes x 4 SNAPs, 350 antennas x 2
// polarisations, 6144-channel autos.
func Full() Options {
	return Options{Nodes: 30, Snaps: 4, AntsSnap: 3, MaxAnts: 350, Channels: 6144, Now: DefaultNow, Seed: 2}
}

// DefaultNow is the site clock of the committed dump.
var DefaultNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Key is one Redis key. Exactly one of String, Hash or List is used, by Type.
type Key struct {
	Name   string
	Type   string // "string", "hash", "list"
	String []byte
	Hash   [][2]string // field order as written
	List   []string
	TTL    time.Duration // 0: none
}

// BadRecord is a record the ingest must report and skip (or NULL).
type BadRecord struct {
	Table  string
	Key    string
	Field  string // "" when the whole key is bad
	Action string // "skipped" or "null"
	Why    string
}

// Site is the generated content.
type Site struct {
	Opts Options
	Keys []*Key
	Bad  []BadRecord
	// SnapHosts are the SNAP hostnames in order.
	SnapHosts []string
	// Antennas are the antenna numbers in corr:map.
	Antennas []int
}

// Key returns the key named name, or nil.
func (s *Site) Key(name string) *Key {
	for _, k := range s.Keys {
		if k.Name == name {
			return k
		}
	}
	return nil
}

type gen struct {
	s   *Site
	r   *rand.Rand
	now float64
}

func (g *gen) add(k *Key) *Key { g.s.Keys = append(g.s.Keys, k); return k }

func (g *gen) hash(name string, kv ...string) *Key {
	k := &Key{Name: name, Type: "hash"}
	for i := 0; i+1 < len(kv); i += 2 {
		k.Hash = append(k.Hash, [2]string{kv[i], kv[i+1]})
	}
	return g.add(k)
}

func (k *Key) set(field, value string) {
	for i := range k.Hash {
		if k.Hash[i][0] == field {
			k.Hash[i][1] = value
			return
		}
	}
	k.Hash = append(k.Hash, [2]string{field, value})
}

func (k *Key) del(field string) {
	for i := range k.Hash {
		if k.Hash[i][0] == field {
			k.Hash = append(k.Hash[:i], k.Hash[i+1:]...)
			return
		}
	}
}

func (g *gen) bad(table, key, field, action, why string) {
	g.s.Bad = append(g.s.Bad, BadRecord{table, key, field, action, why})
}

// iso is datetime.isoformat() of a naive UTC time (microseconds when non-zero).
func iso(u float64) string {
	sec := math.Floor(u)
	us := int(math.Round((u - sec) * 1e6))
	t := time.Unix(int64(sec), int64(us)*1000).UTC()
	if us == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

func f64s(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

func f32s(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func i64s(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

func pyFloat(x float64) string {
	s := fmt.Sprintf("%.6f", x)
	s = strings.TrimRight(s, "0")
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	return s
}

// SnapHost is the CM hostname of a SNAP.
func SnapHost(node, loc int) string { return fmt.Sprintf("heraNode%dSnap%d", node, loc) }

// Build generates the site.
func Build(o Options) *Site {
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	g := &gen{s: &Site{Opts: o}, r: rand.New(rand.NewSource(o.Seed)), now: float64(o.Now.UnixMicro()) / 1e6}
	nodes := make([]int, 0, o.Nodes)
	for i := 0; i < o.Nodes; i++ {
		if o.Nodes >= 30 {
			nodes = append(nodes, i)
		} else {
			nodes = append(nodes, i+1)
		}
	}
	g.correlator(nodes)
	g.nodes(nodes)
	g.scripts()
	if o.Ignored {
		g.ignored()
	}
	sort.SliceStable(g.s.Keys, func(i, j int) bool { return g.s.Keys[i].Name < g.s.Keys[j].Name })
	return g.s
}

type snapInfo struct {
	host   string
	node   int
	loc    int
	serial string
	ants   []int // per antenna slot j (channels 2j: n, 2j+1: e)
}

func (g *gen) correlator(nodes []int) {
	o, now := g.s.Opts, g.now
	// CM snapshot: corr:map.
	var snaps []snapInfo
	ant := 0
	for _, n := range nodes {
		for l := 0; l < o.Snaps; l++ {
			si := snapInfo{host: SnapHost(n, l), node: n, loc: l, serial: fmt.Sprintf("SNPC%06d", 100+n*10+l)}
			for j := 0; j < o.AntsSnap; j++ {
				if o.MaxAnts > 0 && ant >= o.MaxAnts {
					break
				}
				// Station numbers as at the site: not contiguous per SNAP.
				a := 3*ant + 1 + ant%5
				si.ants = append(si.ants, a)
				g.s.Antennas = append(g.s.Antennas, a)
				ant++
			}
			snaps = append(snaps, si)
			g.s.SnapHosts = append(g.s.SnapHosts, si.host)
		}
	}
	antToSnap := map[string]map[string]map[string]any{}
	snapToAnt := map[string][]any{}
	allInputs := map[string][]string{}
	snapToSerial := map[string]string{}
	inputNames := []string{"n0", "e2", "n4", "e6", "n8", "e10"}
	for _, si := range snaps {
		row := make([]any, 6)
		var inputs []string
		for j, a := range si.ants {
			for _, ch := range []int{2 * j, 2*j + 1} {
				pol := string(inputNames[ch][0])
				if antToSnap[fmt.Sprint(a)] == nil {
					antToSnap[fmt.Sprint(a)] = map[string]map[string]any{}
				}
				antToSnap[fmt.Sprint(a)][pol] = map[string]any{"host": si.host, "channel": ch}
				row[ch] = fmt.Sprintf("HH%d%s", a, strings.ToUpper(pol))
				inputs = append(inputs, inputNames[ch])
			}
		}
		sort.Strings(inputs)
		snapToAnt[si.host] = row
		allInputs[si.host] = inputs
		snapToSerial[si.host] = si.serial
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	mapTime := now - 3600*5 - 0.25
	g.hash("corr:map", "ant_to_snap", js(antToSnap), "snap_to_ant", js(snapToAnt), "all_snap_inputs", js(allInputs),
		"snap_to_serial", js(snapToSerial), "update_time", pyFloat(mapTime), "update_time_str", iso(mapTime))

	// Signal source, sync, catcher.
	g.hash("corr:status:input", "source", "adc", "seed", "same", "time", pyFloat(now-86400*2-0.513))
	g.hash("corr:fem_switch_state", "state", "antenna", "time", pyFloat(now-86400-7200.918))
	sync := int64(now-86400*3) * 1000
	g.add(&Key{Name: "corr:feng_sync_time", Type: "string", String: []byte(fmt.Sprint(sync))})
	g.add(&Key{Name: "corr:feng_sync_time_str", Type: "string", String: []byte(iso(float64(sync) / 1000))})
	g.add(&Key{Name: "feng:sync_time", Type: "string", String: []byte(fmt.Sprint(sync / 1000))})
	k := g.hash("corr:is_taking_data", "state", "True", "time", fmt.Sprint(int64(now)-3))
	if o.TTLs {
		k.TTL = 60 * time.Second
	}
	jd := now/86400 + 2440587.5
	intJD := int64(jd)
	fileName := func(j float64) string { return fmt.Sprintf("%d/zen.%.5f.sum.dat", int64(j), j) }
	g.hash("corr:current_file", "filename", fileName(jd-0.0007), "time", fmt.Sprint(int64(now)-60))
	var raw []string
	for i := 0; i < 40; i++ {
		j := jd - float64(40-i)*0.00149
		raw = append(raw, fileName(j), strings.Replace(fileName(j), ".sum.", ".diff.", 1))
	}
	g.add(&Key{Name: "corr:files:raw", Type: "list", List: raw})
	g.add(&Key{Name: "corr:files:converted", Type: "list", List: raw[:20]})
	g.add(&Key{Name: "corr:files:uploaded", Type: "list", List: raw[:12]})
	// corr:files:lib_failed is empty, so absent: Redis deletes empty lists.
	g.hash("corr:files:purgatory", raw[21], "1", raw[20], "1", raw[22], "1")
	g.hash("corr:files:lib_purgatory", raw[13], "1", raw[12], "1")
	if o.Bad {
		// corr:files:failed written as a hash instead of a list.
		g.hash("corr:files:failed", raw[5], "1")
		g.bad("correlator_file_queues", "corr:files:failed", "", "skipped", "wrong Redis type")
	} else {
		g.add(&Key{Name: "corr:files:failed", Type: "list", List: raw[4:6]})
	}
	g.hash("corr:files:jds", fmt.Sprint(intJD), "0", fmt.Sprint(intJD-1), "1", fmt.Sprint(intJD-2), "2",
		fmt.Sprint(intJD-3), "2", fmt.Sprint(intJD-4), "-1")

	// Correlator config.
	cfg := g.config(snaps)
	sum := md5.Sum([]byte(cfg))
	md := hex.EncodeToString(sum[:])
	up := now - 86400*4 - 0.75
	g.hash("snap_configuration", "config", cfg, "md5", md, "name", "hera_feng_config.yaml",
		"upload_time", pyFloat(up), "upload_time_str", iso(up))
	initT := now - 86400*3 + 120.123456
	args := `{"hosts": [], "redishost": "redishost", "sync": true, "noise": false, "program": true, "initialize": true, "tvg": false, "eth": true}`
	initCfg := cfg
	if o.Bad {
		// Malformed YAML in init_configuration; the same config arrives
		// through snap_configuration, so snap_config_version is still written.
		initCfg = cfg + "\nfengines: [unclosed\n"
		g.bad("correlator_config_file", "init_configuration", "config", "skipped", "malformed YAML")
	}
	g.hash("init_configuration", "hera_corr_f_version", "0.5.3.dev12+g23d7fe4", "init_args", args,
		"init_time", pyFloat(initT), "init_time_str", iso(initT), "config", initCfg, "config_time", pyFloat(up),
		"config_time_str", iso(up), "config_name", "hera_feng_config.yaml", "md5", md)

	// SNAP init log.
	var working, unconfig []string
	for i, si := range snaps {
		if i%7 == 3 {
			unconfig = append(unconfig, si.host)
		} else {
			working = append(working, si.host)
		}
	}
	g.hash("snap_log", "log_time_start", iso(initT-300.5), "log_time_stop", iso(initT), "timestamp", iso(initT+1),
		"working", strings.Join(working, ","), "unconfig", strings.Join(unconfig, ","), "maxout", "")

	// Versions.
	vt := now - 86400*6
	for i, v := range [][2]string{
		{"version:hera_corr_f:hera_snap_redis_monitor.py", "0.5.3.dev12+g23d7fe4"},
		{"version:hera_corr_f:hera_snap_feng_init.py", "0.5.3.dev12+g23d7fe4"},
		{"version:hera_corr_cm:hera_corr_cmd_handler.py", "0.3.1"},
		{"version:paper_gpu:hera_catcher_disk_thread", "3.2.0-11-g8c1e4f1"},
		{"version:node_control:hera_node_receiver.py", "1.4.0"},
		{"version:hera_wr_cm:hera_wr_redis_monitor.py", "0.1.0"},
	} {
		g.hash(v[0], "version", v[1], "timestamp", iso(vt+float64(i)*61.5))
	}
	if o.Bad {
		g.hash("version:hera_mc:mc_monitor_broken.py", "version", "4.0")
		g.bad("correlator_software_versions", "version:hera_mc:mc_monitor_broken.py", "timestamp", "skipped", "field missing")
	}

	// SNAP status.
	for i, si := range snaps {
		g.snapStatus(i, si)
	}
	if o.Bad {
		g.add(&Key{Name: "status:snap:heraNode99Snap9", Type: "string", String: []byte("offline")})
		g.bad("snap_status", "status:snap:heraNode99Snap9", "", "skipped", "wrong Redis type")
	}

	// Autos.
	jdAuto := jd - 10.0/86400
	g.add(&Key{Name: "auto:timestamp", Type: "string", String: f64s([]float64{jdAuto})})
	for _, si := range snaps {
		for _, a := range si.ants {
			for _, pol := range []string{"e", "n"} {
				g.add(&Key{Name: fmt.Sprintf("auto:%d%s", a, pol), Type: "string", String: f32s(g.spectrum(o.Channels))})
			}
		}
	}
	if o.Bad {
		b := f32s(g.spectrum(o.Channels))
		g.add(&Key{Name: "auto:9999e", Type: "string", String: b[:len(b)-2]})
		g.bad("hera_autos", "auto:9999e", "", "skipped", "wrong-length binary array")
	}
}

// spectrum is a smooth bandpass with noise and an RFI spike, float32.
func (g *gen) spectrum(n int) []float32 {
	v := make([]float32, n)
	base := 1e6 * (0.5 + g.r.Float64())
	for i := range v {
		x := float64(i) / float64(n)
		bp := math.Exp(-math.Pow((x-0.5)/0.3, 4))
		v[i] = float32(base*bp*(1+0.01*g.r.NormFloat64()) + 10)
	}
	v[n/3] *= 40 // RFI
	return v
}

func (g *gen) config(snaps []snapInfo) string {
	var b strings.Builder
	b.WriteString(`# hera_corr_f F-engine configuration (generated)
fpgfile: /home/hera/src/hera_corr_f/hera_corr_f/fpg_files/snap_fengine_2022-06-09_1435.fpg
fft_shift: 15086
dest_port: 8511
log_walsh_step_size: 3
walsh_order: 32
walsh_delay: 600
sync: pps
noise: false
xengines:
`)
	nx := 16
	for x := 0; x < nx; x++ {
		lo := 1536 + x*384
		fmt.Fprintf(&b, "  %d:\n    chan_range: [%d, %d]\n", x, lo, lo+384)
		for i, side := range []string{"even", "odd"} {
			host := 1 + x*2 + i
			fmt.Fprintf(&b, "    %s:\n      ip: \"10.80.40.%d\"\n      mac: %d\n", side, 196+host, 0x020202000000+int64(196+host))
		}
	}
	b.WriteString("fengines:\n")
	idx := 0
	for i, si := range snaps {
		fmt.Fprintf(&b, "  %s:\n    ants: [", si.host)
		for j := range 3 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprint(&b, idx)
			idx++
		}
		b.WriteString("]\n    phase_switch_index: [")
		for j := range 6 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprint(&b, 1+(i*6+j)%32)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func (g *gen) snapStatus(i int, si snapInfo) {
	o, now, r := g.s.Opts, g.now, g.r
	key := "status:snap:" + si.host
	ts := now - 12.5 - float64(i%10)*1.25 + 0.000321*float64(i)
	k := g.hash(key, "timestamp", iso(ts), "serial", si.serial, "pps_count", fmt.Sprint(int64(1e6)+int64(i)*7),
		"temp", pyFloat(55+r.Float64()*10), "uptime", fmt.Sprint(int64(4e9)+int64(i)*1234567),
		"is_programmed", "True", "adc_is_configured", "1", "is_initialized", "1", "dest_is_configured", "1",
		"version", "7.1", "sample_rate", "500.0", "input", "adc,adc,adc,adc,adc,adc",
		"fft_overflow", "False", "eq_clip_count", fmt.Sprint(i%3))
	if o.TTLs {
		k.TTL = 72 * time.Hour
	}
	i2c := si.node%2 == 1 // nodes with --include_i2c
	for s := 0; s < 6; s++ {
		k.set(fmt.Sprintf("stream%d_mean", s), pyFloat(r.NormFloat64()*0.1))
		k.set(fmt.Sprintf("stream%d_rms", s), pyFloat(12+r.Float64()*8))
		k.set(fmt.Sprintf("stream%d_power", s), pyFloat(150+r.Float64()*300))
		hist := make([]int64, 255)
		for h := range hist {
			x := float64(h-127) / 15
			hist[h] = int64(1e6 * math.Exp(-x*x/2))
		}
		hist[200] = 1234567890123
		k.set(fmt.Sprintf("stream%d_hist", s), string(i64s(hist)))
		if i%5 == 0 { // eq coefficients only where the monitor runs with them
			eq := []float64{56.921875, 0.1, 1e-05, 123456789, 1, 0, 0.00015, 1e16, 2.5, 3.0000001}
			k.set(fmt.Sprintf("stream%d_eq_coeffs", s), string(f64s(eq)))
		}
		if i == 0 {
			ac := make([]float64, 64)
			for c := range ac {
				ac[c] = float64(c) * 1.5
			}
			k.set(fmt.Sprintf("stream%d_autocorr", s), string(f64s(ac)))
		}
	}
	for p := 0; p < 3; p++ {
		pre := func(kind string, n int) string { return fmt.Sprintf("%s%d_", kind, n) }
		if i2c {
			k.set(pre("pam", p)+"atten_e", fmt.Sprint(r.Intn(15)))
			k.set(pre("pam", p)+"atten_n", fmt.Sprint(r.Intn(15)))
			k.set(pre("pam", p)+"power_e", pyFloat(-20-r.Float64()*10))
			k.set(pre("pam", p)+"power_n", pyFloat(-20-r.Float64()*10))
			k.set(pre("pam", p)+"voltage", pyFloat(6+r.Float64()))
			k.set(pre("pam", p)+"current", pyFloat(0.5+r.Float64()/10))
			k.set(pre("pam", p)+"id", fmt.Sprintf("[112, 217, %d, 59, 1, 0, 0, %d]", 30+p, i))
			k.set(pre("fem", p)+"voltage", pyFloat(6+r.Float64()))
			k.set(pre("fem", p)+"current", pyFloat(0.3+r.Float64()/10))
			k.set(pre("fem", p)+"temp", pyFloat(30+r.Float64()*5))
			k.set(pre("fem", p)+"id", fmt.Sprintf("[%d, 0, 1, 2]", 10+i))
			k.set(pre("fem", p)+"switch", []string{"antenna", "load", "noise"}[i%3])
			k.set(pre("fem", p)+"lna_power_e", "True")
			k.set(pre("fem", p)+"lna_power_n", "False")
			k.set(pre("fem", p)+"imu_theta", pyFloat(r.Float64()*3))
			k.set(pre("fem", p)+"imu_phi", pyFloat(r.Float64()*360))
			k.set(pre("fem", p)+"pressure", pyFloat(850+r.Float64()))
			k.set(pre("fem", p)+"humidity", pyFloat(20+r.Float64()))
		} else {
			for _, f := range []string{"atten_e", "atten_n", "power_e", "power_n", "voltage", "current", "id"} {
				k.set(pre("pam", p)+f, "null")
			}
			for _, f := range []string{"voltage", "current", "temp", "id", "switch", "lna_power_e", "lna_power_n",
				"imu_theta", "imu_phi", "pressure", "humidity"} {
				k.set(pre("fem", p)+f, "null")
			}
		}
	}
	switch i {
	case 1:
		k.set("pam0_id", "UNKNOWN") // comms error: NULL, not a bad record
		k.set("pam1_voltage", "-1")
	case 3:
		k.set("serial", "None") // gethostbyaddr failed: kept as text, no node/location
	case 4:
		k.del("input") // an older monitor: six snap_input rows with NULL input
	}
	if !g.s.Opts.Bad {
		return
	}
	switch i {
	case 2:
		k.set("fem0_id", "[1, 2")
		g.bad("antenna_status", key, "fem0_id", "null", "malformed JSON")
	case 5:
		k.set("stream1_eq_coeffs", string(f64s([]float64{1, 2})[:12]))
		g.bad("antenna_status", key, "stream1_eq_coeffs", "null", "wrong-length binary array")
	case 6:
		k.set("temp", "hot")
		g.bad("snap_status", key, "temp", "null", "unparseable float")
	case len(g.s.SnapHosts) - 1:
		k.set("timestamp", "yesterday-ish")
		g.bad("snap_status", key, "timestamp", "skipped", "unparseable timestamp")
		g.bad("antenna_status", key, "timestamp", "skipped", "unparseable timestamp")
	}
}

func (g *gen) nodes(nodes []int) {
	o, now, r := g.s.Opts, g.now, g.r
	for i, n := range nodes {
		ts := now - 4.2 - float64(i)*0.31
		key := fmt.Sprintf("status:node:%d", n)
		k := g.hash(key, "mac", fmt.Sprintf("00:0a:35:00:%02x:%02x", n, i), "ip", fmt.Sprintf("10.80.2.%d", 100+n),
			"node_ID", fmt.Sprint(n), "node_ID_metadata", fmt.Sprintf("N%02d", n),
			"temp_top", fmt.Sprintf("%.2f", 25+r.Float64()*5), "temp_mid", fmt.Sprintf("%.2f", 24+r.Float64()*5),
			"temp_bot", fmt.Sprintf("%.2f", 23+r.Float64()*5), "temp_humid", fmt.Sprintf("%.2f", 26+r.Float64()*5),
			"humid", fmt.Sprintf("%.2f", 20+r.Float64()*30),
			"power_snap_relay", "1", "power_fem", "1", "power_pam", fmt.Sprint(i%2), "power_snap_0", "1",
			"power_snap_1", "1", "power_snap_2", "1", "power_snap_3", fmt.Sprint((i+1)%2),
			"cpu_uptime_ms", fmt.Sprint(int64(86400000*3)+int64(i)*1000), "timestamp", pyFloat(ts))
		if i%3 == 0 {
			k.set("udp_status", "ok")
		}
		if i%4 == 2 {
			k.set("temp_top", "None") // sensor -99: NULL, not bad
		}
		cmdT := int64(now) - 3600*int64(i+1)
		ck := g.hash(fmt.Sprintf("commands:node:%d", n), "power_snap_relay_cmd", fmt.Sprintf("on|%d", cmdT),
			"power_snap_0_cmd", fmt.Sprintf("on|%d", cmdT+5), "power_fem_cmd", fmt.Sprintf("on|%d", cmdT+10),
			"power_pam_cmd", fmt.Sprintf("off|%d", cmdT+15))
		if i == 0 {
			ck.set("reset", "reset") // no '|': timestamp -99
		}
		wts := now - 7.7 - float64(i)*0.5
		wr := g.hash(fmt.Sprintf("status:wr:heraNode%dwr", n), "timestamp", iso(wts), "mode", "WRC_SLAVE_WR0",
			"temp", pyFloat(45+r.Float64()*5), "ip", fmt.Sprintf("10.80.3.%d", 100+n),
			"serial", fmt.Sprintf("heraNode%dwr.site", n), "aliases", fmt.Sprintf(`["heraNode%dwr", "wr%d"]`, n, n))
		for p := 0; p < 2; p++ {
			pre := fmt.Sprintf("wr%d_", p)
			for _, f := range []string{"ad", "asym", "aux", "cko", "crtt", "dms", "drxm", "drxs", "dtxm", "dtxs", "hd",
				"md", "mu", "nsec", "rx", "setp", "sv", "tx", "ucnt"} {
				wr.set(pre+f, fmt.Sprint(r.Intn(100000)))
			}
			wr.set(pre+"lnk", fmt.Sprint((p+i)%2))
			wr.set(pre+"lock", fmt.Sprint((p+i+1)%2))
			wr.set(pre+"ss", "'TRACK_PHASE'")
			wr.set(pre+"syncs", "wr0")
			wr.set(pre+"sec", fmt.Sprint(int64(now)+37))
		}
		if i == 0 {
			wr.set("aliases", "[]")
		}
	}
	if !o.Bad || len(nodes) < 4 {
		return
	}
	// A node with a bad timestamp in its status (node_sensor, power status
	// skip it) and another with a bad white-rabbit timestamp.
	n1 := nodes[len(nodes)-1]
	k := g.s.Key(fmt.Sprintf("status:node:%d", n1))
	k.set("timestamp", "not-a-number")
	g.bad("node_sensor", k.Name, "timestamp", "skipped", "unparseable timestamp")
	g.bad("node_power_status", k.Name, "timestamp", "skipped", "unparseable timestamp")
	n2 := nodes[len(nodes)-2]
	wr := g.s.Key(fmt.Sprintf("status:wr:heraNode%dwr", n2))
	wr.set("timestamp", "")
	g.bad("node_white_rabbit_status", wr.Name, "timestamp", "skipped", "unparseable timestamp")
	ck := g.s.Key(fmt.Sprintf("commands:node:%d", nodes[1]))
	ck.set("power_snap_1_cmd", "on|soon")
	g.bad("node_power_command", ck.Name, "power_snap_1_cmd", "skipped", "unparseable timestamp")
	wr3 := g.s.Key(fmt.Sprintf("status:wr:heraNode%dwr", nodes[2]))
	wr3.set("aliases", `["heraNode`)
	wr3.set("wr1_lnk", "maybe")
	g.bad("node_white_rabbit_status", wr3.Name, "wr1_lnk", "null", "not a boolean")
	g.bad("node_white_rabbit_status", wr3.Name, "aliases", "null", "malformed JSON")
}

func (g *gen) scripts() {
	o := g.s.Opts
	for _, s := range []struct{ host, path string }{
		{"hera-mc", "/home/mc/src/hera_mc/scripts/mc_monitor_daemons.py"},
		{"hera-snap-head", "/home/hera/hera_venv/bin/hera_corr_cmd_handler.py"},
		{"hera-node-head", "/home/hera/venv/bin/hera_wr_redis_monitor.py"},
		{"hera-node-head", "/home/hera/venv/bin/hera_node_keep_alive.py"},
		{"hera-node-head", "/home/hera/venv/bin/hera_node_receiver.py"},
		{"hera-snap-head", "/home/hera/hera_venv/bin/hera_snap_redis_monitor.py"},
		{"hera-snap-head2", "/home/hera/hera_venv/bin/hera_snap_redis_monitor.py"},
		// hera_cmd_handler.py is not running: errored.
	} {
		k := g.add(&Key{Name: "status:script:" + s.host + ":" + s.path, Type: "string", String: []byte("alive")})
		if o.TTLs {
			k.TTL = 120 * time.Second
		}
	}
}

func (g *gen) ignored() {
	for x := 1; x <= 4; x++ {
		for inst := 0; inst < 2; inst++ {
			g.hash(fmt.Sprintf("hashpipe://px%d/%d/status", x, inst), "GIT_VER", "3.2.0-11-g8c1e4f1",
				"INSTANCE", fmt.Sprint(inst), "NETSTAT", "running", "INTCOUNT", fmt.Sprint(1000+x*10+inst),
				"SYNCTIME", fmt.Sprint(int64(g.now)-86400*3), "TRIGGER", "0")
		}
	}
	g.hash("hashpipe://hera-sn1/0/status", "GIT_VER", "3.2.0-11-g8c1e4f1", "INSTANCE", "0", "NETSTAT", "receiving")
	g.hash("cminfo", "antenna_numbers", "[1, 5, 9]", "cm_version", `"2026-11-19"`, "cofa_lat", "-30.72", "cofa_lon", "21.43",
		"cofa_alt", "1051.7")
	for i, name := range []string{"fpg:snap_fengine_2022-06-09_1435.fpg", "fpg:snap_fengine_2021-11-02_1012.fpg"} {
		b := make([]byte, 100*1024)
		rr := rand.New(rand.NewSource(int64(100 + i)))
		rr.Read(b)
		copy(b, "?uplot_fpg\n?register sys_board_id\n")
		g.add(&Key{Name: name, Type: "string", String: b})
	}
	k := g.add(&Key{Name: "corr:session_lock", Type: "string", String: []byte("hera-mc")})
	if g.s.Opts.TTLs {
		k.TTL = 30 * time.Second
	}
}
