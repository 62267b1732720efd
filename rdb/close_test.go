package rdb

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// Close ends a Reader early: its background reader stops at once, and Next
// then says the Reader is closed; Close after the end changes nothing.
func TestReaderClose(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, 10)
	big := bytes.Repeat([]byte{'v'}, 1<<20)
	for i := range 64 { // 64 MiB: far more than the feeder reads ahead
		e, err := NewEntry(0, []byte("k"+strconv.Itoa(i)), &Value{Kind: "string", String: big}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()

	before := runtime.NumGoroutine()
	r := NewReader(bytes.NewReader(data), readerFeed(true))
	for range 3 { // header, and a key or two
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.NumGoroutine() <= before {
		t.Fatal("no background reader to stop: the test proves nothing")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before the Reader", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
	_, err := r.Next()
	var re *Error
	if !errors.Is(err, ErrClosed) || !errors.As(err, &re) || re.Offset <= 0 {
		t.Fatalf("Next after Close: %v", err)
	}
	runtime.KeepAlive(r)

	// read to the end, then Close: the Reader still reports the end
	r = NewReader(bytes.NewReader(data))
	n := 0
	for {
		_, err := r.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	r.Close()
	if _, err := r.Next(); err != io.EOF || n == 0 {
		t.Fatalf("Next after the end and Close: %v (%d records)", err, n)
	}
}
