package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rdbtool/rdbtool/filter"
	"github.com/rdbtool/rdbtool/rdb"
)

// TestQAFilesKeysSkipsValues: keys skips values by length (a dump with
// 100 MiB values listed in a few MB of memory), and still prints for
// every corpus key the encoding and size a full read of the value gives.
func TestQAFilesKeysSkipsValues(t *testing.T) {
	for _, f := range corpusFiles(t) {
		var want strings.Builder
		for _, e := range readEntries(t, f) {
			exp := "-"
			if e.HasExpiry() {
				exp = "X"
			}
			fmt.Fprintf(&want, "%d\t%s\t%s\t%d\t%s\t%s\n", e.DB, rdb.TypeName(e.Type), rdb.EncodingName(e.Type, e.Value), e.ValueLen, exp, filter.Quote(e.Key))
		}
		r := mustRun(t, 0, nil, "keys", f)
		var got strings.Builder
		for _, l := range strings.SplitAfter(r.stdout, "\n") {
			if parts := strings.Split(l, "\t"); len(parts) == 6 {
				if parts[4] != "-" {
					parts[4] = "X"
				}
				got.WriteString(strings.Join(parts, "\t"))
			}
		}
		if got.String() != want.String() {
			t.Errorf("%s: keys prints\n%s\nwant\n%s", f, got.String(), want.String())
		}
	}
}
