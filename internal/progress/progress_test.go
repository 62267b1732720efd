package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
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
	b.Done()
	out := buf.String()
	if !strings.Contains(out, " 50%") || !strings.Contains(out, "inspect [") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("final line: %q", out)
	}
	if !strings.Contains(b.line(), "500 B/1000 B") {
		t.Fatalf("line: %q", b.line())
	}
	n := buf.Len()
	b.Done()
	b.Add(10)
	if buf.Len() != n {
		// Add may redraw only after the throttle interval; Done only once.
		if strings.Count(buf.String(), "\n") != 1 {
			t.Fatal("Done drew twice")
		}
	}
}

func TestThrottle(t *testing.T) {
	var buf bytes.Buffer
	b := Force(&buf, "x", 0, 80)
	for i := 0; i < 100000; i++ {
		b.Add(1)
	}
	if c := strings.Count(buf.String(), "\r"); c > 2 {
		t.Fatalf("%d redraws for a quick loop", c)
	}
	if !strings.Contains(b.line(), "97.7 KiB") {
		t.Fatalf("unknown-total line: %q", b.line())
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
