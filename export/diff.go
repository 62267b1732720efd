package export

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

// DiffKey names a key in a diff, with its type.
type DiffKey struct {
	DB   int    `json:"db"`   // database number
	Key  Blob   `json:"key"`  // key name
	Type string `json:"type"` // rdb.TypeName of the value ("hash", ...)
}

// Change is a key present in both files that differs.
type Change struct {
	DB          int      `json:"db"`               // database number
	Key         Blob     `json:"key"`              // key name
	What        []string `json:"what"`             // "type", "value", "expiry"
	OldType     string   `json:"old_type"`         // type in the first file
	NewType     string   `json:"new_type"`         // type in the second file
	OldExpireMs int64    `json:"old_expire_ms"`    // unix ms in the first file, -1 for none
	NewExpireMs int64    `json:"new_expire_ms"`    // unix ms in the second file, -1 for none
	Detail      string   `json:"detail,omitempty"` // e.g. a short string's old and new value, or sizes
}

// DiffResult is what Diff found. Lists are sorted by database and key.
// The JSON form is stable: fields are only ever added.
type DiffResult struct {
	Added     []DiffKey `json:"added"`     // keys only in the second file
	Removed   []DiffKey `json:"removed"`   // keys only in the first file
	Changed   []Change  `json:"changed"`   // keys in both that differ
	Unchanged int64     `json:"unchanged"` // keys in both with the same type, value and expiry
	// Functions compares the function libraries (Redis 7+) by name and
	// code.
	Functions FunctionsDiff `json:"functions"`
}

// FunctionsDiff names the function libraries only in the second file
// (Added), only in the first (Removed), and in both with other code
// (Changed), sorted.
type FunctionsDiff struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// Equal reports whether the files hold the same data: no key or function
// library added, removed or changed. LRU/LFU data, stream consumers'
// seen times and aux fields are not compared.
func (d *DiffResult) Equal() bool {
	f := d.Functions
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0 &&
		len(f.Added) == 0 && len(f.Removed) == 0 && len(f.Changed) == 0
}

// libraries maps each function library of a file to a digest of its code.
type libraries map[string][sha256.Size]byte

func (l libraries) add(f *rdb.Function) {
	code := rdb.FunctionLoadCode(f)
	name := f.Library()
	if name == "" { // not loadable as it is; still compared, by its code
		name = "(unnamed) " + clipName(code)
	}
	l[name] = sha256.Sum256(code)
}

func clipName(code []byte) string {
	line, _, _ := bytes.Cut(code, []byte("\n"))
	if len(line) > 40 {
		line = line[:40]
	}
	return strconv.Quote(string(line))
}

// compare fills d with what changed from l (the first file) to r.
func (l libraries) compare(r libraries, d *FunctionsDiff) {
	*d = FunctionsDiff{Added: []string{}, Removed: []string{}, Changed: []string{}}
	for name, sum := range r {
		old, ok := l[name]
		switch {
		case !ok:
			d.Added = append(d.Added, name)
		case old != sum:
			d.Changed = append(d.Changed, name)
		}
	}
	for name := range l {
		if _, ok := r[name]; !ok {
			d.Removed = append(d.Removed, name)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	sort.Strings(d.Changed)
}

type keySummary struct {
	typ    string
	expire int64
	digest [16]byte
	brief  string
}

// brief describes a value in a few words for change details.
func brief(v *rdb.Value, e *rdb.Entry) string {
	if v == nil {
		return fmt.Sprintf("%d bytes", e.ValueLen)
	}
	switch v.Kind {
	case "string":
		if len(v.String) <= 64 {
			return quoteBytes(v.String)
		}
		return fmt.Sprintf("%d bytes", len(v.String))
	case "list":
		return count(int64(len(v.List)), "element", "elements")
	case "set":
		return count(int64(len(v.Set)), "member", "members")
	case "zset":
		return count(int64(len(v.ZSet)), "member", "members")
	case "hash":
		return count(int64(len(v.Hash)), "field", "fields")
	case "stream":
		return count(int64(v.Stream.Length), "entry", "entries")
	}
	return ""
}

// count is "1 member", "2 members".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func summarize(e *rdb.Entry) (keySummary, error) {
	d, v, err := ContentDigest(e)
	if err != nil {
		return keySummary{}, &rdb.Error{Offset: e.Offset(), Key: e.Key, Err: err}
	}
	return keySummary{typ: rdb.TypeName(e.Type), expire: e.ExpireMs, digest: d, brief: brief(v, e)}, nil
}

// DiffInputError says which input of Diff could not be read, so a caller
// can name the file.
type DiffInputError struct {
	Input int   // 0: a, 1: b
	Err   error // the read or decode error, usually an *rdb.Error
}

// Error names the input as "first file" or "second file", then the error.
func (e *DiffInputError) Error() string {
	return [2]string{"first file", "second file"}[e.Input] + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *DiffInputError) Unwrap() error { return e.Err }

// summaryType is the type of an encoded summary.
func summaryType(p []byte) string {
	l, n := binary.Uvarint(p)
	return typeName(p[n : n+int(l)])
}

// encode is the summary as a spillSort payload.
func (s keySummary) encode(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s.typ)))
	dst = append(dst, s.typ...)
	dst = binary.AppendVarint(dst, s.expire)
	dst = append(dst, s.digest[:]...)
	return append(dst, s.brief...)
}

