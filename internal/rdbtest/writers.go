package rdbtest

import (
	"bytes"
	"io"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/rdb"
)

// WriterStopCheck turns garbage collection off until the test ends (a
// dropped rdb.Writer's cleanup would stop its background writer too, so
// only an explicit Abort or Close can be seen doing it) and returns a
// function that fails tb unless, within 10 s, no more of the Writers'
// background writers run than when WriterStopCheck was called.
func WriterStopCheck(tb testing.TB) (waitStopped func(what string)) {
	tb.Helper()
	gc := debug.SetGCPercent(-1)
	tb.Cleanup(func() { debug.SetGCPercent(gc) })
	stack := make([]byte, 1<<20) // counting must not allocate much: GC is off
	count := func() int {
		return bytes.Count(stack[:runtime.Stack(stack, true)], []byte("rdb.(*writeSink).loop("))
	}
	before := count()
	return func(what string) {
		tb.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for count() > before {
			if time.Now().After(deadline) {
				tb.Fatalf("%s: %d background writers 10 s later, %d before", what, count(), before)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// ReadError reads data as an RDB file to its end and returns the first
// error (nil for a whole file): a cut-short output gives one wrapping
// rdb.ErrTruncated.
func ReadError(data []byte) error {
	r := rdb.NewReader(bytes.NewReader(data))
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
