package ingest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// corrMap is the CM snapshot hera_mc keeps in the corr:map hash: it stands
// in for the CM database lookups of the original (hera-mc.md §4).
type corrMap struct {
	ants         []antPolSnap        // every (ant, pol) of ant_to_snap, sorted
	byHostChan   map[hostChan]antPol // inverse of ant_to_snap
	serialToHost map[string][]string // inverse of snap_to_serial, serials upper-cased
	hostSerial   map[string]string   // snap_to_serial
}

type hostChan struct {
	host    string
	channel int
}

type antPol struct {
	ant int32
	pol string
}

type antPolSnap struct {
	antKey  string // JSON key as written, e.g. "12"
	ant     int32
	pol     string
	host    string
	channel int
	key     string // status:snap:<host>
}

// loadCorrMap reads corr:map once per pass. nil (reported) when missing or
// unusable; table is the table the report names.
func (g *gctx) loadCorrMap(table string) (*corrMap, error) {
	if g.corrMapDone {
		return g.corrMap, nil
	}
	const key = "corr:map"
	h, ok, err := g.hgetall(table, key)
	if err != nil {
		return nil, err
	}
	g.corrMapDone = true
	if !ok {
		return nil, nil
	}
	if len(h) == 0 {
		g.skip(table, key, "", "key missing: no antenna mapping")
		return nil, nil
	}
	a2sText, s2sText := h["ant_to_snap"], h["snap_to_serial"]
	_, hasS2S := h["snap_to_serial"]
	m, notes := cachedCorrMap(a2sText, s2sText, hasS2S)
	for _, n := range notes {
		g.skip(table, key, n[0], n[1])
	}
	if m == nil {
		return nil, nil
	}
	g.corrMap = m
	return m, nil
}

var snapHostRE = regexp.MustCompile(`^heraNode(\d+)Snap(\d+)$`)

// nodeLoc finds a SNAP's node and location from its serial, as hera_mc's CM
// lookup does: serial -> hostname (corr:map snap_to_serial) -> heraNode<n>Snap<loc>.
// The lookup ignores case, as hera_mc's (ActiveData.revs upper-cases both
// sides).
func (m *corrMap) nodeLoc(serial any) (node, loc any, warn string) {
	s, ok := serial.(string)
	if !ok || m == nil {
		return nil, nil, ""
	}
	hosts := m.serialToHost[strings.ToUpper(s)]
	if len(hosts) != 1 {
		if len(hosts) > 1 {
			return nil, nil, fmt.Sprintf("serial %q maps to %d hosts", s, len(hosts))
		}
		return nil, nil, ""
	}
	mm := snapHostRE.FindStringSubmatch(hosts[0])
	if mm == nil {
		return nil, nil, ""
	}
	n, err1 := ParsePyInt32(mm[1])
	l, err2 := ParsePyInt32(mm[2])
	if err1 != nil || err2 != nil {
		return nil, nil, ""
	}
	return n, l, ""
}

// snapHost is the hostname of a status:snap: key. Deviation (quirk 4): a
// real prefix strip, not Python's character-set lstrip.
func snapHost(key string) string { return strings.TrimPrefix(key, "status:snap:") }

// ---------------------------------------------------------------------------
// snap_status + snap_input (§3.7, §3.8)

// snapTime is floor(gps(dateutil.parse(timestamp))) of a status:snap hash.
func snapTime(h map[string]string) (int64, error) {
	ts, has := h["timestamp"]
	if !has {
		return 0, fmt.Errorf("field missing")
	}
	tt, err := ParseISOTime(ts)
	if err != nil {
		return 0, err
	}
	return FloorGPSTime(tt)
}

