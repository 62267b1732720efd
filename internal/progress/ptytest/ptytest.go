//go:build linux

// Package ptytest opens pseudo-terminals for tests of terminal-only
// behaviour (progress bars, refusing binary output on a terminal).
package ptytest

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"unsafe"
)

// Open opens a pseudo-terminal pair (master, slave) without cgo; the test
// is skipped where there is none. Both are closed when the test ends.
func Open(t testing.TB) (master, slave *os.File) {
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
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}
