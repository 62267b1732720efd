package rdb

import (
	"bytes"
	"errors"
	"math/rand"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// sinks counts the Writers' background writers.
func sinks() int {
	buf := make([]byte, 1<<20)
	return bytes.Count(buf[:runtime.Stack(buf, true)], []byte("rdb.(*writeSink).loop("))
}

// After Abort nothing more is written, the background writer ends, and
// every call fails with ErrAborted.
func TestWriterAbort(t *testing.T) {
	// No garbage collection: another test's dropped Writer, its
	// background writer stopped by a cleanup, would change the count.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var out bytes.Buffer
	before := sinks()
	w := NewWriter(&out, 11)
	big := make([]byte, 3<<20)
	rand.New(rand.NewSource(1)).Read(big) // not compressible
	e, err := NewEntry(0, []byte("big"), &Value{Kind: "string", String: big}, 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEntry(e); err != nil {
		t.Fatal(err)
	}
	if sinks() <= before {
		t.Fatal("a 3 MiB entry did not start the background writer")
	}
	w.Abort()
	deadline := time.Now().Add(10 * time.Second)
	for sinks() > before {
		if time.Now().After(deadline) {
			t.Fatal("the background writer still runs 10 s after Abort")
		}
		time.Sleep(time.Millisecond)
	}
	n := out.Len()
	if int64(n) >= w.Offset() {
		t.Errorf("%d of the %d bytes put written after Abort: the buffered rest was written too", n, w.Offset())
	}
	if err := w.WriteAux("a", "b"); !errors.Is(err, ErrAborted) {
		t.Errorf("WriteAux after Abort: %v, want ErrAborted", err)
	}
	if err := w.Close(); !errors.Is(err, ErrAborted) {
		t.Errorf("Close after Abort: %v, want ErrAborted", err)
	}
	if out.Len() != n {
		t.Errorf("Close after Abort wrote %d bytes", out.Len()-n)
	}
	w.Abort() // twice: nothing happens
}