func runSnapStatus(g *gctx) error {
	const table = "snap_status"
	keys, err := g.scan("status:snap:*")
	if err != nil {
		return err
	}
	cm, err := g.loadCorrMap(table)
	if err != nil {
		return err
	}
	hs, err := g.hgetallMany(table, keys)
	if err != nil {
		return err
	}
	g.snapHashes = hs // antenna_status reads the same hashes later in the pass
	status := newRows(table, "time", "hostname", "node", "snap_loc_num", "serial_number", "psu_alert", "pps_count",
		"fpga_temp", "uptime_cycles", "last_programmed_time", "is_programmed", "adc_is_configured", "is_initialized",
		"dest_is_configured", "version", "sample_rate")
	inputs := newRows("snap_input", "time", "hostname", "snap_channel_number", "antenna_number", "antenna_feed_pol", "snap_input")
	for _, key := range keys {
		h, ok := hs[key]
		if !ok {
			continue
		}
		host := snapHost(key)
		if !isText(host) {
			g.skip(table, key, "", "hostname "+notText)
			continue
		}
		f := &fields{g: g, table: table, key: key, h: h}
		t, err := snapTime(h)
		if err != nil {
			g.skip(table, key, "timestamp", err.Error())
			continue
		}
		serial := f.str("serial")
		node, loc, warn := cm.nodeLoc(serial)
		if warn != "" {
			g.null(table, key, "serial", warn)
		}
		status.add(t, host, node, loc, serial, f.boolInt("pmb_alert"), f.int64("pps_count"), f.float("temp"),
			f.int64("uptime"), f.isoGPS("last_programmed"), f.boolTrue("is_programmed"), f.boolOne("adc_is_configured"),
			f.boolOne("is_initialized"), f.boolOne("dest_is_configured"), f.str("version"), f.float("sample_rate"))

		var vals []any
		in, has := h["input"]
		if has && !isText(in) {
			// hera_corr_cm's decode fails: input None, six NULL inputs.
			g.null("snap_input", key, "input", notText)
			has = false
		}
		if has {
			parts := strings.Split(in, ",")
			if len(parts) > 6 {
				// The original fails the whole command (quirk 8).
				g.skip("snap_input", key, "input", fmt.Sprintf("%d inputs, a SNAP has 6", len(parts)))
				continue
			}
			for _, p := range parts {
				vals = append(vals, p)
			}
		} else {
			vals = []any{nil, nil, nil, nil, nil, nil}
		}
		for ch, v := range vals {
			var ant, pol any
			if cm != nil {
				if ap, ok := cm.byHostChan[hostChan{host, ch}]; ok {
					ant, pol = ap.ant, ap.pol
				}
			}
			inputs.add(t, host, int32(ch), ant, pol, v)
		}
	}
	return g.writeAll(status, inputs)
}

// ---------------------------------------------------------------------------
// snap_feng_init_status (§3.6)