// decodeSummary reads what encode wrote. The brief is left as bytes in
// the payload (briefOf): most differences never show it.
func decodeSummary(p []byte) (keySummary, []byte) {
	var s keySummary
	l, n := binary.Uvarint(p)
	p = p[n:]
	s.typ, p = typeName(p[:l]), p[l:]
	s.expire, n = binary.Varint(p)
	p = p[n:]
	copy(s.digest[:], p)
	return s, p[len(s.digest):]
}

// typeName is b as one of the type name constants, without allocating.
func typeName(b []byte) string {
	switch string(b) {
	case "string":
		return "string"
	case "list":
		return "list"
	case "set":
		return "set"
	case "zset":
		return "zset"
	case "hash":
		return "hash"
	case "stream":
		return "stream"
	case "module":
		return "module"
	}
	return string(b)
}

// whats are the Change.What lists, shared: a list made per change cost
// each of 100 k's of differences an allocation.
var whats = map[[3]bool][]string{}

func init() {
	for _, typ := range []bool{false, true} {
		for _, val := range []bool{false, true} {
			for _, exp := range []bool{false, true} {
				var w []string
				if typ {
					w = append(w, "type")
				} else if val {
					w = append(w, "value")
				}
				if exp {
					w = append(w, "expiry")
				}
				whats[[3]bool{typ, val, exp}] = w
			}
		}
	}
}

// diffHead is a record of a sorted file's summaries.
type diffHead struct {
	db      int
	key     []byte
	payload []byte
	ok      bool // false at the end
}

// lastCopies reads a spillIter's records keeping only the last of each
// database and key: a dump holding a key twice (one Redis refuses to load)
// is compared by its last copy, so a key shows once in a diff (the
// merge-join of both copies listed it as removed or added beside its
// change).
type lastCopies struct {
	it         *spillIter
	started    bool
	cur, ahead diffHead // ahead: the record read after cur
}

// next returns the next record; its slices are valid until the following
// call.
func (l *lastCopies) next() (diffHead, error) {
	if !l.started {
		l.started = true
		if err := l.read(&l.ahead); err != nil {
			return diffHead{}, err
		}
	}
	if !l.ahead.ok {
		return diffHead{}, nil
	}
	for {
		l.cur, l.ahead = l.ahead, l.cur
		if err := l.read(&l.ahead); err != nil {
			return diffHead{}, err
		}
		if !l.ahead.ok || l.ahead.db != l.cur.db || !bytes.Equal(l.ahead.key, l.cur.key) {
			return l.cur, nil
		}
	}
}

// read reads the iterator's next record into h, copied into h's own room.
func (l *lastCopies) read(h *diffHead) error {
	db, key, payload, ok, err := l.it.next()
	h.db, h.ok = db, ok
	h.key = append(h.key[:0], key...)
	h.payload = append(h.payload[:0], payload...)
	return err
}

