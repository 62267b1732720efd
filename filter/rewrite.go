package filter

import (
	"fmt"
	"io"

	"github.com/rdbtool/rdbtool/rdb"
)

// RewriteOptions tune Rewrite.
type RewriteOptions struct {
	// Version is the RDB version to write; 0 keeps the input's. With a
	// version (even the input's) values it cannot load are re-encoded and
	// records it does not know are dropped with a warning, by the rules of
	// rdb.Conversion (shared with import).
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
//
// The json tags are the field names of the --json reports of the commands
// that rewrite a file (rdbtool rewrite, prune, persist, refresh).
type RewriteStats struct {
	InVersion  int              `json:"input_rdb_version"`  // RDB version of the input's header
	OutVersion int              `json:"output_rdb_version"` // RDB version written
	KeysIn     int64            `json:"keys_in"`            // entries read
	KeysOut    int64            `json:"keys_out"`           // entries written
	BytesIn    int64            `json:"input_bytes"`        // bytes of the input RDB read, including its checksum
	BytesOut   int64            `json:"output_bytes"`       // bytes written
	Checksum   rdb.ChecksumInfo `json:"checksum"`           // the input's trailing checksum
	// What fitting to Version did; Unconvertible keys are dropped with
	// SkipUnconvertible.
	ConversionReport
}

// ErrUnconvertible is returned (wrapped) by Rewrite when keys cannot be
// expressed in the target version and SkipUnconvertible is off; the keys
// are in RewriteStats.Unconvertible.
var ErrUnconvertible = rdb.ErrUnconvertible

// Rewrite streams the RDB file in to out, passing every entry through f
// (nil keeps everything) and every other record through unchanged. With no
// filter and no version change the output is byte-identical to the input.
// Memory stays constant: one record at a time. A value f drops whatever
// it holds (f is an UnseenDropper, e.g. a Prune by key) is not even held:
// the Reader skips it unread, and f sees the entry with ValueSkipped.
//
// On error the stats gathered so far are returned with it and out holds
// an incomplete file, so write to a temporary file and rename it only on
// success. A read error is the Reader's (*rdb.Error, or a checksum
// mismatch unless opt.ReaderOptions say otherwise); write errors start
// "writing output: "; keys Version cannot express give ErrUnconvertible.
func Rewrite(in io.Reader, out io.Writer, f Filter, opt RewriteOptions) (*RewriteStats, error) {
	st := &RewriteStats{ConversionReport: ConversionReport{MaxWarnings: opt.MaxWarnings}}
	// Every entry is filtered and written before the next is read, and the
	// filters copy what they keep, so the Reader may reuse its buffers.
	ropts := append([]rdb.ReaderOption{rdb.ReuseBuffers()}, opt.ReaderOptions...)
	skippedForF := false // the last entry's value was skipped because f drops it unseen
	if d, ok := f.(UnseenDropper); ok && mayDropUnseen(f) {
		// the values f drops whatever they hold are skipped unread: a
		// pruned value costs no memory (f still sees the entry)
		ropts = append(ropts, rdb.SkipValueIf(func(e *rdb.Entry) bool {
			skippedForF = d.DropsUnseen(e)
			return skippedForF
		}))
	}
	rd := rdb.NewReader(in, ropts...)
	// an early return (a write error, a filter keeping a skipped value)
	// stops the Reader's background reader now, not at a garbage collection
	defer rd.Close()
	// The checksum goes through a tail holder: a file written with
	// "rdbchecksum no" (zero checksum) stays byte-identical.
	tail := &tailWriter{w: out}
	var w *rdb.Writer
	defer func() {
		if w != nil {
			// after an early return the output is cut short: no trailer
			// that would make it look whole, and the Writer's background
			// writer stops now (after Close, Abort does nothing)
			w.Abort()
		}
	}()
	var conv *rdb.Conversion // the target version's rules, when converting
	for {
		skippedForF = false
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
			if opt.Version > 0 {
				// An explicit version means a file that version loads,
				// even the input's own (a 7.0 release-candidate
				// function, a hand-made file with records too new).
				conv = rdb.NewConversion(opt.Version)
			}
			if opt.Version > 0 && opt.Version != r.Version {
				st.OutVersion = opt.Version
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
			if r.ValueSkipped() {
				if !skippedForF {
					return st, fmt.Errorf("filter: key %s (db %d) kept, but its value was skipped: RewriteOptions.ReaderOptions must not skip values (SkipValues, SkipValueIf)", Quote(r.Key), r.DB)
				}
				return st, fmt.Errorf("filter: %T kept key %s (db %d) after saying it drops it unseen: its value was not read", f, Quote(r.Key), r.DB)
			}
			if conv != nil {
				keep, cerr := st.Fit(conv, r)
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
			if conv != nil && !conv.Keep(rec) {
				continue
			}
			err = w.Write(rec)
		}
		if err != nil {
			return st, fmt.Errorf("writing output: %w", err)
		}
	}
	if conv != nil {
		st.Finish(conv)
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
	zero := st.OutVersion == st.InVersion && st.Checksum.Status == rdb.ChecksumZero && f == nil
	if err := tail.finish(zero); err != nil {
		return st, fmt.Errorf("writing output: %w", err)
	}
	st.BytesOut = w.Offset()
	return st, nil
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
