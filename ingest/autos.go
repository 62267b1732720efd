package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
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
	if !g.opts.perRowInserts {
		return g.streamAutos(t)
	}

	// The baseline: read everything, then the original's statements and
	// session settings.
	list, err := g.autoKeys()
	if err != nil {
		return err
	}
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

// autoKeys lists the autos keys, one per (antenna, pol), in antenna then
// pol order, reporting the ones whose antenna number does not parse.
func (g *gctx) autoKeys() ([]autoKey, error) {
	// The original uses KEYS; SCAN gives the same keys without blocking Redis.
	keys, err := g.scan("auto*")
	if err != nil {
		return nil, err
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
			g.skip("hera_autos", k, "", "antenna number: "+err.Error())
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
	return list, nil
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

// lz4ToastSQL is SET LOCAL default_toast_compression = lz4 where the
// server was built with lz4, in one statement (a batch can carry it): the
// spectra's TOAST compression attempts cost about half the default pglz's,
// and every client reads lz4 values transparently.
const lz4ToastSQL = `SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings
	WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`

// autosChunk is how many autos keys one Redis pipeline of a streaming pass
// reads: small enough that the first spectra reach PostgreSQL while the
// rest are still being read, large enough to keep round trips few.
const autosChunk = 50

// streamAutos writes the autos of one pass. Storing the spectra is the
// longest work of a pass and it is all one backend's (one transaction), so
// everything here is arranged to keep that backend busy from the start:
// a goroutine reads the spectra from Redis in pipelines of autosChunk keys
// (starting before the transaction, whose set-up is one round trip),
// a spectraReader encodes them in PostgreSQL's binary COPY format straight
// into the COPY's buffer as the connection asks for data, and the
// connection's socket gets a deep send buffer so the server has megabytes
// to work on even while this process is busy with other groups. The
// medians the hera_autos rows need are taken only after the last spectrum
// has been handed over, while the server is still storing them. Both
// tables are locked against concurrent writers (readers go on) and the
// (antenna, pol) pairs they already hold for this time are left out: the
// same result as INSERT ... ON CONFLICT DO NOTHING, without a staging
// table.
func (g *gctx) streamAutos(t int64) error {
	if writeHook != nil {
		// One value of each column's Go type: the rows appendMedianRow and
		// putSpectrumRow encode (int8, int4, text, text, float8; int8,
		// int4, text, float4[] from float32s).
		var a autoKey
		hookRow("hera_autos", []string{"time", "antenna_number", "antenna_feed_pol", "measurement_type", "value"},
			t, a.ant, a.pol, "median", float64(0))
		hookRow("hera_auto_spectrum", []string{"time", "antenna_number", "antenna_feed_pol", "spectrum"},
			t, a.ant, a.pol, []float32(nil))
	}
	ctx, cancel := context.WithCancel(g.ctx)
	reads := make(chan *autosRead, 1)
	readDone := make(chan struct{})
	defer func() {
		cancel() // a failed transaction stops the reads
		<-readDone
	}()
	// The Redis reads: the keys (while the transaction is set up), then
	// their values a chunk or two ahead of the COPY. Only this goroutine
	// reports skips until it is done.
	go func() {
		defer close(readDone)
		rd := &autosRead{fetched: make(chan int, 2)}
		defer close(rd.fetched)
		rd.list, rd.err = g.autoKeys()
		rd.raw = make([][]byte, len(rd.list))
		rd.valid = make([]bool, len(rd.list))
		reads <- rd
		if rd.err != nil {
			return
		}
		for lo := 0; lo < len(rd.list); lo += autosChunk {
			hi := min(lo+autosChunk, len(rd.list))
			pipe := g.rdb.Pipeline()
			cmds := make([]*redis.StringCmd, 0, hi-lo)
			for _, a := range rd.list[lo:hi] {
				cmds = append(cmds, pipe.Get(ctx, a.key))
			}
			pipe.Exec(ctx) // per-command errors are looked at below
			for i, cmd := range cmds {
				b, ok, err := g.autoValue(rd.list[lo+i], cmd)
				if err != nil {
					rd.mu.Lock()
					rd.err = err
					rd.mu.Unlock()
					return
				}
				rd.raw[lo+i], rd.valid[lo+i] = b, ok
			}
			select {
			case rd.fetched <- hi:
			case <-ctx.Done():
				return
			}
		}
	}()
	return g.tx(func(tx pgx.Tx) error { return g.copyAutos(tx, t, reads) })
}

// autosRead is what streamAutos' reads hand its transaction: the keys,
// then their values into raw and valid, fetched giving the end of each
// chunk read and closing when the reads stop; err is why they stopped
// early.
type autosRead struct {
	list    []autoKey
	raw     [][]byte
	valid   []bool
	fetched chan int
	mu      sync.Mutex
	err     error
}

func (rd *autosRead) failed() error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.err
}

// copyAutos is streamAutos' transaction: it locks the two tables and
// learns the pairs they already hold (while the keys are listed), COPYs
// the spectra as they are read, then their medians.
func (g *gctx) copyAutos(tx pgx.Tx, t int64, reads <-chan *autosRead) error {
	haveAuto, haveSpec, err := g.lockAutos(tx, t)
	if err != nil {
		return err
	}
	var rd *autosRead
	select {
	case rd = <-reads:
	case <-g.ctx.Done():
		return g.ctx.Err()
	}
	if err := rd.failed(); err != nil {
		return err
	}
	list, raw, valid := rd.list, rd.raw, rd.valid
	if len(list) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	sent := make(chan struct{})
	sr := &spectraReader{list: list, raw: raw, valid: valid, have: haveSpec, t: t, fetched: rd.fetched,
		sent: sent, failed: rd.failed}
	// The medians, once every spectrum is on its way to the server.
	medians := make([]float32, len(list))
	mediansDone := make(chan struct{})
	go func() {
		defer close(mediansDone)
		select {
		case <-sent:
		case <-ctx.Done():
			return
		}
		rawMedians(raw, valid, medians)
	}()

	pc := tx.Conn().PgConn()
	restore := deepSendBuffer(pc.Conn())
	tag, copyErr := pc.CopyFrom(g.ctx, sr,
		"COPY hera_auto_spectrum (time, antenna_number, antenna_feed_pol, spectrum) FROM STDIN (FORMAT binary)"+
			rowByRow(pc.ParameterStatus("server_version")))
	restore()
	if copyErr != nil {
		cancel() // a failed COPY stops the medians
	}
	// After a COPY that ended well sent is closed: the medians are taken.
	// (Cancelling then could let their goroutine, if it had not run yet,
	// see both channels ready and pick ctx: medians of 0 stored.)
	<-mediansDone
	if copyErr != nil {
		// Why the reader failed the COPY, if it did. Asked of the reads,
		// not of sr: when pgconn gives up on a connection (a cancelled
		// pass, a lost server) it returns without waiting for its
		// goroutine, which may still be in sr.Read.
		if err := rd.failed(); err != nil {
			return err
		}
	}
	if err := g.ctx.Err(); err != nil {
		return err
	}
	if copyErr != nil {
		return fmt.Errorf("hera_auto_spectrum: copy: %w", copyErr)
	}
	g.pending["hera_auto_spectrum"] += tag.RowsAffected()

	data := copyHeader()
	n := 0
	for i, a := range list {
		if valid[i] && !haveAuto[antPol{a.ant, a.pol}] {
			data = appendMedianRow(data, t, a.ant, a.pol, medians[i])
			n++
		}
	}
	if n == 0 {
		return nil
	}
	data = append(data, 0xff, 0xff)
	tag, err = pc.CopyFrom(g.ctx, bytes.NewReader(data),
		"COPY hera_autos (time, antenna_number, antenna_feed_pol, measurement_type, value) FROM STDIN (FORMAT binary)")
	if err != nil {
		return fmt.Errorf("hera_autos: copy: %w", err)
	}
	g.pending["hera_autos"] += tag.RowsAffected()
	return nil
}

// appendMedianRow appends one hera_autos row (time, antenna, pol,
// "median", the median as float8) in the binary COPY format: encoded here
// rather than by pgx, which first asks the server for the columns' types.
func appendMedianRow(b []byte, t int64, ant int32, pol string, median float32) []byte {
	be := binary.BigEndian
	b = be.AppendUint16(b, 5)
	b = be.AppendUint32(b, 8)
	b = be.AppendUint64(b, uint64(t))
	b = be.AppendUint32(b, 4)
	b = be.AppendUint32(b, uint32(ant))
	b = be.AppendUint32(b, uint32(len(pol)))
	b = append(b, pol...)
	b = be.AppendUint32(b, uint32(len("median")))
	b = append(b, "median"...)
	b = be.AppendUint32(b, 8)
	return be.AppendUint64(b, math.Float64bits(float64(median)))
}

// lockAutos sets the transaction's TOAST compression (lz4ToastSQL), locks
// hera_autos and hera_auto_spectrum against concurrent writers (readers go
// on) and returns the (antenna, pol) pairs each holds for time t: one
// round trip, as the spectra wait behind it.
func (g *gctx) lockAutos(tx pgx.Tx, t int64) (haveAuto, haveSpec map[antPol]bool, err error) {
	b := &pgx.Batch{}
	b.Queue(lz4ToastSQL)
	tables := []string{"hera_autos", "hera_auto_spectrum"}
	for _, table := range tables {
		id := pgx.Identifier{table}.Sanitize()
		b.Queue("LOCK TABLE " + id + " IN SHARE ROW EXCLUSIVE MODE")
		b.Queue("SELECT antenna_number, antenna_feed_pol FROM "+id+" WHERE time = $1", t)
	}
	br := tx.SendBatch(g.ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, err
	}
	have := make([]map[antPol]bool, len(tables))
	for i, table := range tables {
		if _, err := br.Exec(); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", table, err)
		}
		rows, err := br.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", table, err)
		}
		have[i] = map[antPol]bool{}
		for rows.Next() {
			var ap antPol
			if err := rows.Scan(&ap.ant, &ap.pol); err != nil {
				rows.Close()
				return nil, nil, err
			}
			have[i][ap] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", table, err)
		}
	}
	return have[0], have[1], br.Close()
}

