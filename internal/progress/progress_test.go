package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	if b := New(&buf, "x", 10); b != nil {
		t.Fatal("bar on a bytes.Buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := New(f, "x", 10)
	if b != nil {
		t.Fatal("bar on a regular file")
	}
	// A nil bar is a no-op everywhere.
	b.Add(5)
	b.Set(7)
	b.Done()
	b.Clear()
	r := strings.NewReader("abc")
	if b.Reader(r) != io.Reader(r) {
		t.Fatal("nil bar wraps the reader")
	}
}

func TestForcedBar(t *testing.T) {
	var buf bytes.Buffer
	b := Force(&buf, "inspect", 1000, 60)
	data, err := io.ReadAll(b.Reader(strings.NewReader(strings.Repeat("x", 500))))
	if err != nil || len(data) != 500 {
		t.Fatal(err)
	}
	if got := b.done.Load(); got != 500 {
		t.Fatalf("counted %d bytes", got)
	}
	if buf.Len() != 0 {
		t.Fatalf("a bar drawn before 200 ms: %q", buf.String())
	}
	if l := b.line(); !strings.Contains(l, "500 B/1000 B") || !strings.Contains(l, " 50%") || !strings.HasPrefix(l, "inspect [") || len(l) != 60 {
		t.Fatalf("line: %q (%d columns)", l, len(l))
	}
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(100)
	drawn := buf.String()
	if !strings.HasPrefix(drawn, "\rinspect [") || !strings.Contains(drawn, " 60%") {
		t.Fatalf("drawn: %q", drawn)
	}
	b.Done()
	out := buf.String()
	if want := drawn + "\r" + strings.Repeat(" ", 60) + "\r"; out != want {
		t.Fatalf("Done did not erase the line:\n got %q\nwant %q", out, want)
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Fatalf("escape codes in %q", out)
	}
	n := buf.Len()
	b.Done()
	b.Clear()
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(10)
	if buf.Len() != n {
		t.Fatalf("the bar drew after Done: %q", buf.String()[n:])
	}
}

func TestThrottle(t *testing.T) {
	var buf bytes.Buffer
	b := Force(&buf, "x", 0, 80)
	for i := 0; i < 100000; i++ {
		b.Add(1)
	}
	if c := strings.Count(buf.String(), "\r"); c > 1 {
		t.Fatalf("%d redraws for a quick loop", c)
	}
	if !strings.Contains(b.line(), "97.7 KiB") {
		t.Fatalf("unknown-total line: %q", b.line())
	}
}

// fdBuffer is a bytes.Buffer that claims a file descriptor, as Suspend
// wants.
type fdBuffer struct{ *bytes.Buffer }

func (fdBuffer) Fd() uintptr { return ^uintptr(0) }

// TestSuspend: a write through Suspend erases the bar first (so a line of
// output never lands after the bar), and the bar comes back at its next
// update; a shorter redraw blanks the rest of the longer one.
func TestSuspend(t *testing.T) {
	var screen bytes.Buffer
	b := Force(&screen, "keys", 0, 80)
	defer b.Done()
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(5 << 20)
	bar := screen.String()
	if !strings.HasPrefix(bar, "\rkeys 5.0 MiB") {
		t.Fatalf("bar: %q", bar)
	}
	out := Suspend(fdBuffer{&screen})
	if _, err := io.WriteString(out, "0\thash\tcorr:map\n"); err != nil {
		t.Fatal(err)
	}
	want := bar + "\r" + strings.Repeat(" ", len(bar)-1) + "\r" + "0\thash\tcorr:map\n"
	if screen.String() != want {
		t.Fatalf("screen:\n got %q\nwant %q", screen.String(), want)
	}
	// no bar over a line the output has not finished
	n := screen.Len()
	io.WriteString(out, "partial")
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(1)
	if got := screen.String()[n:]; got != "partial" {
		t.Fatalf("a bar drawn over an unfinished line: %q", got)
	}
	io.WriteString(out, " line\n")
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(1)
	if got := screen.String()[n:]; !strings.HasPrefix(got, "partial line\n\rkeys 5.0 MiB") {
		t.Fatalf("no bar after the line ended: %q", got)
	}
	if Suspend(out) != out {
		t.Error("Suspend wrapped twice")
	}
	if s := Suspend(&screen); s != io.Writer(&screen) {
		t.Error("Suspend wrapped a writer without a file descriptor")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
