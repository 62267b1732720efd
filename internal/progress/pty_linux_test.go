package progress

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair (master, slave) without cgo.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no /dev/ptmx:", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skip("unlockpt:", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skip("ptsname:", e)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skip("open pts:", err)
	}
	return m, s
}

// TestBarOnTerminal: on a real terminal New draws; the final line ends
// with a newline and shows 100%.
func TestBarOnTerminal(t *testing.T) {
	m, s := openPTY(t)
	defer m.Close()
	defer s.Close()
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
