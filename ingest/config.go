package ingest

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"
)

// The correlator config group (hera-mc.md §3.16). The YAML text is kept in
// correlator_config_yaml instead of being uploaded to the Librarian.
var configTables = []string{
	"correlator_config_file", "correlator_config_yaml", "correlator_config_status", "correlator_config_params",
	"correlator_config_active_snap", "correlator_config_input_index", "correlator_config_phase_switch_index",
}

// configParams are the scalar parameters copied from the YAML; a config
// without one of them is skipped (the original raises KeyError).
var configParams = []string{"fft_shift", "fpgfile", "dest_port", "log_walsh_step_size", "walsh_order", "walsh_delay"}

// correlatorConfig is one parsed config, ready to write.
type correlatorConfig struct {
	key      string // Redis key it came from
	hash     string
	time     int64 // floor(gps(time))
	filename string
	yaml     string
	params   [][2]string
	active   []string
	inputs   []configInput
	psi      []configPSI
}

type configInput struct {
	index    int32
	host     string
	position int32
}

type configPSI struct {
	host     string
	psi      int32
	position int32
}

// parsedConfigs remembers the last few configs parsed: the monitor loop
// meets the same YAML (snap_configuration, init_configuration) every pass.
var parsedConfigs struct {
	sync.Mutex
	m map[string]parsedConfig
}

type parsedConfig struct {
	c   *correlatorConfig
	err error
}

// parseCorrelatorConfig parses a hera_corr_f YAML config into the rows of
// the config tables (without hash and time). The result is the caller's:
// a copy of the one remembered for the same text.
func parseCorrelatorConfig(text string) (*correlatorConfig, error) {
	parsedConfigs.Lock()
	defer parsedConfigs.Unlock()
	p, ok := parsedConfigs.m[text]
	if !ok {
		p.c, p.err = parseConfigText(text)
		if parsedConfigs.m == nil || len(parsedConfigs.m) >= 4 {
			parsedConfigs.m = map[string]parsedConfig{}
		}
		parsedConfigs.m[text] = p
	}
	if p.err != nil {
		return nil, p.err
	}
	c := *p.c // its slices are only read after parsing
	return &c, nil
}

