//go:build linux || darwin || freebsd

package live

import (
	"syscall"
	"unsafe"
)

// allocWords returns n zeroed words mapped outside the Go heap, and the
// function that unmaps them; it falls back to the heap if mmap fails.
func allocWords(n int) ([]uint32, func()) {
	mem, err := syscall.Mmap(-1, 0, n*4, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint32, n), func() {}
	}
	words := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(mem))), n)
	return words, func() { _ = syscall.Munmap(mem) }
}