func runFengInit(g *gctx) error {
	const table, key = "snap_feng_init_status", "snap_log"
	h, ok, err := g.requireHash(table, key, "log_time_stop")
	if err != nil || !ok {
		return err
	}
	stop := h["log_time_stop"]
	if stop == "Not found" {
		return nil
	}
	tt, err := parseAstropyISO(stop)
	var t int64
	if err == nil {
		t, err = FloorGPSTime(tt)
	}
	if err != nil {
		g.skip(table, key, "log_time_stop", err.Error())
		return nil
	}
	// HGETALL order is undefined in the original; fields are taken in name
	// order here, so for a host listed twice the later name wins.
	names := make([]string, 0, len(h))
	for f := range h {
		names = append(names, f)
	}
	sort.Strings(names)
	status := map[string]string{}
	for _, f := range names {
		v := h[f]
		if strings.Contains(f, "time") || v == "" {
			continue
		}
		if !isText(f) {
			g.skip(table, key, f, "status name "+notText)
			continue
		}
		if !strings.Contains(v, "heraNode") {
			g.skip(table, key, f, "value lists no heraNode hosts")
			continue
		}
		for _, host := range strings.Split(v, ",") {
			if !isText(host) {
				g.skip(table, key, f, "hostname "+notText)
				continue
			}
			status[host] = f
		}
	}
	hosts := make([]string, 0, len(status))
	for h := range status {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	rows := newRows(table, "time", "hostname", "status")
	for _, host := range hosts {
		rows.add(t, host, status[host])
	}
	return g.writeAll(rows)
}

// parseAstropyISO is ParseISOTime restricted to what astropy's
// Time(str, scale='utc') reads: a trailing Z is taken, but a UTC offset or
// whitespace around the time is a ValueError there (astropy has no time
// zones), so it is refused here too.
func parseAstropyISO(s string) (time.Time, error) {
	clock := ""
	if i := strings.IndexAny(s, "T "); i >= 0 {
		clock = s[i+1:]
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(clock, "+- ") {
		return time.Time{}, fmt.Errorf("not an astropy ISO time (no UTC offset or spaces around it): %q", clip(s))
	}
	return ParseISOTime(s)
}

// corrMaps remembers the last corr:map decoded: it changes when the array
// is rewired, not every pass, and decoding its JSON was a millisecond of
// each pass. notes are the skips decoding reported (field, reason), given
// again on every pass that reads the same map.
var corrMaps struct {
	sync.Mutex
	a2s, s2s string
	hasS2S   bool
	done     bool
	m        *corrMap
	notes    [][2]string
}

// cachedCorrMap is decodeCorrMap, remembered for the same fields. The
// corrMap returned is shared and only read.
func cachedCorrMap(a2s, s2s string, hasS2S bool) (*corrMap, [][2]string) {
	corrMaps.Lock()
	defer corrMaps.Unlock()
	c := &corrMaps
	if !c.done || c.a2s != a2s || c.s2s != s2s || c.hasS2S != hasS2S {
		c.m, c.notes = decodeCorrMap(a2s, s2s, hasS2S)
		c.a2s, c.s2s, c.hasS2S, c.done = a2s, s2s, hasS2S, true
	}
	return c.m, c.notes
}

// decodeCorrMap decodes corr:map's ant_to_snap and snap_to_serial fields;
// nil when ant_to_snap is unusable. Each problem is a note (field, reason).
func decodeCorrMap(a2sText, s2sText string, hasS2S bool) (*corrMap, [][2]string) {
	var notes [][2]string
	note := func(field, reason string) { notes = append(notes, [2]string{field, reason}) }
	m := &corrMap{byHostChan: map[hostChan]antPol{}, serialToHost: map[string][]string{}, hostSerial: map[string]string{}}
	// Decoded entry by entry: a malformed antenna or polarisation is
	// reported and left out, the others are kept.
	var a2s map[string]json.RawMessage
	if err := json.Unmarshal([]byte(a2sText), &a2s); err != nil {
		note("ant_to_snap", "malformed JSON: "+err.Error())
		return nil, notes
	}
	for ak, raw := range a2s {
		ant, err := ParsePyInt32(ak)
		if err != nil {
			note("ant_to_snap", fmt.Sprintf("antenna %q: %v", clip(ak), err))
			continue
		}
		var pols map[string]json.RawMessage
		if err := json.Unmarshal(raw, &pols); err != nil {
			note("ant_to_snap", fmt.Sprintf("antenna %s: not an object of polarisations: %v", ak, err))
			continue
		}
		for pol, pv := range pols {
			if pol != "e" && pol != "n" {
				note("ant_to_snap", fmt.Sprintf("antenna %s: polarisation %q is not e or n", ak, clip(pol)))
				continue
			}
			var v struct {
				Host    string          `json:"host"`
				Channel json.RawMessage `json:"channel"`
			}
			if err := json.Unmarshal(pv, &v); err != nil {
				note("ant_to_snap", fmt.Sprintf("antenna %s%s: malformed entry: %v", ak, pol, err))
				continue
			}
			if !isText(v.Host) {
				// A \u0000 escape: a key Redis holds, a hostname PostgreSQL refuses.
				note("ant_to_snap", fmt.Sprintf("antenna %s%s: host %s", ak, pol, notText))
				continue
			}
			ch, err := strconv.Atoi(strings.TrimSpace(string(v.Channel)))
			if err != nil || ch < 0 || ch > 5 {
				note("ant_to_snap", fmt.Sprintf("antenna %s%s: channel %s is not 0-5", ak, pol, clip(string(v.Channel))))
				continue
			}
			m.ants = append(m.ants, antPolSnap{ak, ant, pol, v.Host, ch, "status:snap:" + v.Host})
		}
	}
	sort.Slice(m.ants, func(i, j int) bool {
		if m.ants[i].ant != m.ants[j].ant {
			return m.ants[i].ant < m.ants[j].ant
		}
		if m.ants[i].pol != m.ants[j].pol {
			return m.ants[i].pol < m.ants[j].pol
		}
		return m.ants[i].antKey < m.ants[j].antKey // "12" and "012"
	})
	// The inverse, in that order: a channel claimed twice (an inconsistent
	// map) keeps its first antenna whatever the JSON's order, reported.
	for _, a := range m.ants {
		hc := hostChan{a.host, a.channel}
		if prev, dup := m.byHostChan[hc]; dup {
			if prev != (antPol{a.ant, a.pol}) {
				note("ant_to_snap", fmt.Sprintf("antenna %s%s: %s channel %d is also antenna %d%s's, which snap_input keeps",
					a.antKey, a.pol, clip(a.host), a.channel, prev.ant, prev.pol))
			}
			continue
		}
		m.byHostChan[hc] = antPol{a.ant, a.pol}
	}
	if hasS2S {
		var s2s map[string]any
		if err := json.Unmarshal([]byte(s2sText), &s2s); err != nil {
			note("snap_to_serial", "malformed JSON: "+err.Error())
		} else {
			for host, serial := range s2s {
				if ss, ok := serial.(string); ok {
					m.hostSerial[host] = ss
					up := strings.ToUpper(ss)
					m.serialToHost[up] = append(m.serialToHost[up], host)
				}
			}
		}
	}
	// Reported in a fixed order, not the JSON maps' random one.
	sort.Slice(notes, func(i, j int) bool {
		if notes[i][0] != notes[j][0] {
			return notes[i][0] < notes[j][0]
		}
		return notes[i][1] < notes[j][1]
	})
	return m, notes
}
