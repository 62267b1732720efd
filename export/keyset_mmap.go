//go:build linux || darwin || freebsd

package export

import (
	"syscall"
	"unsafe"
)

// allocWords returns n zeroed words mapped outside the Go heap, and the
// function that unmaps them; it falls back to the heap if mmap fails.
func allocWords(n int) ([]uint64, func()) {
	mem, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), func() {}
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(mem))), n), func() { _ = syscall.Munmap(mem) }
}
