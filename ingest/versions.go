package ingest

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// utcTimestampGPS is floor(gps(datetime.utcfromtimestamp(float(x)))).
func utcTimestampGPS(x string) (int64, error) {
	u, err := ParsePyFloat(x)
	if err != nil {
		return 0, err
	}
	t, err := UTCFromTimestamp(u)
	if err != nil {
		return 0, err
	}
	return FloorGPSTime(t)
}

// versionPackage is the package name of a version: key. Deviation (quirk 4):
// a real prefix strip, so version:node_control:x stays node_control:x.
func versionPackage(key string) string { return strings.TrimPrefix(key, "version:") }

// runVersions ingests correlator_software_versions from version:* and
// snap_config_version (with its config) from init_configuration (§3.14-3.15).
// The original's own hera_corr_cm row has no Redis source and is left out.
func runVersions(g *gctx) error {
	const table = "correlator_software_versions"
	keys, err := g.scan("version:*")
	if err != nil {
		return err
	}
	hs, err := g.hgetallMany(table, keys)
	if err != nil {
		return err
	}
	sw := newRows(table, "time", "package", "version")
	for _, key := range keys {
		h, ok := hs[key]
		if !ok {
			continue
		}
		pkg := versionPackage(key)
		if !isText(pkg) {
			g.skip(table, key, "", "package "+notText)
			continue
		}
		if pkg == "snap" {
			continue // the snap entry comes from init_configuration, as in hera_corr_cm
		}
		v, has := h["version"]
		if !has {
			g.skip(table, key, "version", "field missing")
			continue
		}
		if !isText(v) {
			g.skip(table, key, "version", notText)
			continue
		}
		ts, has := h["timestamp"]
		if !has {
			g.skip(table, key, "timestamp", "field missing")
			continue
		}
		tt, err := ParseISOTime(ts)
		var t int64
		if err == nil {
			t, err = FloorGPSTime(tt)
		}
		if err != nil {
			g.skip(table, key, "timestamp", err.Error())
			continue
		}
		sw.add(t, pkg, v)
	}

	const scvTable, initKey = "snap_config_version", "init_configuration"
	var cfg *correlatorConfig
	scv := newRows(scvTable, "init_time", "version", "init_args", "config_hash")
	init, ok, err := g.requireHash(scvTable, initKey, "init_time", "hera_corr_f_version", "init_args", "md5", "config", "config_time")
	if err != nil {
		return err
	}
	if ok {
		for _, f := range []string{"hera_corr_f_version", "init_args", "md5"} {
			if !isText(init[f]) {
				g.skip(scvTable, initKey, f, notText)
				ok = false
				break
			}
		}
	}
	if ok {
		if it, err := utcTimestampGPS(init["init_time"]); err != nil {
			g.skip(scvTable, initKey, "init_time", err.Error())
		} else if ct, err := utcTimestampGPS(init["config_time"]); err != nil {
			g.skip(scvTable, initKey, "config_time", err.Error())
		} else {
			cfg = g.prepareConfig("correlator_config_file", initKey, init["md5"], ct, init["config"])
			scv.add(it, init["hera_corr_f_version"], init["init_args"], init["md5"])
		}
	}
	return g.tx(func(tx pgx.Tx) error {
		if err := g.write(tx, sw); err != nil {
			return err
		}
		if len(scv.rows) == 0 {
			return nil
		}
		if cfg != nil {
			if err := g.writeConfig(tx, cfg); err != nil {
				return err
			}
		}
		hash := scv.rows[0][3].(string)
		exists, err := g.configExists(tx, hash)
		if err != nil {
			return err
		}
		if !exists {
			g.skip(scvTable, initKey, "md5", "no usable config for hash "+hash)
			return nil
		}
		return g.write(tx, scv)
	})
}
