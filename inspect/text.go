package inspect

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rdbtool/rdbtool/filter"
)

// WriteText writes the human-readable report that `rdbtool inspect`
// prints: binary-safe quoting for names, sizes in bytes and in human units
// (filter.FormatSize). The layout is meant for people; scripts should use
// the JSON form of Stats. It writes once and returns w's error.
func (st *Stats) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "format:     %s RDB version %d\n", st.Magic, st.Version)
	fmt.Fprintf(&b, "size:       %d bytes (%s)\n", st.SizeBytes, filter.FormatSize(st.SizeBytes))
	fmt.Fprintf(&b, "checksum:   %s", st.Checksum.Status)
	if st.Checksum.Status == "mismatch" {
		fmt.Fprintf(&b, " (stored %s, computed %s)", st.Checksum.Stored, st.Checksum.Computed)
	}
	b.WriteString("\n")
	if len(st.Aux) > 0 {
		b.WriteString("aux:\n")
		for _, a := range st.Aux {
			fmt.Fprintf(&b, "  %-14s %s\n", filter.Quote(a.Key), filter.Quote(a.Value))
		}
	}
	if st.Functions > 0 {
		fmt.Fprintf(&b, "functions:  %d libraries\n", st.Functions)
	}
	if len(st.ModuleAux) > 0 {
		fmt.Fprintf(&b, "module aux: %s\n", strings.Join(st.ModuleAux, ", "))
	}
	fmt.Fprintf(&b, "keys:       %d (%d with an expiry, %d of them already expired at %s)\n", st.Keys, st.Expiring, st.Expired, st.Now)
	fmt.Fprintf(&b, "values:     %d bytes (%s)\n", st.ValueBytes, filter.FormatSize(st.ValueBytes))
	if len(st.Databases) > 0 {
		b.WriteString("databases:\n")
		for _, d := range st.Databases {
			fmt.Fprintf(&b, "  db%-3d %10d keys  %8d expiring  %8d expired  %s\n", d.DB, d.Keys, d.Expiring, d.Expired, filter.FormatSize(d.ValueBytes))
		}
	}
	if len(st.Types) > 0 {
		b.WriteString("types:\n")
		names := make([]string, 0, len(st.Types))
		for n := range st.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t := st.Types[n]
			encs := make([]string, 0, len(t.Encodings))
			for e, c := range t.Encodings {
				encs = append(encs, fmt.Sprintf("%s %d", e, c))
			}
			sort.Strings(encs)
			fmt.Fprintf(&b, "  %-7s %10d keys  %10s  (%s)\n", n, t.Keys, filter.FormatSize(t.ValueBytes), strings.Join(encs, ", "))
		}
	}
	if st.Largest != nil {
		fmt.Fprintf(&b, "largest:    db%d %s (%s, %d bytes)\n", st.Largest.DB, filter.Quote(st.Largest.Key), st.Largest.Type, st.Largest.Bytes)
	}
	if len(st.Top) > 0 {
		fmt.Fprintf(&b, "top %d keys by value size:\n", len(st.Top))
		for _, k := range st.Top {
			fmt.Fprintf(&b, "  %12d  db%-3d %-6s %-10s %s\n", k.Bytes, k.DB, k.Type, k.Encoding, filter.Quote(k.Key))
		}
	}
	if len(st.Prefixes) > 0 {
		b.WriteString("prefixes (up to the first ':'):\n")
		for _, p := range st.Prefixes {
			name := string(p.Prefix)
			if name != "(none)" && name != "(other)" {
				name = filter.Quote(p.Prefix) + ":"
			}
			fmt.Fprintf(&b, "  %10d keys  %10s  %s\n", p.Keys, filter.FormatSize(p.ValueBytes), name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
