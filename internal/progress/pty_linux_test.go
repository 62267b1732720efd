package progress

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// TestBarOnTerminal: on a real terminal New draws (after 200 ms), with no
// escape codes, and Done erases the line; through WithoutBar nothing is
// drawn, through Suspend the terminal is still seen.
func TestBarOnTerminal(t *testing.T) {
	t.Setenv("TERM", "xterm")
	m, s := ptytest.Open(t)
	if New(WithoutBar(s), "x", 1) != nil || New(WithoutBar(Suspend(s)), "x", 1) != nil {
		t.Fatal("a bar through WithoutBar")
	}
	if !IsTerminal(Suspend(s)) || IsTerminal(WithoutBar(s)) {
		t.Fatal("IsTerminal through the wrappers")
	}
	t.Setenv("TERM", "dumb")
	if New(s, "x", 1) != nil {
		t.Fatal("a bar on a dumb terminal")
	}
	t.Setenv("TERM", "xterm")
	b := New(Suspend(s), "rewrite", 1000)
	if b == nil {
		t.Fatal("no bar on a terminal")
	}
	time.Sleep(interval + 10*time.Millisecond)
	b.Add(500)
	b.Done()
	s.Close()
	got := make(chan string, 1)
	go func() {
		all, _ := io.ReadAll(m) // EIO once the terminal is closed and read
		got <- string(all)
	}()
	select {
	case out := <-got:
		if !strings.Contains(out, "rewrite [") || !strings.Contains(out, " 50%") || !strings.HasSuffix(out, "\r") || strings.ContainsRune(out, 0x1b) {
			t.Fatalf("terminal got %q", out)
		}
		if last := out[strings.LastIndex(out[:len(out)-1], "\r")+1 : len(out)-1]; strings.TrimSpace(last) != "" {
			t.Fatalf("the bar was not erased: %q", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing drawn on the terminal")
	}
}
