package progress

import (
	"strings"
	"testing"
	"time"

	"github.com/rdbtool/rdbtool/internal/progress/ptytest"
)

// TestBarOnTerminal: on a real terminal New draws; the final line ends
// with a newline and shows 100%.
func TestBarOnTerminal(t *testing.T) {
	m, s := ptytest.Open(t)
	b := New(s, "rewrite", 1000)
	if b == nil {
		t.Fatal("no bar on a terminal")
	}
	b.Add(1000)
	b.Done()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		var all strings.Builder
		for !strings.Contains(all.String(), "\n") {
			n, err := m.Read(buf)
			if err != nil {
				break
			}
			all.Write(buf[:n])
		}
		got <- all.String()
	}()
	select {
	case out := <-got:
		if !strings.Contains(out, "rewrite [") || !strings.Contains(out, "100%") {
			t.Fatalf("terminal got %q", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing drawn on the terminal")
	}
}
