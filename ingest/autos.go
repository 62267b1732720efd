package ingest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"slices"
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
	if g.opts.perRowInserts {
		// The baseline: read everything, then the original's statements
		// and session settings.
		specs, err := g.readAutos(list)
		if err != nil {
			return err
		}
		medians := parallelMedians(specs)
		autos := newRows(table, "time", "antenna_number", "antenna_feed_pol", "measurement_type", "value")
		spectra := newRows("hera_auto_spectrum", "time", "antenna_number", "antenna_feed_pol", "spectrum")
		for i, a := range list {
			if specs[i] != nil {
				autos.add(t, a.ant, a.pol, "median", float64(medians[i]))
				spectra.add(t, a.ant, a.pol, specs[i])
			}
		}
		return g.writeAll(autos, spectra)
	}
	return g.tx(func(tx pgx.Tx) error { return g.streamAutos(tx, list, t) })
}

// autoKey is one autocorrelation key to read.
type autoKey struct {
	ant int32
	pol string
	key string // normalised: auto:<ant><pol>
	src string // the key as found
}

// readAutos GETs the keys in one pipeline and decodes the spectra. A key
// that vanished, has the wrong type or the wrong length is reported and
// left nil; any other Redis error fails the group.
func (g *gctx) readAutos(list []autoKey) ([][]float32, error) {
	specs := make([][]float32, len(list))
	if len(list) == 0 {
		return specs, nil
	}
	pipe := g.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(list))
	for i, a := range list {
		cmds[i] = pipe.Get(g.ctx, a.key)
	}
	pipe.Exec(g.ctx) // per-command errors are looked at below
	for i, a := range list {
		b, ok, err := g.autoValue(a, cmds[i])
		if err != nil {
			return nil, err
		}
		if ok {
			specs[i], _ = Float32sLE(b)
		}
	}
	return specs, nil
}

