package ingest

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

var autoKeyRE = regexp.MustCompile(`auto:(\d+)(e|n)`)

// runAutos ingests hera_autos and hera_auto_spectrum (hera-mc.md §3.17-3.18).
func runAutos(g *gctx) error {
	const table, tsKey = "hera_autos", "auto:timestamp"
	v, exists, ok, err := g.get(table, tsKey)
	if err != nil || !ok {
		return err
	}
	if !exists {
		g.skip(table, tsKey, "", "key missing: no autocorrelations")
		return nil
	}
	if len(v) != 8 {
		g.skip(table, tsKey, "", fmt.Sprintf("%d bytes, want one float64 (8)", len(v)))
		return nil
	}
	jd, _ := Float64sLE([]byte(v))
	gf, err := GPSFromJD(jd[0])
	if err != nil {
		g.skip(table, tsKey, "", err.Error())
		return nil
	}
	t := int64(math.Floor(gf))

	// The original uses KEYS; SCAN gives the same keys without blocking Redis.
	keys, err := g.scan("auto*")
	if err != nil {
		return err
	}
	type autoKey struct {
		ant int32
		pol string
		key string // normalised: auto:<ant><pol>
		src string // the key as found
	}
	seen := map[string]bool{}
	var list []autoKey
	for _, k := range keys {
		if strings.HasSuffix(k, "timestamp") {
			continue
		}
		m := autoKeyRE.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		ant, err := ParsePyInt32(m[1])
		if err != nil {
			g.skip(table, k, "", "antenna number: "+err.Error())
			continue
		}
		nk := fmt.Sprintf("auto:%d%s", ant, m[2])
		if seen[nk] {
			continue
		}
		seen[nk] = true
		list = append(list, autoKey{ant, m[2], nk, k})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].ant != list[j].ant {
			return list[i].ant < list[j].ant
		}
		return list[i].pol < list[j].pol
	})
	pipe := g.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(list))
	for i, a := range list {
		cmds[i] = pipe.Get(g.ctx, a.key)
	}
	if len(list) > 0 {
		if _, err := pipe.Exec(g.ctx); err != nil && err != redis.Nil && !isWrongType(err) {
			for _, c := range cmds {
				if e := c.Err(); e != nil && e != redis.Nil && !isWrongType(e) {
					return fmt.Errorf("GET autos: %w", e)
				}
			}
		}
	}
	autos := newRows(table, "time", "antenna_number", "antenna_feed_pol", "measurement_type", "value")
	spectra := newRows("hera_auto_spectrum", "time", "antenna_number", "antenna_feed_pol", "spectrum")
	for i, a := range list {
		b, err := cmds[i].Bytes()
		switch {
		case err == redis.Nil:
			// Deleted between the scan and the GET (the original fails).
			g.skip(table, a.key, "", "key vanished before it was read")
			continue
		case isWrongType(err):
			g.skip(table, a.key, "", "wrong Redis type: "+g.keyType(a.key)+", want string")
			continue
		case err != nil:
			return err
		}
		spec, err := Float32sLE(b)
		if err != nil {
			g.skip(table, a.key, "", err.Error())
			continue
		}
		autos.add(t, a.ant, a.pol, "median", float64(MedianFloat32(spec)))
		spectra.add(t, a.ant, a.pol, spec)
	}
	if g.opts.perRowInserts {
		return g.writeAll(autos, spectra)
	}
	return g.tx(func(tx pgx.Tx) error {
		for _, rows := range []*tableRows{autos, spectra} {
			if err := g.copyNewAutos(tx, rows, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyNewAutos writes autos rows straight into their table with COPY,
// leaving out the (antenna, pol) pairs the table already holds for this
// time. The table is locked against concurrent writers (readers go on) so
// the check stays true until the commit. Going without the temporary table
// halves the bytes moved for the spectra, the bulk of a pass.
func (g *gctx) copyNewAutos(tx pgx.Tx, t *tableRows, time int64) error {
	if writeHook != nil {
		writeHook(t.table, t.cols)
	}
	if len(t.rows) == 0 {
		return nil
	}
	table := pgx.Identifier{t.table}.Sanitize()
	if _, err := tx.Exec(g.ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("%s: %w", t.table, err)
	}
	rows, err := tx.Query(g.ctx, "SELECT antenna_number, antenna_feed_pol FROM "+table+" WHERE time = $1", time)
	if err != nil {
		return fmt.Errorf("%s: %w", t.table, err)
	}
	have := map[antPol]bool{}
	for rows.Next() {
		var ap antPol
		if err := rows.Scan(&ap.ant, &ap.pol); err != nil {
			rows.Close()
			return err
		}
		have[ap] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	fresh := t.rows[:0:0]
	for _, r := range t.rows {
		if !have[antPol{r[1].(int32), r[2].(string)}] {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	n, err := tx.CopyFrom(g.ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(fresh))
	if err != nil {
		return fmt.Errorf("%s: copy: %w", t.table, err)
	}
	g.pending[t.table] += n
	return nil
}
