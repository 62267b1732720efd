package filter

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/rdb"
)

// sinks counts the Writers' background writers.
func sinks() int {
	return bytes.Count(stackBuf[:runtime.Stack(stackBuf, true)], []byte("rdb.(*writeSink).loop("))
}

// A Rewrite that stops after its output outgrew the Writer's buffer (the
// input cut short, a filter keeping a value it said it drops) abandons the
// Writer: its background writer stops, and the output gets no trailer,
// so it cannot pass for a whole file.
func TestRewriteErrorAbortsWriter(t *testing.T) {
	data := swDump(t, 6<<20) // several of the Writer's 1 MiB buffers
	// No garbage collection: a dropped Writer's cleanup would stop its
	// background writer too, and only Abort must be seen doing it.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	cases := []struct {
		name string
		in   []byte
		f    Filter
	}{
		{"input cut short", data[:len(data)-100], nil},
		{"filter keeps a skipped value", data, liar{}},
	}
	for _, c := range cases {
		before := sinks()
		var out bytes.Buffer
		if _, err := Rewrite(bytes.NewReader(c.in), &out, c.f, RewriteOptions{}); err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		deadline := time.Now().Add(10 * time.Second)
		for sinks() > before {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d background writers 10 s after Rewrite failed, %d before it", c.name, sinks(), before)
			}
			time.Sleep(time.Millisecond)
		}
		r := rdb.NewReader(bytes.NewReader(out.Bytes()))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if !errors.Is(err, rdb.ErrTruncated) {
			t.Errorf("%s: the %d bytes written read as %v, want a file cut short", c.name, out.Len(), err)
		}
	}
}