func parseConfigText(text string) (*correlatorConfig, error) {
	// PostgreSQL refuses text that is not UTF-8 or holds a NUL byte, yet a
	// UTF-16 document and a "\0" escape parse as YAML all the same.
	if !isText(text) {
		return nil, errors.New("YAML text " + notText)
	}
	// PyYAML, which the original loads the config with, keeps the later of
	// two equal keys in a mapping (a dict assignment); yaml.v3 refuses the
	// document. So the earlier pairs are dropped from the parsed tree first.
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		return nil, fmt.Errorf("malformed YAML: %v", err)
	}
	var doc any
	if root.Kind != 0 {
		laterKeysWin(&root)
		if err := root.Decode(&doc); err != nil {
			return nil, fmt.Errorf("malformed YAML: %v", err)
		}
	}
	top, ok := asMap(doc)
	if !ok {
		return nil, errors.New("YAML is not a mapping")
	}
	c := &correlatorConfig{yaml: text}
	for _, p := range configParams {
		v, ok := top[p]
		if !ok {
			return nil, fmt.Errorf("parameter %s missing", p)
		}
		c.params = append(c.params, [2]string{p, pyStr(v)})
	}
	fe, ok := top["fengines"]
	if !ok {
		return nil, errors.New("fengines missing")
	}
	feng, ok := asMap(fe)
	if !ok {
		return nil, errors.New("fengines is not a mapping")
	}
	hosts := make([]string, 0, len(feng))
	for h := range feng {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	c.params = append(c.params, [2]string{"fengines", strings.Join(hosts, ",")})

	xe, ok := top["xengines"]
	if !ok {
		return nil, errors.New("xengines missing")
	}
	xeng, ok := xe.(map[string]any)
	xkeys := map[int64]any{}
	if ok {
		for k, v := range xeng {
			n, err := ParsePyInt(k)
			if err != nil {
				return nil, fmt.Errorf("xengine key %q is not an integer", k)
			}
			xkeys[n] = v
		}
	} else if m, ok := xe.(map[any]any); ok {
		for k, v := range m {
			n, ok := yamlInt(k)
			if !ok {
				return nil, fmt.Errorf("xengine key %v is not an integer", k)
			}
			xkeys[n] = v
		}
	} else {
		return nil, errors.New("xengines is not a mapping")
	}
	xs := make([]int64, 0, len(xkeys))
	for k := range xkeys {
		xs = append(xs, k)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	xnames := make([]string, len(xs))
	for i, k := range xs {
		xnames[i] = strconv.FormatInt(k, 10)
	}
	c.params = append(c.params, [2]string{"xengines", strings.Join(xnames, ",")})
	for _, k := range xs {
		x, ok := asMap(xkeys[k])
		if !ok {
			return nil, fmt.Errorf("xengine %d is not a mapping", k)
		}
		cr, ok := x["chan_range"].([]any)
		if !ok {
			return nil, fmt.Errorf("xengine %d: chan_range missing or not a list", k)
		}
		parts := make([]string, len(cr))
		for i, v := range cr {
			parts[i] = pyStr(v)
		}
		c.params = append(c.params, [2]string{fmt.Sprintf("x%d:chan_range", k), strings.Join(parts, ",")})
		for _, side := range []string{"even", "odd"} {
			s, ok := asMap(x[side])
			if !ok {
				return nil, fmt.Errorf("xengine %d: %s missing", k, side)
			}
			for _, f := range []string{"ip", "mac"} {
				v, ok := s[f]
				if !ok {
					return nil, fmt.Errorf("xengine %d: %s.%s missing", k, side, f)
				}
				c.params = append(c.params, [2]string{fmt.Sprintf("x%d:%s:%s", k, side, f), pyStr(v)})
			}
		}
	}
	for _, h := range hosts {
		c.active = append(c.active, h)
		fm, ok := asMap(feng[h])
		if !ok {
			return nil, fmt.Errorf("fengine %s is not a mapping", h)
		}
		ants, err := intList(fm["ants"])
		if err != nil {
			return nil, fmt.Errorf("fengine %s: ants: %v", h, err)
		}
		for i, a := range ants {
			c.inputs = append(c.inputs, configInput{a, h, int32(i)})
		}
		psi, err := intList(fm["phase_switch_index"])
		if err != nil {
			return nil, fmt.Errorf("fengine %s: phase_switch_index: %v", h, err)
		}
		for i, p := range psi {
			c.psi = append(c.psi, configPSI{h, p, int32(i)})
		}
	}
	for _, p := range c.params { // "fengines" holds every host name
		if !isText(p[1]) {
			return nil, fmt.Errorf("parameter %s: %s", p[0], notText)
		}
	}
	return c, nil
}

// laterKeysWin removes from every mapping of the tree the pairs whose
// scalar key (same resolved tag and text) comes again later in it. Merge
// keys (<<) are left to the decoder; aliases are not followed (their
// anchors are in the tree).
func laterKeysWin(n *yaml.Node) {
	if n.Kind == yaml.MappingNode && len(n.Content) > 2 {
		seen := map[[2]string]bool{}
		keep := make([]*yaml.Node, 0, len(n.Content))
		for i := len(n.Content) - 2; i >= 0; i -= 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
				id := [2]string{k.ShortTag(), k.Value}
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			keep = append(keep, n.Content[i+1], k)
		}
		slices.Reverse(keep)
		n.Content = keep
	}
	for _, c := range n.Content {
		laterKeysWin(c)
	}
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[pyStr(k)] = x
		}
		return out, true
	}
	return nil, false
}

func yamlInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	}
	return 0, false
}

// intList reads a YAML list of int4 values. A missing or null list is an
// error: _parse_config indexes it and takes its len().
func intList(v any) ([]int32, error) {
	if v == nil {
		return nil, errors.New("missing or null")
	}
	l, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]int32, len(l))
	for i, x := range l {
		n, ok := yamlInt(x)
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("element %d (%v) is not an integer", i, x)
		}
		out[i] = int32(n)
	}
	return out, nil
}