// rowByRow is the clause that makes a COPY store each row as it arrives
// on a server that has COPY ... WHERE (PostgreSQL 12 and later), else "".
// COPY otherwise gathers rows and inserts them 1000 at a time, counting
// the bytes of text lines to flush sooner, which a binary COPY does not
// have: all 700 spectra of a pass (17 MB) wait in the backend's memory and
// are TOASTed after the last one, while one core sits idle. A WHERE clause
// with a volatile function turns that batching off (CIM_SINGLE in
// PostgreSQL's copyfrom.c); random() < 2 is always true. Measured on the
// bench site: 8-10% less server CPU for the spectra, and a pass about 6 ms
// (5%) faster.
func rowByRow(serverVersion string) string {
	end := strings.IndexFunc(serverVersion, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(serverVersion)
	}
	major, err := strconv.Atoi(serverVersion[:end])
	if err != nil || major < 12 {
		return ""
	}
	return " WHERE random() < 2"
}

// rawMedians stores in medians the float32 median of each valid raw
// spectrum (little-endian float32 bytes). It runs on one goroutine: it is
// taken while the server stores the spectra, and a second one would take
// that backend's CPU.
func rawMedians(raw [][]byte, valid []bool, medians []float32) {
	var keys, tmp []uint32
	for i, b := range raw {
		if !valid[i] {
			continue
		}
		n := len(b) / 4
		keys = slices.Grow(keys[:0], n)[:n]
		tmp = slices.Grow(tmp[:0], n)[:n]
		medians[i] = medianLE(b, keys, tmp)
	}
}

