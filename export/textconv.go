package export

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rdbtool/rdbtool/rdb"
)

// textMaxString is the longest string textconv prints whole; longer ones
// show their size and a SHA-256 prefix, which is enough to see a change.
const textMaxString = 1024

// TextConv writes a stable, sorted, readable rendering of the RDB stream r
// for `git diff`: keys sorted by database and name, members of sets and
// hashes sorted, one element per line, aux fields (which change on every
// save) left out. The text of each key is rendered at once and sorted,
// in memory up to 32 MiB and beyond that in a temporary file (see
// spillSort): memory stays bounded (plus the largest key's text) whatever
// the dump's size; big strings are summarized.
func TextConv(r io.Reader, w io.Writer) error {
	rd := rdb.NewReader(r, rdb.ReuseBuffers()) // each key is rendered to a string at once
	keys := newSpillSort()
	defer keys.close()
	var funcs []string
	var hdr *rdb.Header
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch x := rec.(type) {
		case *rdb.Header:
			hdr = x
		case *rdb.Function:
			funcs = append(funcs, string(FunctionCode(x)))
		case *rdb.Entry:
			rw := keys.newRecord(x.DB, x.Key)
			if err := entryText(rw, x); err != nil {
				if rw.err != nil {
					return rw.err // the temporary file's
				}
				return &rdb.Error{Offset: x.Offset(), Key: x.Key, Err: err}
			}
			if err := rw.close(); err != nil {
				return err
			}
		}
	}
	it, err := keys.iter()
	if err != nil {
		return err
	}
	sort.Strings(funcs)
	bw := bufio.NewWriter(w)
	// no key count here, nor element counts on the key lines: a count
	// would change with every key or element added, a second hunk in git
	// diff far from the change itself
	fmt.Fprintf(bw, "# rdbtool textconv: %s RDB %d, sorted by database and key\n", hdr.Magic, hdr.Version)
	for _, f := range funcs {
		bw.WriteString("function\n")
		for _, line := range strings.Split(strings.TrimRight(f, "\n"), "\n") {
			bw.WriteString("  " + line + "\n")
		}
	}
	for {
		_, _, text, ok, err := it.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		bw.Write(text)
	}
	return bw.Flush()
}