// Diff compares two RDB streams by content: values are compared by their
// data, not their encoding (an intset and a listpack set with the same
// members are equal). Each file's keys are summarized (a digest, not the
// value) and sorted by database and key, in memory up to 32 MiB of
// summaries per file and beyond that in a temporary file (see
// spillSort), then the two sorted lists are merged. Memory is thus that,
// the largest value decoded, and the differences found. A key held twice
// in one database of a file (a dump Redis refuses to load) is compared by
// its last copy.
func Diff(a, b io.Reader) (*DiffResult, error) {
	leftLibs, rightLibs := libraries{}, libraries{}
	sorted := func(in int, r io.Reader, libs libraries) (*spillSort, error) {
		ss := newSpillSort()
		var buf []byte
		err := eachEntry(r, libs, func(e *rdb.Entry) error {
			s, err := summarize(e)
			if err != nil {
				return err
			}
			buf = s.encode(buf[:0])
			return ss.add(e.DB, e.Key, buf)
		})
		if err == nil {
			err = ss.finish()
		}
		var se *spillError
		if err != nil && !errors.As(err, &se) {
			err = &DiffInputError{Input: in, Err: err}
		}
		return ss, err
	}
	sa, err := sorted(0, a, leftLibs)
	defer sa.close()
	if err != nil {
		return nil, err
	}
	sb, err := sorted(1, b, rightLibs)
	defer sb.close()
	if err != nil {
		return nil, err
	}
	res := &DiffResult{Added: []DiffKey{}, Removed: []DiffKey{}, Changed: []Change{}}
	ita, err := sa.iter()
	if err != nil {
		return nil, err
	}
	itb, err := sb.iter()
	if err != nil {
		return nil, err
	}
	ia, ib := &lastCopies{it: ita}, &lastCopies{it: itb}
	ha, errA := ia.next()
	hb, errB := ib.next()
	for (ha.ok || hb.ok) && errA == nil && errB == nil {
		c := 0
		switch {
		case !ha.ok:
			c = 1
		case !hb.ok:
			c = -1
		case ha.db != hb.db:
			c = cmp.Compare(ha.db, hb.db)
		default:
			c = bytes.Compare(ha.key, hb.key)
		}
		switch {
		case c < 0:
			res.Removed = append(res.Removed, DiffKey{DB: ha.db, Key: bytes.Clone(ha.key), Type: summaryType(ha.payload)})
			ha, errA = ia.next()
		case c > 0:
			res.Added = append(res.Added, DiffKey{DB: hb.db, Key: bytes.Clone(hb.key), Type: summaryType(hb.payload)})
			hb, errB = ib.next()
		default:
			old, oldBrief := decodeSummary(ha.payload)
			s, brief := decodeSummary(hb.payload)
			typ, exp := old.typ != s.typ, old.expire != s.expire
			val := !typ && old.digest != s.digest
			if !typ && !val && !exp {
				res.Unchanged++
			} else {
				c := Change{DB: hb.db, Key: bytes.Clone(hb.key), What: whats[[3]bool{typ, val, exp}], OldType: old.typ, NewType: s.typ, OldExpireMs: old.expire, NewExpireMs: s.expire}
				if (typ || val) && !bytes.Equal(oldBrief, brief) {
					c.Detail = string(oldBrief) + " -> " + string(brief)
				}
				res.Changed = append(res.Changed, c)
			}
			ha, errA = ia.next()
			hb, errB = ib.next()
		}
	}
	if err := cmp.Or(errA, errB); err != nil {
		return nil, err
	}
	leftLibs.compare(rightLibs, &res.Functions)
	return res, nil
}

// eachEntry calls fn for every key of r and adds its function libraries
// to libs.
func eachEntry(r io.Reader, libs libraries, fn func(*rdb.Entry) error) error {
	rd := rdb.NewReader(r, rdb.ReuseBuffers()) // fn copies what it keeps
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch rec := rec.(type) {
		case *rdb.Entry:
			if err := fn(rec); err != nil {
				return err
			}
		case *rdb.Function:
			libs.add(rec)
		}
	}
}

// WriteText writes the human form: one line per difference, then a
// summary line.
func (d *DiffResult) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w) // written as it goes: a diff of two big dumps may list millions of keys
	for _, k := range d.Removed {
		fmt.Fprintf(b, "- db%d %s (%s)\n", k.DB, quoteKey(k.Key), k.Type)
	}
	for _, k := range d.Added {
		fmt.Fprintf(b, "+ db%d %s (%s)\n", k.DB, quoteKey(k.Key), k.Type)
	}
	for _, c := range d.Changed {
		var parts []string
		for _, what := range c.What {
			switch what {
			case "type":
				p := "type " + c.OldType + " -> " + c.NewType
				if c.Detail != "" {
					p += " (" + c.Detail + ")"
				}
				parts = append(parts, p)
			case "value":
				p := c.NewType + " value changed"
				if c.Detail != "" {
					p += " (" + c.Detail + ")"
				}
				parts = append(parts, p)
			case "expiry":
				parts = append(parts, "expiry "+expiryText(c.OldExpireMs)+" -> "+expiryText(c.NewExpireMs))
			}
		}
		fmt.Fprintf(b, "~ db%d %s: %s\n", c.DB, quoteKey(c.Key), strings.Join(parts, "; "))
	}
	f := d.Functions
	for _, name := range f.Removed {
		fmt.Fprintf(b, "- function library %s\n", name)
	}
	for _, name := range f.Added {
		fmt.Fprintf(b, "+ function library %s\n", name)
	}
	for _, name := range f.Changed {
		fmt.Fprintf(b, "~ function library %s: code changed\n", name)
	}
	fmt.Fprintf(b, "%d added, %d removed, %d changed, %d unchanged\n", len(d.Added), len(d.Removed), len(d.Changed), d.Unchanged)
	if n := len(f.Added) + len(f.Removed) + len(f.Changed); n > 0 {
		fmt.Fprintf(b, "function libraries: %d added, %d removed, %d changed\n", len(f.Added), len(f.Removed), len(f.Changed))
	}
	return b.Flush()
}

func expiryText(ms int64) string {
	if ms < 0 {
		return "none"
	}
	return formatMs(ms)
}

// quoteKey prints a key as rdbtool keys does (filter.Quote): plain keys
// as they are, others Go-quoted whole, never summarized, so every line
// names its key and strconv.Unquote gives the bytes back.
func quoteKey(k []byte) string { return filter.Quote(k) }
