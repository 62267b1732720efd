package filter

import (
	"errors"
	"fmt"
	"io"

	"github.com/rdbtool/rdbtool/rdb"
)

// RewriteOptions tune Rewrite.
type RewriteOptions struct {
	// Version is the RDB version to write; 0 keeps the input's. Values the
	// version cannot load are re-encoded (rdb.ConvertEntry), records it
	// does not know are dropped with a warning.
	Version int
	// SkipUnconvertible drops keys that Version cannot express instead of
	// failing.
	SkipUnconvertible bool
	// MaxWarnings bounds RewriteStats.Warnings (0: 1000); the rest are
	// counted in WarningsOmitted.
	MaxWarnings int
	// ReaderOptions are passed to rdb.NewReader.
	ReaderOptions []rdb.ReaderOption
}

// RewriteStats says what a Rewrite did.
type RewriteStats struct {
	InVersion, OutVersion int
	KeysIn, KeysOut       int64
	BytesIn, BytesOut     int64
	Converted             int      // entries re-encoded for Version
	Warnings              []string // data dropped by conversion
	WarningsOmitted       int
	Unconvertible         []KeyRef // keys Version cannot express (dropped with SkipUnconvertible)
	Checksum              rdb.ChecksumInfo
}

// ErrUnconvertible is returned (wrapped) by Rewrite when keys cannot be
// expressed in the target version and SkipUnconvertible is off; the keys
// are in RewriteStats.Unconvertible.
var ErrUnconvertible = rdb.ErrUnconvertible

// Rewrite streams the RDB file in to out, passing every entry through f
// (nil keeps everything) and every other record through unchanged. With no
// filter and no version change the output is byte-identical to the input.
// Memory stays constant: one record at a time.
func Rewrite(in io.Reader, out io.Writer, f Filter, opt RewriteOptions) (*RewriteStats, error) {
	st := &RewriteStats{}
	maxWarn := opt.MaxWarnings
	if maxWarn <= 0 {
		maxWarn = 1000
	}
	warn := func(s string) {
		if len(st.Warnings) < maxWarn {
			st.Warnings = append(st.Warnings, s)
		} else {
			st.WarningsOmitted++
		}
	}
	// Every entry is filtered and written before the next is read, and the
	// filters copy what they keep, so the Reader may reuse its buffers.
	rd := rdb.NewReader(in, append([]rdb.ReaderOption{rdb.ReuseBuffers()}, opt.ReaderOptions...)...)
	// The checksum goes through a tail holder: a file written with
	// "rdbchecksum no" (zero checksum) stays byte-identical.
	tail := &tailWriter{w: out}
	var w *rdb.Writer
	convert := false
	dropped := map[string]int{}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
		switch r := rec.(type) {
		case *rdb.Header:
			st.InVersion, st.OutVersion = r.Version, r.Version
			magic := r.Magic
			if opt.Version > 0 && opt.Version != r.Version {
				st.OutVersion = opt.Version
				convert = true
				magic = "REDIS"
				if opt.Version >= 80 {
					magic = "VALKEY"
				}
			}
			w = rdb.NewWriter(tail, st.OutVersion, rdb.WithMagic(magic))
			err = w.Write(r)
		case *rdb.Entry:
			st.KeysIn++
			if f != nil && !f.Apply(r) {
				continue
			}
			if convert {
				keep, cerr := convertEntry(r, st, opt, warn)
				if cerr != nil {
					return st, cerr
				}
				if !keep {
					continue
				}
			}
			st.KeysOut++
			err = w.WriteEntry(r)
		default:
			if convert {
				if why := recordUnsupported(rec, st.OutVersion); why != "" {
					dropped[why]++
					continue
				}
			}
			err = w.Write(rec)
		}
		if err != nil {
			return st, fmt.Errorf("writing output: %w", err)
		}
	}
	for why, n := range dropped {
		warn(fmt.Sprintf("%d %s dropped (RDB version %d has none)", n, why, st.OutVersion))
	}
	st.Checksum = rd.Checksum()
	st.BytesIn = rd.Offset()
	if len(st.Unconvertible) > 0 && !opt.SkipUnconvertible {
		return st, fmt.Errorf("%w: %d keys cannot be written as RDB version %d (use --skip-unconvertible to drop them)",
			ErrUnconvertible, len(st.Unconvertible), st.OutVersion)
	}
	if err := w.Close(); err != nil {
		return st, fmt.Errorf("writing output: %w", err)
	}
	zero := !convert && st.Checksum.Status == rdb.ChecksumZero && f == nil
	if err := tail.finish(zero); err != nil {
		return st, fmt.Errorf("writing output: %w", err)
	}
	st.BytesOut = w.Offset()
	return st, nil
}

// convertEntry makes e loadable by the target version. keep is false for
// an unconvertible key (recorded in st).
func convertEntry(e *rdb.Entry, st *RewriteStats, opt RewriteOptions, warn func(string)) (keep bool, err error) {
	typ := e.Type
	ws, cerr := rdb.ConvertEntry(e, st.OutVersion)
	if cerr != nil {
		if !errors.Is(cerr, rdb.ErrUnconvertible) {
			return false, cerr
		}
		st.Unconvertible = append(st.Unconvertible, KeyRef{DB: e.DB, Key: append([]byte(nil), e.Key...)})
		warn(cerr.Error())
		return false, nil
	}
	if e.Type != typ {
		st.Converted++
	}
	for _, w := range ws {
		warn(w)
	}
	if st.OutVersion < 9 && st.OutVersion < 80 && (e.Idle >= 0 || e.Freq >= 0) {
		// LRU/LFU opcodes arrived with RDB 9 (Redis 5.0).
		e.Idle, e.Freq = -1, -1
	}
	return true, nil
}

// recordUnsupported names a non-entry record the version cannot load, or
// returns "".
func recordUnsupported(rec rdb.Record, version int) string {
	valkey := version >= 80
	switch rec.(type) {
	case *rdb.Function:
		if version < 10 && !valkey {
			return "function libraries"
		}
	case *rdb.SlotInfo:
		if version < 12 && !valkey {
			return "slot info records"
		}
	case *rdb.SlotImport:
		if !valkey {
			return "Valkey slot import records"
		}
	case *rdb.ModuleAux:
		if version < 9 && !valkey {
			return "module aux records"
		}
	case *rdb.Aux:
		if version < 7 {
			return "aux fields"
		}
	case *rdb.ResizeDB:
		if version < 7 {
			return "resize-db hints"
		}
	}
	return ""
}

// tailWriter passes everything through but the last 8 bytes (the
// checksum), which finish writes as they are or as zeros.
type tailWriter struct {
	w    io.Writer
	tail []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.tail)+len(p) <= 8 {
		t.tail = append(t.tail, p...)
		return n, nil
	}
	// Emit all but the last 8 bytes of tail+p.
	if len(p) >= 8 {
		if len(t.tail) > 0 {
			if _, err := t.w.Write(t.tail); err != nil {
				return 0, err
			}
		}
		if _, err := t.w.Write(p[:len(p)-8]); err != nil {
			return 0, err
		}
		t.tail = append(t.tail[:0], p[len(p)-8:]...)
		return n, nil
	}
	all := append(t.tail, p...)
	cut := len(all) - 8
	if _, err := t.w.Write(all[:cut]); err != nil {
		return 0, err
	}
	t.tail = append([]byte(nil), all[cut:]...)
	return n, nil
}

func (t *tailWriter) finish(zero bool) error {
	if zero && len(t.tail) == 8 {
		t.tail = make([]byte, 8)
	}
	_, err := t.w.Write(t.tail)
	return err
}