// pyStr is Python's str() of a parsed YAML/JSON value.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case *big.Int:
		return x.String()
	case float64:
		return PyFloatString(x, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any, map[any]any:
		m, _ := asMap(x)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(m[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyRepr is Python's repr() for the same values (strings quoted).
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
			return `"` + s + `"`
		}
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	return pyStr(v)
}

// prepareConfig parses a config read from key; nil (reported) when it
// cannot be used.
func (g *gctx) prepareConfig(table, key, hash string, t int64, text string) *correlatorConfig {
	c, err := parseCorrelatorConfig(text)
	if err != nil {
		g.skip(table, key, "config", err.Error())
		return nil
	}
	if hash == "" {
		g.skip(table, key, "md5", "empty config hash")
		return nil
	}
	if !isText(hash) {
		g.skip(table, key, "md5", notText)
		return nil
	}
	c.key, c.hash, c.time = key, hash, t
	c.filename = fmt.Sprintf("correlator_config_%d.yaml", t)
	return c
}

// writeConfig applies the reference's algorithm: a config hash with no
// file row gets its file row, YAML and parsed rows; a status row is added
// whenever the config's time differs from its latest status.
func (g *gctx) writeConfig(tx pgx.Tx, c *correlatorConfig) error {
	var last int64
	err := tx.QueryRow(g.ctx, `SELECT time FROM correlator_config_status
		WHERE config_hash = $1 AND time <= $2 ORDER BY time DESC LIMIT 1`, c.hash, g.nowGPS).Scan(&last)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	if err == nil && last == c.time {
		return nil
	}
	newHash := false
	if err == pgx.ErrNoRows {
		// No status at or before now, yet the file row may exist (a status
		// time ahead of the clock, or one another hash held): the rows
		// stored with it stay as they are, even if this YAML differs.
		exists, err := g.configExists(tx, c.hash)
		if err != nil {
			return err
		}
		newHash = !exists
	}
	if newHash {
		file := newRows("correlator_config_file", "config_hash", "filename")
		file.add(c.hash, c.filename)
		y := newRows("correlator_config_yaml", "config_hash", "filename", "yaml", "stored_at")
		y.add(c.hash, c.filename, c.yaml, g.now)
		params := newRows("correlator_config_params", "config_hash", "parameter", "value")
		for _, p := range c.params {
			params.add(c.hash, p[0], p[1])
		}
		active := newRows("correlator_config_active_snap", "config_hash", "hostname")
		for _, h := range c.active {
			active.add(c.hash, h)
		}
		inputs := newRows("correlator_config_input_index", "config_hash", "correlator_index", "hostname", "antenna_index_position")
		seen := map[int32]string{}
		for _, in := range c.inputs {
			if prev, dup := seen[in.index]; dup {
				g.skip("correlator_config_input_index", c.key, "config",
					fmt.Sprintf("correlator index %d of %s already used by %s", in.index, in.host, prev))
				continue
			}
			seen[in.index] = in.host
			inputs.add(c.hash, in.index, in.host, in.position)
		}
		psi := newRows("correlator_config_phase_switch_index", "config_hash", "hostname", "phase_switch_index", "antpol_index_position")
		type hostPSI struct {
			host string
			psi  int32
		}
		seenPSI := map[hostPSI]bool{}
		for _, p := range c.psi {
			if seenPSI[hostPSI{p.host, p.psi}] {
				g.skip("correlator_config_phase_switch_index", c.key, "config",
					fmt.Sprintf("phase switch index %d of %s listed twice", p.psi, p.host))
				continue
			}
			seenPSI[hostPSI{p.host, p.psi}] = true
			psi.add(c.hash, p.host, p.psi, p.position)
		}
		if err := g.write(tx, file, y, params, active, inputs, psi); err != nil {
			return err
		}
	}
	status := newRows("correlator_config_status", "time", "config_hash")
	status.add(c.time, c.hash)
	before := g.pending["correlator_config_status"]
	if err := g.write(tx, status); err != nil {
		return err
	}
	if g.pending["correlator_config_status"] == before {
		var other string
		if err := tx.QueryRow(g.ctx, `SELECT config_hash FROM correlator_config_status WHERE time = $1`, c.time).Scan(&other); err == nil && other != c.hash {
			g.skip("correlator_config_status", c.key, "time",
				fmt.Sprintf("time %d already holds config %s", c.time, other))
		}
	}
	return nil
}

// configExists reports whether a config file row exists for hash.
func (g *gctx) configExists(tx pgx.Tx, hash string) (bool, error) {
	var one int
	err := tx.QueryRow(g.ctx, `SELECT 1 FROM correlator_config_file WHERE config_hash = $1`, hash).Scan(&one)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// runConfig ingests snap_configuration (§3.16, source 1).
func runConfig(g *gctx) error {
	const table, key = "correlator_config_file", "snap_configuration"
	h, ok, err := g.requireHash(table, key, "config", "upload_time", "md5")
	if err != nil || !ok {
		return err
	}
	u, err := ParsePyFloat(h["upload_time"])
	var t int64
	if err == nil {
		t, err = FloorGPS(u)
	}
	if err != nil {
		g.skip(table, key, "upload_time", err.Error())
		return nil
	}
	c := g.prepareConfig(table, key, h["md5"], t, h["config"])
	if c == nil {
		return nil
	}
	return g.tx(func(tx pgx.Tx) error { return g.writeConfig(tx, c) })
}