// autoValue looks at the GET of one autos key: ok with the value when it
// is a string of whole float32 values; otherwise the key is reported
// (vanished since the scan, wrong type, wrong length) and skipped. Any
// other Redis error fails the group.
func (g *gctx) autoValue(a autoKey, cmd *redis.StringCmd) (b []byte, ok bool, err error) {
	const table = "hera_autos"
	b, err = cmd.Bytes()
	switch {
	case err == redis.Nil:
		// Deleted between the scan and the GET (the original fails).
		g.skip(table, a.key, "", "key vanished before it was read")
		return nil, false, nil
	case isWrongType(err):
		g.skip(table, a.key, "", "wrong Redis type: "+g.keyType(a.key)+", want string")
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("GET %s: %w", a.key, err)
	}
	if err := wholeValues(b, 4, "float32"); err != nil {
		g.skip(table, a.key, "", err.Error())
		return nil, false, nil
	}
	return b, true, nil
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

// autosChunk is how many autos keys one Redis pipeline of a streaming pass
// reads: small enough that the first spectra reach PostgreSQL while the
// rest are still being read, large enough to keep round trips few.
const autosChunk = 50

// streamAutos writes the autos of one pass, overlapping the three stages
// that otherwise run one after the other: a goroutine reads the spectra
// from Redis in pipelines of autosChunk keys, this group decodes them,
// takes their medians and encodes them in PostgreSQL's binary COPY format,
// and the server stores them (COPY hera_auto_spectrum) as they arrive. The
// hera_autos rows (the medians) follow in a second COPY. Both tables are
// locked against concurrent writers (readers go on) and the (antenna, pol)
// pairs they already hold for this time are left out: the same result as
// INSERT ... ON CONFLICT DO NOTHING, without a staging table.
func (g *gctx) streamAutos(tx pgx.Tx, list []autoKey, t int64) error {
	if writeHook != nil {
		// One value of each column's Go type: the hera_autos rows built
		// below, and the spectrum rows putSpectrumRow encodes (int8, int4,
		// text, float4[] from an int64, an int32, a string and float32s).
		var a autoKey
		hookRow("hera_autos", []string{"time", "antenna_number", "antenna_feed_pol", "measurement_type", "value"},
			t, a.ant, a.pol, "median", float64(0))
		hookRow("hera_auto_spectrum", []string{"time", "antenna_number", "antenna_feed_pol", "spectrum"},
			t, a.ant, a.pol, []float32(nil))
	}
	if len(list) == 0 {
		return nil
	}
	if err := g.fastToast(tx); err != nil {
		return err
	}
	haveAuto, err := g.lockExisting(tx, "hera_autos", t)
	if err != nil {
		return err
	}
	haveSpec, err := g.lockExisting(tx, "hera_auto_spectrum", t)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	type chunk struct {
		lo, hi int
		cmds   []*redis.StringCmd
	}
	// Stage 1: Redis reads, one pipeline per chunk, a chunk ahead.
	fetched := make(chan chunk, 2)
	go func() {
		defer close(fetched)
		for lo := 0; lo < len(list); lo += autosChunk {
			c := chunk{lo: lo, hi: min(lo+autosChunk, len(list))}
			pipe := g.rdb.Pipeline()
			for _, a := range list[c.lo:c.hi] {
				c.cmds = append(c.cmds, pipe.Get(ctx, a.key))
			}
			pipe.Exec(ctx) // per-command errors are looked at by stage 2
			select {
			case fetched <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Stage 2: decode, medians, COPY encoding; stage 3 is the server,
	// fed through out.
	medians := make([]float32, len(list))
	valid := make([]bool, len(list))
	out := make(chan []byte, 4)
	var stage2Err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		send := func(b []byte) bool {
			select {
			case out <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(copyHeader()) {
			return
		}
		for c := range fetched {
			raw := make([][]byte, c.hi-c.lo)
			for i, cmd := range c.cmds {
				b, ok, err := g.autoValue(list[c.lo+i], cmd)
				if err != nil {
					stage2Err = err
					cancel()
					return
				}
				raw[i], valid[c.lo+i] = b, ok
			}
			if !send(encodeAutosChunk(list[c.lo:c.hi], raw, valid[c.lo:c.hi], t, haveSpec, medians[c.lo:c.hi])) {
				return
			}
		}
		send([]byte{0xff, 0xff}) // trailer: -1
	}()
	tag, copyErr := tx.Conn().PgConn().CopyFrom(g.ctx, &chanReader{ch: out},
		"COPY hera_auto_spectrum (time, antenna_number, antenna_feed_pol, spectrum) FROM STDIN (FORMAT binary)")
	cancel() // a failed COPY stops the stages
	<-done
	for range out { // let stage 2 finish if the COPY stopped reading
	}
	if stage2Err != nil {
		return stage2Err
	}
	if err := g.ctx.Err(); err != nil {
		return err
	}
	if copyErr != nil {
		return fmt.Errorf("hera_auto_spectrum: copy: %w", copyErr)
	}
	g.pending["hera_auto_spectrum"] += tag.RowsAffected()

	var rows [][]any
	for i, a := range list {
		if valid[i] && !haveAuto[antPol{a.ant, a.pol}] {
			rows = append(rows, []any{t, a.ant, a.pol, "median", float64(medians[i])})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	n, err := tx.CopyFrom(g.ctx, pgx.Identifier{"hera_autos"},
		[]string{"time", "antenna_number", "antenna_feed_pol", "measurement_type", "value"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("hera_autos: copy: %w", err)
	}
	g.pending["hera_autos"] += n
	return nil
}

// lockExisting locks table against concurrent writers (readers go on) and
// returns the (antenna, pol) pairs it holds for time t.
func (g *gctx) lockExisting(tx pgx.Tx, table string, t int64) (map[antPol]bool, error) {
	id := pgx.Identifier{table}.Sanitize()
	if _, err := tx.Exec(g.ctx, "LOCK TABLE "+id+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	rows, err := tx.Query(g.ctx, "SELECT antenna_number, antenna_feed_pol FROM "+id+" WHERE time = $1", t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	have := map[antPol]bool{}
	for rows.Next() {
		var ap antPol
		if err := rows.Scan(&ap.ant, &ap.pol); err != nil {
			rows.Close()
			return nil, err
		}
		have[ap] = true
	}
	rows.Close()
	return have, rows.Err()
}

// chanReader is an io.Reader over a channel of byte slices.
type chanReader struct {
	ch  <-chan []byte
	cur []byte
}

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		b, ok := <-r.ch
		if !ok {
			return 0, io.EOF
		}
		r.cur = b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// copyHeader is the binary COPY header: signature, flags, extension length.
func copyHeader() []byte {
	return append([]byte("PGCOPY\n\xff\r\n\x00"), 0, 0, 0, 0, 0, 0, 0, 0)
}

// spectrumRowSize is the size of one hera_auto_spectrum row of n channels
// in the binary COPY format.
func spectrumRowSize(pol string, n int) int {
	size := 2 + 4 + 8 + 4 + 4 + 4 + len(pol) + 4 + 12
	if n > 0 {
		size += 8 + 8*n
	}
	return size
}

// encodeAutosChunk encodes the spectra of keys (raw little-endian float32
// bytes, used where ok) as hera_auto_spectrum rows in the binary
// COPY format, leaving out the pairs in have, and stores each spectrum's
// float32 median in medians. The work is split over the CPUs, each worker
// writing its own rows' region of one buffer.
func encodeAutosChunk(keys []autoKey, raw [][]byte, ok []bool, t int64, have map[antPol]bool, medians []float32) []byte {
	off := make([]int, len(keys)+1)
	for i, a := range keys {
		off[i+1] = off[i]
		if ok[i] && !have[antPol{a.ant, a.pol}] {
			off[i+1] += spectrumRowSize(a.pol, len(raw[i])/4)
		}
	}
	buf := make([]byte, off[len(keys)])
	workers := min(runtime.GOMAXPROCS(0), 8, len(keys))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			var sortKeys, tmp []uint32
			for i := w; i < len(keys); i += workers {
				if !ok[i] {
					continue
				}
				b := raw[i]
				n := len(b) / 4
				sortKeys = slices.Grow(sortKeys[:0], n)[:n]
				tmp = slices.Grow(tmp[:0], n)[:n]
				for j := range sortKeys {
					sortKeys[j] = orderedKey(binary.LittleEndian.Uint32(b[4*j:]))
				}
				if off[i+1] > off[i] {
					putSpectrumRow(buf[off[i]:off[i+1]], t, keys[i].ant, keys[i].pol, b)
				}
				medians[i] = medianKeys(sortKeys, tmp)
			}
		})
	}
	wg.Wait()
	return buf
}

// putSpectrumRow writes one hera_auto_spectrum row (time, antenna, pol,
// real[] from spec, little-endian float32 bytes) in the binary COPY format
// into b, which has exactly its size: a tight loop instead of pgx's
// per-element encoding.
func putSpectrumRow(b []byte, t int64, ant int32, pol string, spec []byte) {
	be := binary.BigEndian
	be.PutUint16(b, 4) // columns
	be.PutUint32(b[2:], 8)
	be.PutUint64(b[6:], uint64(t))
	be.PutUint32(b[14:], 4)
	be.PutUint32(b[18:], uint32(ant))
	be.PutUint32(b[22:], uint32(len(pol)))
	p := 26 + copy(b[26:], pol)
	n := len(spec) / 4
	if n == 0 {
		be.PutUint32(b[p:], 12)
		be.PutUint32(b[p+4:], 0)    // ndim
		be.PutUint32(b[p+8:], 0)    // no nulls
		be.PutUint32(b[p+12:], 700) // float4
		return
	}
	be.PutUint32(b[p:], uint32(20+8*n))
	be.PutUint32(b[p+4:], 1)    // ndim
	be.PutUint32(b[p+8:], 0)    // no nulls
	be.PutUint32(b[p+12:], 700) // float4
	be.PutUint32(b[p+16:], uint32(n))
	be.PutUint32(b[p+20:], 1) // lower bound
	// Each element is its length (4), then its bits big-endian; two at a
	// time from one 8-byte load, and the slices shrink as they go so the
	// compiler drops the bounds checks (about 2x the indexed loop).
	e := b[p+24 : p+24+8*n]
	spec = spec[:4*n]
	for len(spec) >= 8 && len(e) >= 16 {
		two := binary.LittleEndian.Uint64(spec)
		be.PutUint64(e, 4<<32|two&0xffffffff)
		be.PutUint64(e[8:], 4<<32|two>>32)
		e, spec = e[16:], spec[8:]
	}
	if len(spec) >= 4 && len(e) >= 8 {
		be.PutUint64(e, 4<<32|uint64(binary.LittleEndian.Uint32(spec)))
	}
}