// quoteBytes always quotes, Go-style, so values read unambiguously.
func quoteBytes(b []byte) string {
	if len(b) > textMaxString || (len(b) > 64 && binaryish(b)) {
		sum := sha256.Sum256(b)
		return fmt.Sprintf("<%d bytes, sha256 %x>", len(b), sum[:8])
	}
	var s strings.Builder
	s.WriteByte('"')
	for len(b) > 0 {
		c := b[0]
		if c >= utf8.RuneSelf {
			// valid UTF-8 passes through; any other byte is escaped, so
			// the text stays UTF-8 for git diff and editors
			r, size := utf8.DecodeRune(b)
			if r == utf8.RuneError && size == 1 {
				fmt.Fprintf(&s, `\x%02x`, c)
			} else {
				s.Write(b[:size])
			}
			b = b[size:]
			continue
		}
		b = b[1:]
		switch {
		case c == '"' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\t':
			s.WriteString(`\t`)
		case c == '\r':
			s.WriteString(`\r`)
		case c < ' ' || c == 0x7f:
			fmt.Fprintf(&s, `\x%02x`, c)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

// binaryish reports whether more than a quarter of b is control bytes or
// bytes that are not UTF-8 (random data, packed numbers): such data reads
// better as a size and digest than as escapes.
func binaryish(b []byte) bool {
	n, total := 0, len(b)
	for len(b) > 0 {
		c := b[0]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(b)
			if r == utf8.RuneError && size == 1 {
				n++
			}
			b = b[size:]
			continue
		}
		if c < ' ' && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			n++
		}
		b = b[1:]
	}
	return n*4 > total
}

func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func formatID(id rdb.StreamID) string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

func formatMs(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// textWriter is what entryText writes to.
type textWriter interface {
	io.Writer
	io.StringWriter
}

// entryText writes the text of e to b; its errors are only e's data's
// (b keeps its own write errors: recordWriter).
func entryText(b textWriter, e *rdb.Entry) error {
	fmt.Fprintf(b, "db%d %s %s", e.DB, quoteBytes(e.Key), rdb.TypeName(e.Type))
	if e.HasExpiry() {
		b.WriteString(" expires " + formatMs(e.ExpireMs))
	}
	if e.Type == rdb.TypeModule2 {
		v, err := e.Decode()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(e.Value)
		fmt.Fprintf(b, "\n  module %s encver %d, %d bytes, sha256 %x\n", v.Module.Name, v.Module.EncVer, len(e.Value), sum[:8])
		return nil
	}
	v, err := e.Decode()
	if err != nil {
		return err
	}
	switch v.Kind {
	case "string":
		b.WriteString("\n  ")
		b.WriteString(quoteBytes(v.String))
		b.WriteString("\n")
	case "list":
		b.WriteString("\n")
		for _, s := range v.List {
			b.WriteString("  ")
			b.WriteString(quoteBytes(s))
			b.WriteString("\n")
		}
	case "set":
		b.WriteString("\n")
		slices.SortFunc(v.Set, bytes.Compare) // v is this call's own: sorted in place, not copied
		for _, s := range v.Set {
			b.WriteString("  ")
			b.WriteString(quoteBytes(s))
			b.WriteString("\n")
		}
	case "zset":
		b.WriteString("\n")
		ms := v.ZSet
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Score != ms[j].Score {
				return ms[i].Score < ms[j].Score
			}
			return bytes.Compare(ms[i].Member, ms[j].Member) < 0
		})
		for _, m := range ms {
			b.WriteString("  " + formatScore(m.Score) + " " + quoteBytes(m.Member) + "\n")
		}
	case "hash":
		b.WriteString("\n")
		fs := v.Hash
		sort.Slice(fs, func(i, j int) bool { return bytes.Compare(fs[i].Field, fs[j].Field) < 0 })
		for _, f := range fs {
			b.WriteString("  " + quoteBytes(f.Field) + " = " + quoteBytes(f.Value))
			if f.ExpireMs >= 0 {
				b.WriteString(" expires " + formatMs(f.ExpireMs))
			}
			b.WriteString("\n")
		}
	case "stream":
		s := v.Stream
		fmt.Fprintf(b, " (%d entries, last id %s)\n", s.Length, formatID(s.LastID))
		for _, en := range s.Entries {
			b.WriteString("  " + formatID(en.ID))
			for _, f := range en.Fields {
				b.WriteString(" " + quoteBytes(f.Name) + " " + quoteBytes(f.Value))
			}
			b.WriteString("\n")
		}
		groups := s.Groups
		sort.Slice(groups, func(i, j int) bool { return bytes.Compare(groups[i].Name, groups[j].Name) < 0 })
		for _, g := range groups {
			fmt.Fprintf(b, "  group %s last %s, %d pending\n", quoteBytes(g.Name), formatID(g.LastID), len(g.Pending))
			for _, p := range g.Pending {
				fmt.Fprintf(b, "    pending %s delivered %d times, last %s\n", formatID(p.ID), p.DeliveryCount, formatMs(p.DeliveryTime))
			}
			cs := g.Consumers
			sort.Slice(cs, func(i, j int) bool { return bytes.Compare(cs[i].Name, cs[j].Name) < 0 })
			for _, c := range cs {
				ids := make([]string, len(c.Pending))
				for i, id := range c.Pending {
					ids[i] = formatID(id)
				}
				fmt.Fprintf(b, "    consumer %s pending [%s]\n", quoteBytes(c.Name), strings.Join(ids, " "))
			}
		}
	}
	return nil
}
