package ingest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

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
		pipe.Exec(g.ctx) // per-command errors are looked at below
		for i, c := range cmds {
			if e := c.Err(); e != nil && e != redis.Nil && !isWrongType(e) {
				return fmt.Errorf("GET %s: %w", list[i].key, e)
			}
		}
	}
	autos := newRows(table, "time", "antenna_number", "antenna_feed_pol", "measurement_type", "value")
	spectra := newRows("hera_auto_spectrum", "time", "antenna_number", "antenna_feed_pol", "spectrum")
	specs := make([][]float32, len(list))
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
		if specs[i], err = Float32sLE(b); err != nil {
			g.skip(table, a.key, "", err.Error())
		}
	}
	medians := parallelMedians(specs)
	for i, a := range list {
		if specs[i] == nil {
			continue
		}
		autos.add(t, a.ant, a.pol, "median", float64(medians[i]))
		spectra.add(t, a.ant, a.pol, specs[i])
	}
	if g.opts.perRowInserts {
		// The baseline: the original's statements and session settings.
		return g.writeAll(autos, spectra)
	}
	return g.tx(func(tx pgx.Tx) error {
		if err := g.fastToast(tx); err != nil {
			return err
		}
		for _, rows := range []*tableRows{autos, spectra} {
			if err := g.copyNewAutos(tx, rows, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// parallelMedians computes the float32 medians of the spectra on every CPU
// (nil spectra are left at 0).
func parallelMedians(specs [][]float32) []float32 {
	out := make([]float32, len(specs))
	workers := min(runtime.GOMAXPROCS(0), 8)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = MedianFloat32(specs[i])
			}
		}()
	}
	for i, s := range specs {
		if s != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return out
}

// fastToast compresses this transaction's large values (the spectra) with
// lz4 when the server has it: about half the cost of the default pglz, and
// read back transparently by every client.
func (g *gctx) fastToast(tx pgx.Tx) error {
	var ok bool
	err := tx.QueryRow(g.ctx, `SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&ok)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	if ok {
		_, err = tx.Exec(g.ctx, `SET LOCAL default_toast_compression = lz4`)
	}
	return err
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
	var n int64
	if t.table == "hera_auto_spectrum" {
		src := spectrumCopy(fresh)
		defer src.Close() // ends the encoder if the copy stopped early
		tag, err := tx.Conn().PgConn().CopyFrom(g.ctx, src,
			"COPY hera_auto_spectrum (time, antenna_number, antenna_feed_pol, spectrum) FROM STDIN (FORMAT binary)")
		if err != nil {
			return fmt.Errorf("%s: copy: %w", t.table, err)
		}
		n = tag.RowsAffected()
	} else {
		n, err = tx.CopyFrom(g.ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(fresh))
		if err != nil {
			return fmt.Errorf("%s: copy: %w", t.table, err)
		}
	}
	g.pending[t.table] += n
	return nil
}

// spectrumCopy streams hera_auto_spectrum rows (time, antenna, pol,
// []float32) in PostgreSQL's binary COPY format: a tight loop instead of
// pgx's per-element encoding, the largest part of a pass's CPU otherwise.
func spectrumCopy(rows [][]any) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 256<<10)
		be := binary.BigEndian
		var b [8]byte
		put32 := func(v uint32) { be.PutUint32(b[:4], v); w.Write(b[:4]) }
		w.WriteString("PGCOPY\n\xff\r\n\x00")
		put32(0) // flags
		put32(0) // header extension length
		for _, r := range rows {
			spec := r[3].([]float32)
			be.PutUint16(b[:2], 4)
			w.Write(b[:2])
			put32(8)
			be.PutUint64(b[:8], uint64(r[0].(int64)))
			w.Write(b[:8])
			put32(4)
			put32(uint32(r[1].(int32)))
			pol := r[2].(string)
			put32(uint32(len(pol)))
			w.WriteString(pol)
			if len(spec) == 0 {
				put32(12)
				put32(0)   // ndim
				put32(0)   // no nulls
				put32(700) // float4
				continue
			}
			put32(uint32(20 + 8*len(spec)))
			put32(1)   // ndim
			put32(0)   // no nulls
			put32(700) // float4
			put32(uint32(len(spec)))
			put32(1) // lower bound
			for _, x := range spec {
				put32(4)
				put32(math.Float32bits(x))
			}
		}
		be.PutUint16(b[:2], 0xffff) // trailer: -1
		w.Write(b[:2])
		pw.CloseWithError(w.Flush())
	}()
	return pr
}
