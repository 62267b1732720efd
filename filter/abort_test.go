package filter

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rdbtool/rdbtool/internal/rdbtest"
	"github.com/rdbtool/rdbtool/rdb"
)

// A Rewrite that stops after its output outgrew the Writer's buffer (the
// input cut short, a filter keeping a value it said it drops) abandons the
// Writer: its background writer stops, and the output gets no trailer,
// so it cannot pass for a whole file.
func TestRewriteErrorAbortsWriter(t *testing.T) {
	data := swDump(t, 6<<20) // several of the Writer's 1 MiB buffers
	cases := []struct {
		name string
		in   []byte
		f    Filter
	}{
		{"input cut short", data[:len(data)-100], nil},
		{"filter keeps a skipped value", data, liar{}},
	}
	for _, c := range cases {
		waitStopped := rdbtest.WriterStopCheck(t)
		var out bytes.Buffer
		if _, err := Rewrite(bytes.NewReader(c.in), &out, c.f, RewriteOptions{}); err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		waitStopped(c.name)
		if err := rdbtest.ReadError(out.Bytes()); !errors.Is(err, rdb.ErrTruncated) {
			t.Errorf("%s: the %d bytes written read as %v, want a file cut short", c.name, out.Len(), err)
		}
	}
}