// spectraReader is the data of one binary COPY into hera_auto_spectrum,
// encoded as the connection reads it: the header, a row for each valid
// spectrum whose pair is not in have, the trailer. Rows are written
// straight into the caller's buffer, whole rows per Read where they fit.
// The spectra arrive by chunk: fetched gives the end of each chunk read
// into raw and valid; when it closes, failed tells whether the reads
// stopped on an error, which fails the COPY. sent is closed when the
// trailer is handed over: every row has been.
type spectraReader struct {
	list    []autoKey
	raw     [][]byte
	valid   []bool
	have    map[antPol]bool
	t       int64
	fetched <-chan int
	failed  func() error
	sent    chan struct{}

	started   bool
	ended     bool   // the trailer was handed over
	next, end int    // next row to encode; rows before end have been read
	row       []byte // bytes that did not fit in one Read, being handed over
	scratch   []byte
}

func (r *spectraReader) Read(p []byte) (int, error) {
	if !r.started {
		r.started = true
		r.row = copyHeader() // on its own, before waiting for the spectra
	}
	if len(r.row) > 0 {
		c := copy(p, r.row)
		r.row = r.row[c:]
		return c, nil
	}
	n := 0
	for {
		for ; r.next < r.end; r.next++ {
			i := r.next
			a := r.list[i]
			if !r.valid[i] || r.have[antPol{a.ant, a.pol}] {
				continue
			}
			size := spectrumRowSize(a.pol, len(r.raw[i])/4)
			if size <= len(p)-n {
				putSpectrumRow(p[n:n+size], r.t, a.ant, a.pol, r.raw[i])
				n += size
				continue
			}
			if n > 0 {
				return n, nil // the next Read starts with this row
			}
			// A row larger than p (only for spectra far longer than the
			// site's): encode it aside and hand it over in pieces.
			r.scratch = slices.Grow(r.scratch[:0], size)[:size]
			putSpectrumRow(r.scratch, r.t, a.ant, a.pol, r.raw[i])
			r.next++
			c := copy(p, r.scratch)
			r.row = r.scratch[c:]
			return c, nil
		}
		if n > 0 {
			return n, nil // hand these rows over before waiting for more
		}
		end, ok := <-r.fetched
		if !ok {
			break
		}
		r.end = end
	}
	if err := r.failed(); err != nil {
		return 0, err
	}
	if r.end < len(r.list) {
		return 0, context.Canceled // the reads were stopped
	}
	if !r.ended {
		r.ended = true
		close(r.sent)
		trailer := []byte{0xff, 0xff} // -1 fields: the end
		c := copy(p, trailer)
		r.row = trailer[c:]
		return c, nil
	}
	return 0, io.EOF
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
